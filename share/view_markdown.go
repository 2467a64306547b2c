package share

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// Markdown renders the view as a Markdown document (a copy's format), in
// English or, for lang "zh", Chinese: a header saying it is a
// desensitized shared copy, its basis and date, then a heading per
// section. Every value is escaped so that no text of the incident can
// become a link, an image, HTML or document structure.
func (v View) Markdown(lang string) []byte {
	zh := lang == "zh"
	l := func(en, zhs string) string {
		if zh {
			return zhs
		}
		return en
	}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	item := func(label, value string) {
		if value != "" {
			line("- %s%s%s", label, l(": ", "："), value)
		}
	}

	line("# %s %s", mdInline(v.Number), mdInline(v.Title))
	line("")
	basis := l(basisEN[v.Basis], basisZH[v.Basis])
	if basis == "" {
		basis = mdInline(string(v.Basis))
	}
	line("> %s", l("Desensitized shared copy: personal data, credentials and internal addresses are masked unless the basis reveals them.",
		"脱敏共享副本：除授权依据允许显示的类别外，个人信息、凭据和内部地址均已隐藏。"))
	line(">")
	line("> %s%s%s %s", l("Basis", "授权依据"), l(": ", "："), basis, mdInline(v.By))
	if !v.At.IsZero() {
		line(">")
		line("> %s%s%s", l("Date", "日期"), l(": ", "："), v.At.UTC().Format(time.DateOnly))
	}

	line("")
	line("## %s", l("Overview", "概况"))
	line("")
	item(l("Number", "编号"), mdInline(v.Number))
	item(l("Title", "标题"), mdInline(v.Title))
	item(l("Level", "级别"), levelName(v.Level, zh))
	item(l("Category", "类别"), categoryName(v.Category, zh))
	item(l("Stage", "阶段"), stageName(v.Stage, zh))
	if v.Drill {
		item(l("Drill", "演练"), l("yes, a training run, not a real incident", "是，演练而非真实事件"))
	}
	item(l("Reported at", "报告时间"), mdTime(v.ReportedAt))
	if v.ClosedAt != nil {
		item(l("Closed at", "关闭时间"), mdTime(*v.ClosedAt))
	}
	if masked := maskedSummary(v.Masked, zh); masked != "" {
		item(l("Masked values", "已隐藏"), masked)
	}

	for _, s := range v.Sections {
		switch s {
		case Description:
			if v.Description == nil {
				continue
			}
			line("")
			line("## %s", l("Description", "事件描述"))
			line("")
			item(l("Scope", "影响范围"), codeName(string(v.Description.Scope), zh))
			item(l("Nature", "性质"), codeName(string(v.Description.Nature), zh))
			if v.Description.OccurredAt != nil {
				item(l("Occurred at", "发生时间"), mdTime(*v.Description.OccurredAt))
			}
			if v.Description.Text != "" {
				line("")
				line("%s", mdBlock(v.Description.Text))
			}
		case Assets:
			line("")
			line("## %s", l("Affected assets", "受影响资产"))
			line("")
			for _, a := range v.Assets {
				line("- %s", mdInline(a))
			}
		case Timeline:
			line("")
			line("## %s", l("Timeline", "时间线"))
			line("")
			for _, e := range v.Timeline {
				s := mdTime(e.At) + " — " + mdInline(e.Actor) + " — " + entryKindName(e.Kind, zh)
				if e.From != "" || e.To != "" {
					s += l(": ", "：") + stepName(e.From, zh) + " → " + stepName(e.To, zh)
				}
				if e.Text != "" {
					s += " — " + mdInline(e.Text)
				}
				line("- %s", s)
			}
		case Measures:
			line("")
			line("## %s", l("Response measures", "处置措施"))
			if v.Plan != "" {
				line("")
				line("%s", mdBlock(v.Plan))
			}
			line("")
			for _, t := range v.Measures {
				title := t.Title
				if zh && t.TitleZH != "" || title == "" {
					title = t.TitleZH
				}
				s := mdInline(title) + " — " + stageName(incident.Stage(t.Stage), zh) + ", " + taskStatusName(t.Status, zh)
				if t.Assignee != "" {
					s += " — " + l("assignee: ", "负责：") + mdInline(t.Assignee)
				}
				if t.Result != "" {
					s += " — " + l("result: ", "结果：") + mdInline(t.Result)
				}
				line("- %s", s)
			}
		case ReviewPart:
			if v.Review == nil {
				continue
			}
			line("")
			line("## %s", l("Review", "事后总结"))
			for _, p := range []struct{ en, zh, text string }{
				{"Summary", "概述", v.Review.Summary},
				{"Root cause", "根本原因", v.Review.RootCause},
				{"Lessons", "经验教训", v.Review.Lessons},
			} {
				if p.text == "" {
					continue
				}
				line("")
				line("### %s", l(p.en, p.zh))
				line("")
				line("%s", mdBlock(p.text))
			}
			if len(v.Review.Actions) > 0 {
				line("")
				line("### %s", l("Corrective actions", "整改措施"))
				line("")
				for _, a := range v.Review.Actions {
					line("- %s", mdInline(a))
				}
			}
		case Contacts:
			line("")
			line("## %s", l("Contacts", "相关人员"))
			line("")
			for _, c := range v.Contacts {
				item(roleName(c.Role, zh), mdInline(c.Name))
			}
		}
	}
	return []byte(b.String())
}

var (
	basisEN = map[Basis]string{ByEmergency: "emergency grant", ByRule: "attribute rule", ByApplication: "application grant"}
	basisZH = map[Basis]string{ByEmergency: "应急授权", ByRule: "属性授权", ByApplication: "申请授权"}
)

func roleName(r string, zh bool) string {
	names := map[string][2]string{
		RoleReporter:    {"Reporter", "报告人"},
		RoleParticipant: {"Participant", "参与人"},
		RoleAssignee:    {"Assignee", "处置人"},
	}
	n, ok := names[r]
	if !ok {
		return mdInline(r)
	}
	if zh {
		return n[1]
	}
	return n[0]
}

func levelName(lv incident.Level, zh bool) string {
	if info, ok := lv.Info(); ok {
		if zh {
			return info.NameZH
		}
		return info.NameEN
	}
	return mdInline(string(lv))
}

func categoryName(c incident.Category, zh bool) string {
	if info, ok := c.Info(); ok {
		if zh {
			return mdInline(info.NameZH)
		}
		return mdInline(info.NameEN)
	}
	return mdInline(string(c))
}

func stageName(s incident.Stage, zh bool) string {
	if !s.Valid() {
		return mdInline(string(s))
	}
	info := s.Info()
	if zh {
		return info.NameZH
	}
	return info.NameEN
}

func taskStatusName(s string, zh bool) string {
	en, zhs := incident.TaskStatus(s).Names()
	if zh {
		return mdInline(zhs)
	}
	return mdInline(en)
}

// entryKinds names the timeline entry kinds in both languages.
var entryKinds = map[incident.EntryKind][2]string{
	incident.EntryReported:   {"reported", "报告"},
	incident.EntryOccurrence: {"reported again", "再次报告"},
	incident.EntryStage:      {"stage", "阶段变更"},
	incident.EntryLevel:      {"level", "级别变更"},
	incident.EntryMerged:     {"merged", "合并"},
	incident.EntryAck:        {"acknowledged", "已受理"},
	incident.EntryEscalation: {"escalation", "升级通知"},
	incident.EntryDeadline:   {"deadline missed", "超时"},
}

func entryKindName(k incident.EntryKind, zh bool) string {
	n, ok := entryKinds[k]
	switch {
	case !ok:
		return mdInline(string(k))
	case zh:
		return n[1]
	}
	return n[0]
}

// stepName names what a timeline entry moved from or to: a stage or a
// level by its name, anything else escaped.
func stepName(s string, zh bool) string {
	if st := incident.Stage(s); st.Valid() {
		return stageName(st, zh)
	}
	if lv := incident.Level(s); lv.Valid() {
		return levelName(lv, zh)
	}
	return mdInline(s)
}

// codeNames names the scopes and natures in both languages.
var codeNames = map[string][2]string{
	string(incident.Local):           {"local", "局部"},
	string(incident.Global):          {"global", "全局"},
	string(incident.NaturalDisaster): {"natural disaster", "自然灾害"},
	string(incident.HumanError):      {"human error", "人为失误"},
	string(incident.MaliciousAttack): {"malicious attack", "恶意攻击"},
}

func codeName(c string, zh bool) string {
	n, ok := codeNames[c]
	switch {
	case !ok:
		return mdInline(c)
	case zh:
		return n[1]
	}
	return n[0]
}

var classZH = map[Class]string{
	Names: "姓名", Phones: "电话", Emails: "邮箱", IDNumbers: "证件号", Credentials: "凭据", Internal: "内部地址",
}

// maskedSummary lists the masked counts in class order: "name 2, phone 1".
func maskedSummary(m map[Class]int, zh bool) string {
	var parts []string
	for _, c := range Classes() {
		if n := m[c]; n > 0 {
			name := strings.ReplaceAll(string(c), "_", " ")
			if zh {
				name = classZH[c]
			}
			parts = append(parts, fmt.Sprintf("%s %d", name, n))
		}
	}
	sep := ", "
	if zh {
		sep = "，"
	}
	return strings.Join(parts, sep)
}

func mdTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// mdSpecial are the characters escaped wherever they appear in a value:
// everything that can open a link, an image, an autolink, HTML, an
// entity, emphasis, code, a table cell or a heading.
const mdSpecial = "\\`*_{}[]()<>#!|~&"

// mdInline escapes a value for use inside a line: line breaks become
// spaces, Markdown's special characters are backslash-escaped, and bare
// URLs and www. names are kept from being turned into links.
func mdInline(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	return mdEscape(s)
}

// mdBlock escapes a multi-line value as paragraphs: each line escaped,
// including what would start a list, a quote, a heading or a rule, line
// breaks kept.
func mdBlock(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, ln := range lines {
		ln = strings.TrimLeft(ln, " \t") // four spaces would start a code block
		ln = mdEscape(ln)
		if ln != "" {
			ln = mdLineStart(ln)
			if i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
				ln += "\\" // a hard line break within the paragraph
			}
		}
		lines[i] = ln
	}
	return strings.Join(lines, "\n")
}

func mdEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte(mdSpecial, c) >= 0:
			b.WriteByte('\\')
		case c == ':' && strings.HasPrefix(s[i:], "://"):
			b.WriteByte('\\') // http\:// is not an autolink
		case c == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www"):
			b.WriteByte('\\') // nor is www\.example.com
		case c == '@':
			b.WriteByte('\\') // nor is an e-mail address
		}
		b.WriteByte(c)
	}
	return b.String()
}

// mdLineStart escapes what would make an escaped line a list item, a
// setext heading or a rule: a leading -, +, = or "1." / "1)".
func mdLineStart(ln string) string {
	if ln == "" {
		return ln
	}
	if slices.Contains([]byte{'-', '+', '='}, ln[0]) {
		return "\\" + ln
	}
	i := 0
	for i < len(ln) && isDigit(ln[i]) {
		i++
	}
	if i > 0 && i < len(ln) && (ln[i] == '.' || ln[i] == ')') {
		return ln[:i] + "\\" + ln[i:]
	}
	return ln
}
