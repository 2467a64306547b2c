package notify

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tocsin-hub/tocsin/incident"
)

// Change is a kind of incident change that broadcasts and reporter
// feedback are made for. A destination names the changes it wants.
type Change string

// The changes.
const (
	ChangeReported Change = "reported" // a new report
	ChangeLevel    Change = "level"    // the level in force changed
	ChangeStage    Change = "stage"    // the incident moved to another working stage
	ChangeClosed   Change = "closed"   // the incident was closed or the report rejected
)

// Changes lists every change, in the order of an incident's life.
func Changes() []Change { return []Change{ChangeReported, ChangeLevel, ChangeStage, ChangeClosed} }

// Valid reports whether c is a known change.
func (c Change) Valid() bool { return slices.Contains(Changes(), c) }

// ChangeOf says which change ev is, and false when it is none that
// broadcasts or feedback are made for (an acknowledgement, an escalation
// record, another occurrence). A reconciliation (EventReconcile) replays
// the incident's last change, which its last timeline entry names: the
// same incident at the same version gives the same answer as the event
// that stored it, so the keys planned from either are the same.
func ChangeOf(ev incident.Event) (Change, bool) {
	inc := ev.Incident
	if inc == nil {
		return "", false
	}
	switch ev.Kind {
	case incident.EventReported:
		return ChangeReported, true
	case incident.EventLevel:
		return ChangeLevel, true
	case incident.EventStage:
		return stageChange(inc.Stage), true
	case EventReconcile:
		if len(inc.Timeline) == 0 {
			return "", false
		}
		switch last := inc.Timeline[len(inc.Timeline)-1]; last.Kind {
		case incident.EntryReported:
			return ChangeReported, true
		case incident.EntryLevel:
			return ChangeLevel, true
		case incident.EntryStage:
			return stageChange(incident.Stage(last.To)), true
		}
	}
	return "", false
}

func stageChange(s incident.Stage) Change {
	if s == incident.Closed || s == incident.Rejected {
		return ChangeClosed
	}
	return ChangeStage
}

// IncidentURL is the page of incident number on the hub at baseURL.
func IncidentURL(baseURL, number string) string {
	return strings.TrimRight(baseURL, "/") + "/incidents/" + url.PathEscape(number)
}

// DrillTag starts the subject of every message about a drill.
const DrillTag = "[DRILL 演练] "

// Limits on what a message quotes of free text written by people (a
// rejection note, a review summary): the rest is on the incident's page.
const (
	maxQuoted = 2000 // runes
	maxTitle  = 200  // runes, as incident.MaxTitle
)

// BroadcastText is the subject and body of the broadcast of change ch of
// inc, in English and Chinese (the destinations are group chats and lists
// read by people of either language). It carries the number, level,
// category, title, stage and link, and what changed; never the
// description, which stays on the incident's page behind access control.
func BroadcastText(inc *incident.Incident, ch Change, baseURL string) (subject, body string) {
	lvl := levelNames(inc.Level)
	var en, zh string
	switch ch {
	case ChangeReported:
		en, zh = "New report", "新报告"
	case ChangeLevel:
		en, zh = "Level changed", "级别变更"
	case ChangeStage:
		st := inc.Stage.Info()
		en, zh = "Now in "+st.NameEN, "进入"+st.NameZH+"阶段"
	case ChangeClosed:
		en, zh = "Closed", "已关闭"
		if inc.Stage == incident.Rejected {
			en, zh = "Rejected", "已驳回"
		}
	}
	subject = fmt.Sprintf("%s [%s] %s %s: %s", inc.Number, lvl, en, zh, clipRunes(inc.Title, maxTitle))
	subject = fitBytes(drill(inc)+oneLine(subject), MaxSubject)

	var b strings.Builder
	for _, s := range changeSentences(inc, ch) {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(factLines(inc, baseURL))
	return subject, fitBytes(b.String(), MaxBody)
}

// changeSentences says what ch did to inc, in English then Chinese.
func changeSentences(inc *incident.Incident, ch Change) []string {
	switch ch {
	case ChangeReported:
		src := inc.Source
		if src == "" {
			src = "web"
		}
		return []string{
			fmt.Sprintf("A new incident was reported via %s.", src),
			fmt.Sprintf("收到新的事件报告（来源：%s）。", src),
		}
	case ChangeLevel:
		e, ok := lastEntry(inc, incident.EntryLevel)
		if !ok {
			return []string{"The level was changed to " + levelNames(inc.Level) + ".", "级别已调整为" + levelNames(inc.Level) + "。"}
		}
		from, to := incident.Level(e.From), incident.Level(e.To)
		reason := clipRunes(e.Reason, maxQuoted)
		return []string{
			fmt.Sprintf("The level was changed from %s to %s. Reason: %s", nameEN(from), nameEN(to), reason),
			fmt.Sprintf("级别由%s调整为%s。原因：%s", nameZH(from), nameZH(to), reason),
		}
	case ChangeStage:
		to := inc.Stage.Info()
		e, ok := lastEntry(inc, incident.EntryStage)
		if !ok || e.From == "" {
			return []string{"The incident is now in the " + to.NameEN + " stage.", "事件已进入“" + to.NameZH + "”阶段。"}
		}
		from := incident.Stage(e.From).Info()
		out := []string{
			fmt.Sprintf("The incident moved from %s to %s.", from.NameEN, to.NameEN),
			fmt.Sprintf("事件由“%s”阶段进入“%s”阶段。", from.NameZH, to.NameZH),
		}
		if r := strings.TrimSpace(e.Reason); r != "" {
			out = append(out, "Reason 原因: "+clipRunes(r, maxQuoted))
		}
		return out
	case ChangeClosed:
		if inc.Stage == incident.Rejected {
			en, zh := rejectionText(inc)
			out := []string{"The report was rejected: " + en + ".", "报告已驳回：" + zh + "。"}
			if n := strings.TrimSpace(inc.Rejection.Note); n != "" {
				out = append(out, "Note 说明: "+clipRunes(n, maxQuoted))
			}
			return out
		}
		out := []string{"The incident was closed after its review.", "事件已完成后期评估并关闭。"}
		if s := strings.TrimSpace(inc.Review.Summary); s != "" {
			out = append(out, "Summary 总结: "+clipRunes(s, maxQuoted))
		}
		return out
	}
	return nil
}

// factLines are the incident's key facts, one per line, both languages.
func factLines(inc *incident.Incident, baseURL string) string {
	var b strings.Builder
	line := func(label, v string) { fmt.Fprintf(&b, "%s: %s\n", label, v) }
	line("Incident 事件", inc.Number)
	line("Title 标题", oneLine(clipRunes(inc.Title, maxTitle)))
	confirmed := "suggested 建议"
	if inc.LevelConfirmed {
		confirmed = "confirmed 已确认"
	}
	line("Level 级别", levelNames(inc.Level)+" ("+confirmed+")")
	line("Category 类别", categoryNames(inc.Category))
	st := inc.Stage.Info()
	line("Stage 阶段", st.NameEN+" "+st.NameZH)
	line("Reported 报告时间", inc.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"))
	if inc.Drill {
		line("Drill 演练", "yes, a training run 是，演练事件")
	}
	line("Link 链接", IncidentURL(baseURL, inc.Number))
	return b.String()
}

// Feedback is which of the reporter's two notices a message is.
type Feedback string

// The reporter's notices.
const (
	FeedbackReceived Feedback = "received" // the report is recorded under a number
	FeedbackOutcome  Feedback = "outcome"  // the incident was closed or the report rejected
)

// FeedbackText is the subject and body of the reporter's notice fb about
// inc in lang ("zh" for Chinese, anything else English).
func FeedbackText(inc *incident.Incident, fb Feedback, lang, baseURL string) (subject, body string) {
	zh := strings.HasPrefix(strings.ToLower(lang), "zh")
	title := oneLine(clipRunes(inc.Title, maxTitle))
	link := IncidentURL(baseURL, inc.Number)
	var b strings.Builder
	switch {
	case fb == FeedbackReceived && zh:
		subject = fmt.Sprintf("报告已受理：%s %s", inc.Number, title)
		fmt.Fprintf(&b, "感谢您的报告“%s”。该报告已登记，编号 %s，应急响应中心已收到通知。处理结果将另行告知您。\n\n查看进展：%s\n", title, inc.Number, link)
	case fb == FeedbackReceived:
		subject = fmt.Sprintf("Report received: %s %s", inc.Number, title)
		fmt.Fprintf(&b, "Thank you for your report \"%s\". It is recorded as %s and the response center has been notified. You will be told the outcome.\n\nFollow it here: %s\n", title, inc.Number, link)
	case inc.Stage == incident.Rejected && zh:
		_, why := rejectionText(inc)
		subject = fmt.Sprintf("报告未立案：%s %s", inc.Number, title)
		fmt.Fprintf(&b, "事件鉴定小组已审核您的报告“%s”（%s），未作为事件立案：%s。\n", title, inc.Number, why)
		if n := strings.TrimSpace(inc.Rejection.Note); n != "" {
			fmt.Fprintf(&b, "\n说明：%s\n", clipRunes(n, maxQuoted))
		}
		fmt.Fprintf(&b, "\n详情：%s\n", link)
	case inc.Stage == incident.Rejected:
		why, _ := rejectionText(inc)
		subject = fmt.Sprintf("Report not taken on: %s %s", inc.Number, title)
		fmt.Fprintf(&b, "Your report \"%s\" (%s) was reviewed by the assessment group and not taken on as an incident: %s.\n", title, inc.Number, why)
		if n := strings.TrimSpace(inc.Rejection.Note); n != "" {
			fmt.Fprintf(&b, "\nNote: %s\n", clipRunes(n, maxQuoted))
		}
		fmt.Fprintf(&b, "\nDetails: %s\n", link)
	case zh:
		subject = fmt.Sprintf("事件已关闭：%s %s", inc.Number, title)
		fmt.Fprintf(&b, "您报告的事件“%s”（%s）已处理完毕并关闭。\n", title, inc.Number)
		if s := strings.TrimSpace(inc.Review.Summary); s != "" {
			fmt.Fprintf(&b, "\n评估总结：%s\n", clipRunes(s, maxQuoted))
		}
		fmt.Fprintf(&b, "\n详情：%s\n", link)
	default:
		subject = fmt.Sprintf("Incident closed: %s %s", inc.Number, title)
		fmt.Fprintf(&b, "The incident you reported, \"%s\" (%s), has been handled and is now closed.\n", title, inc.Number)
		if s := strings.TrimSpace(inc.Review.Summary); s != "" {
			fmt.Fprintf(&b, "\nReview summary: %s\n", clipRunes(s, maxQuoted))
		}
		fmt.Fprintf(&b, "\nDetails: %s\n", link)
	}
	return fitBytes(drill(inc)+subject, MaxSubject), fitBytes(b.String(), MaxBody)
}

// rejectionText says why inc was rejected, in English and in Chinese.
func rejectionText(inc *incident.Incident) (en, zh string) {
	switch inc.Rejection.Reason {
	case incident.Duplicate:
		if d := inc.Rejection.DuplicateOf; d != "" {
			return "it duplicates " + d + ", which is being handled and to which the report was added",
				"与 " + d + " 重复，已并入该事件一并处理"
		}
		return "it duplicates an incident already being handled", "与正在处理的事件重复"
	case incident.FalsePositive:
		return "it was assessed as a false positive", "经判定为误报"
	}
	return "it was not confirmed as an incident", "未被确认为安全事件"
}

func drill(inc *incident.Incident) string {
	if inc.Drill {
		return DrillTag
	}
	return ""
}

func lastEntry(inc *incident.Incident, kind incident.EntryKind) (incident.Entry, bool) {
	for i := len(inc.Timeline) - 1; i >= 0; i-- {
		if inc.Timeline[i].Kind == kind {
			return inc.Timeline[i], true
		}
	}
	return incident.Entry{}, false
}

func levelNames(l incident.Level) string {
	if li, ok := l.Info(); ok {
		return li.NameEN + " " + li.NameZH
	}
	return string(l)
}

func nameEN(l incident.Level) string {
	if li, ok := l.Info(); ok {
		return li.NameEN
	}
	return string(l)
}

func nameZH(l incident.Level) string {
	if li, ok := l.Info(); ok {
		return li.NameZH
	}
	return string(l)
}

func categoryNames(c incident.Category) string {
	if ci, ok := c.Info(); ok {
		return ci.NameEN + " " + ci.NameZH
	}
	if c == "" {
		return "not set yet 尚未确定"
	}
	return string(c)
}

// clipRunes shortens s to at most n runes, marking a cut with an ellipsis.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// fitBytes shortens s to at most n bytes on a rune boundary, marking a cut
// with an ellipsis.
func fitBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	return cutBytes(s, n-len(ellipsis)) + ellipsis
}

// cutBytes is the longest prefix of s of at most n bytes that ends on a
// rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// oneLine folds line breaks (a header, a chat title) into spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}
