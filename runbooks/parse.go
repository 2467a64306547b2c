package runbooks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/tocsin-hub/tocsin/incident"
)

// Limits on a runbook file.
const (
	MaxSource   = 256 << 10 // bytes of YAML
	MaxSteps    = 100
	MaxContacts = 30
	MaxRules    = 30
	MaxTitle    = 200 // characters
	MaxText     = incident.MaxTaskText
	MinDuration = time.Minute
	MaxDuration = incident.MaxTaskDuration
)

// Problem is one thing wrong with a runbook file, at a line and column
// (1-based; 0 when the problem is the file's as a whole), with the path of
// the field ("steps.handle[2].duration") and a message in both languages.
type Problem struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Field  string `json:"field,omitempty"`
	EN     string `json:"message"`
	ZH     string `json:"message_zh"`
}

// String is the problem as a compiler would print it:
// "ransomware.yaml:12:5: steps.handle[0].duration: ...".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.EN)
	return b.String()
}

// Problems is every problem found in a runbook, in the order of the file.
type Problems []Problem

func (ps Problems) Error() string {
	switch len(ps) {
	case 0:
		return "no problems"
	case 1:
		return "1 problem: " + ps[0].String()
	}
	return fmt.Sprintf("%d problems, the first: %s", len(ps), ps[0].String())
}

// ErrInvalid is matched (with errors.Is) by every Problems error.
var ErrInvalid = errors.New("invalid runbook")

// Is makes errors.Is(ps, ErrInvalid) true.
func (ps Problems) Is(target error) bool { return target == ErrInvalid }

var (
	idPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
	stepPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	rolePattern    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	teamPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)
	phonePattern   = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{1,30}$`)
	yamlLineRE     = regexp.MustCompile(`line (\d+)`)
	yamlLinePrefix = regexp.MustCompile(`^line \d+: `)
)

// Parse reads one runbook from a YAML file named file (used in problems
// only). It checks everything and reports every problem it finds, each
// with its line, as Problems; nothing is returned then. The runbook's
// Version is left 0 for the caller to set.
func Parse(file string, data []byte) (*Runbook, error) {
	r := &reader{file: file}
	rb := r.parse(data)
	if len(r.probs) > 0 {
		sort.SliceStable(r.probs, func(i, j int) bool {
			a, b := r.probs[i], r.probs[j]
			return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
		})
		return nil, Problems(r.probs)
	}
	rb.Source = string(data)
	return rb, nil
}

// reader walks the YAML tree, building the runbook and collecting problems.
type reader struct {
	file  string
	probs []Problem
}

func (r *reader) bad(n *yaml.Node, field, en, zh string) {
	p := Problem{File: r.file, Field: field, EN: en, ZH: zh}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	r.probs = append(r.probs, p)
}

func (r *reader) parse(data []byte) *Runbook {
	rb := &Runbook{}
	if len(data) > MaxSource {
		r.bad(nil, "", fmt.Sprintf("the file is larger than %d KiB", MaxSource>>10), fmt.Sprintf("文件超过 %d KiB", MaxSource>>10))
		return rb
	}
	if !utf8.Valid(data) {
		r.bad(nil, "", "the file is not UTF-8 text", "文件不是 UTF-8 文本")
		return rb
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			r.bad(nil, "", "the file is empty", "文件为空")
			return rb
		}
		r.syntax(err)
		return rb
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		r.bad(&more, "", "one runbook per file: remove the second document (after ---)", "每个文件只能有一个预案：请删除第二个文档（--- 之后）")
	} else if !errors.Is(err, io.EOF) {
		r.syntax(err)
	}
	if len(doc.Content) == 0 {
		r.bad(nil, "", "the file is empty", "文件为空")
		return rb
	}
	root := doc.Content[0]
	seen := r.fields(root, "", map[string]func(*yaml.Node){
		"id": func(v *yaml.Node) {
			rb.ID = r.str(v, "id")
			if rb.ID != "" && !idPattern.MatchString(rb.ID) {
				r.bad(v, "id", "an id is 2 to 63 lower-case letters, digits or dashes, starting with a letter or digit (e.g. web-intrusion)",
					"编号须为 2 到 63 个小写字母、数字或短横线，以字母或数字开头（如 web-intrusion）")
			}
		},
		"title":   func(v *yaml.Node) { rb.Title = r.text(v, "title", MaxTitle, true) },
		"summary": func(v *yaml.Node) { rb.Summary = r.text(v, "summary", 0, true) },
		"categories": func(v *yaml.Node) {
			before := len(r.probs)
			r.list(v, "categories", func(p string, n *yaml.Node) {
				c := incident.Category(r.str(n, p))
				switch {
				case c == "":
				case !c.Valid():
					r.bad(n, p, "unknown category "+strconv.Quote(string(c))+"; use one of "+categoryCodes(),
						"未知的事件类别 "+strconv.Quote(string(c))+"，可用："+categoryCodes())
				case slices.Contains(rb.Categories, c):
					r.bad(n, p, "listed twice", "重复列出")
				default:
					rb.Categories = append(rb.Categories, c)
				}
			})
			if len(rb.Categories) == 0 && len(r.probs) == before {
				r.bad(v, "categories", "name at least one category", "请至少列出一个事件类别")
			}
		},
		"levels": func(v *yaml.Node) {
			r.list(v, "levels", func(p string, n *yaml.Node) {
				l := incident.Level(r.str(n, p))
				switch {
				case l == "":
				case !l.Valid():
					r.bad(n, p, "a level is ordinary, serious or special", "级别须为 ordinary、serious 或 special")
				case slices.Contains(rb.Levels, l):
					r.bad(n, p, "listed twice", "重复列出")
				default:
					rb.Levels = append(rb.Levels, l)
				}
			})
		},
		"steps": func(v *yaml.Node) { r.steps(v, rb) },
		"contacts": func(v *yaml.Node) {
			r.list(v, "contacts", func(p string, n *yaml.Node) { rb.Contacts = append(rb.Contacts, r.contact(n, p)) })
			if len(rb.Contacts) > MaxContacts {
				r.bad(v, "contacts", fmt.Sprintf("at most %d contacts", MaxContacts), fmt.Sprintf("外部联系人最多 %d 个", MaxContacts))
			}
		},
		"communication": func(v *yaml.Node) {
			before := len(r.probs)
			r.list(v, "communication", func(p string, n *yaml.Node) { rb.Rules = append(rb.Rules, r.rule(n, p)) })
			if len(rb.Rules) == 0 && len(r.probs) == before {
				r.bad(v, "communication", "say who must be told, and when: at least one rule", "请至少写一条沟通规则：需要通知谁、何时通知")
			}
			if len(rb.Rules) > MaxRules {
				r.bad(v, "communication", fmt.Sprintf("at most %d rules", MaxRules), fmt.Sprintf("沟通规则最多 %d 条", MaxRules))
			}
		},
	})
	if seen == nil {
		return rb
	}
	r.require(root, "", seen, "id", "title", "summary", "categories", "steps", "communication")
	return rb
}

// syntax reports a YAML syntax error at the line yaml.v3 names.
func (r *reader) syntax(err error) {
	line := 0
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = yamlLinePrefix.ReplaceAllString(msg, "")
	r.probs = append(r.probs, Problem{File: r.file, Line: line, Column: 1,
		EN: "YAML syntax error at or after this line: " + msg, ZH: "YAML 语法错误（在此行或之后）：" + msg})
}

func categoryCodes() string {
	var codes []string
	for _, c := range incident.Categories() {
		codes = append(codes, string(c.Category))
	}
	return strings.Join(codes, ", ")
}

// usable reports whether n can be read: anchors and aliases are refused,
// so what a reader sees is what the file says.
func (r *reader) usable(n *yaml.Node, path string) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		r.bad(n, path, "anchors and aliases (&, *) are not allowed: write the value out", "不允许使用锚点和别名（&、*）：请直接写出内容")
		return false
	}
	return true
}

// fields reads mapping n, calling readers[key] for each key, and returns
// the keys seen (nil when n is not a mapping). Unknown and repeated keys
// are problems.
func (r *reader) fields(n *yaml.Node, path string, readers map[string]func(*yaml.Node)) map[string]bool {
	if !r.usable(n, path) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		r.bad(n, path, "expected a mapping (key: value lines)", "应为映射（键: 值）")
		return nil
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub := join(path, k.Value)
		read, ok := readers[k.Value]
		switch {
		case !ok:
			known := make([]string, 0, len(readers))
			for name := range readers {
				known = append(known, name)
			}
			sort.Strings(known)
			r.bad(k, sub, "unknown key; expected one of "+strings.Join(known, ", "), "未知的键，可用："+strings.Join(known, ", "))
		case seen[k.Value]:
			r.bad(k, sub, "given twice", "重复给出")
		default:
			seen[k.Value] = true
			if r.usable(v, sub) {
				read(v)
			}
		}
	}
	return seen
}

// require reports the keys of mapping n missing from seen.
func (r *reader) require(n *yaml.Node, path string, seen map[string]bool, keys ...string) {
	for _, k := range keys {
		if !seen[k] {
			r.bad(n, join(path, k), "missing: "+k+" is required", "缺少必填项 "+k)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// list reads sequence n, calling item for each element with its path.
func (r *reader) list(n *yaml.Node, path string, item func(path string, v *yaml.Node)) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		r.bad(n, path, "expected a list (lines starting with -)", "应为列表（以 - 开头的行）")
		return
	}
	for i, v := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		if r.usable(v, p) {
			item(p, v)
		}
	}
}

// str reads a scalar as text (numbers such as a phone number included).
func (r *reader) str(n *yaml.Node, path string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		r.bad(n, path, "expected a single value", "应为单个值")
		return ""
	}
	return strings.TrimSpace(n.Value)
}

func (r *reader) boolean(n *yaml.Node, path string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		r.bad(n, path, "expected true or false", "应为 true 或 false")
		return false
	}
	return n.Value == "true"
}

func (r *reader) duration(n *yaml.Node, path string, min time.Duration) time.Duration {
	s := r.str(n, path)
	if s == "" {
		return 0
	}
	d, err := ParseDuration(s)
	switch {
	case err != nil:
		r.bad(n, path, "not a duration: write it like 30m, 2h, 1h30m or 1d", "不是有效的时长：请写成 30m、2h、1h30m 或 1d")
	case d < min || d > MaxDuration:
		r.bad(n, path, fmt.Sprintf("a duration is between %s and %s", FormatDuration(min), FormatDuration(MaxDuration)),
			fmt.Sprintf("时长须在 %s 到 %s 之间", FormatDuration(min), FormatDuration(MaxDuration)))
	}
	return d
}

// text reads {en: ..., zh: ...}. Both languages are required when
// required is set; maxRunes limits each (0: MaxText bytes).
func (r *reader) text(n *yaml.Node, path string, maxRunes int, required bool) Text {
	var t Text
	seen := r.fields(n, path, map[string]func(*yaml.Node){
		"en": func(v *yaml.Node) { t.EN = r.str(v, join(path, "en")) },
		"zh": func(v *yaml.Node) { t.ZH = r.str(v, join(path, "zh")) },
	})
	if seen == nil {
		return t
	}
	for _, lang := range []struct {
		key string
		v   string
	}{{"en", t.EN}, {"zh", t.ZH}} {
		switch {
		case lang.v == "" && (required || t.EN != "" || t.ZH != ""):
			r.bad(n, join(path, lang.key), "give the text in English (en) and Chinese (zh)", "请同时给出英文（en）和中文（zh）")
		case maxRunes > 0 && utf8.RuneCountInString(lang.v) > maxRunes:
			r.bad(n, join(path, lang.key), fmt.Sprintf("at most %d characters", maxRunes), fmt.Sprintf("最多 %d 个字符", maxRunes))
		case maxRunes == 0 && len(lang.v) > MaxText:
			r.bad(n, join(path, lang.key), fmt.Sprintf("at most %d bytes", MaxText), fmt.Sprintf("最多 %d 字节", MaxText))
		}
	}
	return t
}

// steps reads the steps mapping: confirm, plan and handle lists.
func (r *reader) steps(n *yaml.Node, rb *Runbook) {
	ids := map[string]bool{}
	byStage := map[incident.Stage][]Step{}
	seen := r.fields(n, "steps", map[string]func(*yaml.Node){
		"confirm": func(v *yaml.Node) { byStage[incident.Confirm] = r.stepList(v, incident.Confirm, ids) },
		"plan":    func(v *yaml.Node) { byStage[incident.Plan] = r.stepList(v, incident.Plan, ids) },
		"handle":  func(v *yaml.Node) { byStage[incident.Handle] = r.stepList(v, incident.Handle, ids) },
	})
	if seen == nil {
		return
	}
	if len(byStage[incident.Handle]) == 0 && !seen["handle"] {
		r.bad(n, "steps.handle", "a runbook needs handling steps (steps.handle)", "预案需要处置步骤（steps.handle）")
	}
	for _, s := range incident.TaskStages() {
		rb.Steps = append(rb.Steps, byStage[s]...)
	}
	if len(rb.Steps) > MaxSteps {
		r.bad(n, "steps", fmt.Sprintf("at most %d steps", MaxSteps), fmt.Sprintf("步骤最多 %d 个", MaxSteps))
	}
}

func (r *reader) stepList(n *yaml.Node, stage incident.Stage, ids map[string]bool) []Step {
	var out []Step
	path := "steps." + string(stage)
	r.list(n, path, func(p string, v *yaml.Node) { out = append(out, r.step(v, p, stage, ids)) })
	if len(out) == 0 && stage == incident.Handle && (n.Kind == yaml.SequenceNode || n.Tag == "!!null") {
		r.bad(n, path, "list at least one handling step", "请至少列出一个处置步骤")
	}
	return out
}

func (r *reader) step(n *yaml.Node, path string, stage incident.Stage, ids map[string]bool) Step {
	s := Step{Stage: stage}
	seen := r.fields(n, path, map[string]func(*yaml.Node){
		"id": func(v *yaml.Node) {
			s.ID = r.str(v, path+".id")
			switch {
			case s.ID == "":
			case !stepPattern.MatchString(s.ID):
				r.bad(v, path+".id", "a step id is lower-case letters, digits or dashes (e.g. isolate-hosts)", "步骤编号须为小写字母、数字或短横线（如 isolate-hosts）")
			case ids[s.ID]:
				r.bad(v, path+".id", "another step has this id", "步骤编号重复")
			default:
				ids[s.ID] = true
			}
		},
		"title":  func(v *yaml.Node) { s.Title = r.text(v, path+".title", MaxTitle, true) },
		"detail": func(v *yaml.Node) { s.Detail = r.text(v, path+".detail", 0, false) },
		"phase": func(v *yaml.Node) {
			s.Phase = incident.Phase(r.str(v, path+".phase"))
			switch {
			case stage != incident.Handle:
				r.bad(v, path+".phase", "only handling steps have a phase", "只有处置步骤有处置环节（phase）")
			case !s.Phase.Valid():
				r.bad(v, path+".phase", "phase must be isolate, preserve, eradicate, recover, verify or communicate",
					"处置环节须为 isolate、preserve、eradicate、recover、verify 或 communicate")
			}
		},
		"role": func(v *yaml.Node) {
			s.Role = r.str(v, path+".role")
			if s.Role != "" && !rolePattern.MatchString(s.Role) {
				r.bad(v, path+".role", "a role is a lower-case word such as network_engineer", "角色须为小写英文词，如 network_engineer")
			}
		},
		"team": func(v *yaml.Node) {
			s.Team = r.str(v, path+".team")
			if s.Team != "" && !teamPattern.MatchString(s.Team) {
				r.bad(v, path+".team", "a team id is letters, digits or . _ : @ -", "团队编号须为字母、数字或 . _ : @ -")
			}
		},
		"required": func(v *yaml.Node) { s.Required = r.boolean(v, path+".required") },
		"duration": func(v *yaml.Node) { s.Duration = r.duration(v, path+".duration", MinDuration) },
		"evidence": func(v *yaml.Node) { s.Evidence = r.text(v, path+".evidence", 0, true) },
	})
	if seen == nil {
		return s
	}
	r.require(n, path, seen, "id", "title", "required", "duration", "evidence")
	if stage == incident.Handle && !seen["phase"] {
		r.bad(n, path+".phase", "a handling step needs its phase: isolate, preserve, eradicate, recover, verify or communicate",
			"处置步骤需要处置环节：isolate、preserve、eradicate、recover、verify 或 communicate")
	}
	if !seen["role"] && !seen["team"] {
		r.bad(n, path+".role", "say who does it: a role (e.g. network_engineer) or a team", "请说明由谁执行：角色（如 network_engineer）或团队")
	}
	return s
}

func (r *reader) contact(n *yaml.Node, path string) Contact {
	var c Contact
	seen := r.fields(n, path, map[string]func(*yaml.Node){
		"name": func(v *yaml.Node) { c.Name = r.text(v, path+".name", MaxTitle, true) },
		"kind": func(v *yaml.Node) {
			c.Kind = r.str(v, path+".kind")
			if c.Kind != "" && !slices.Contains(ContactKinds, c.Kind) {
				r.bad(v, path+".kind", "kind must be one of "+strings.Join(ContactKinds, ", "), "类型须为："+strings.Join(ContactKinds, ", "))
			}
		},
		"phone": func(v *yaml.Node) {
			c.Phone = r.str(v, path+".phone")
			if c.Phone != "" && !phonePattern.MatchString(c.Phone) {
				r.bad(v, path+".phone", "not a phone number", "不是有效的电话号码")
			}
		},
		"email": func(v *yaml.Node) {
			c.Email = r.str(v, path+".email")
			if at := strings.Index(c.Email, "@"); c.Email != "" && (at < 1 || at == len(c.Email)-1 || strings.ContainsAny(c.Email, " \t")) {
				r.bad(v, path+".email", "not an e-mail address", "不是有效的电子邮件地址")
			}
		},
		"when": func(v *yaml.Node) { c.When = r.text(v, path+".when", 0, true) },
	})
	if seen != nil {
		r.require(n, path, seen, "name", "kind", "when")
	}
	return c
}

func (r *reader) rule(n *yaml.Node, path string) Rule {
	var ru Rule
	seen := r.fields(n, path, map[string]func(*yaml.Node){
		"audience": func(v *yaml.Node) { ru.Audience = r.text(v, path+".audience", MaxTitle, true) },
		"when":     func(v *yaml.Node) { ru.When = r.text(v, path+".when", 0, true) },
		"within":   func(v *yaml.Node) { ru.Within = r.duration(v, path+".within", MinDuration) },
		"owner": func(v *yaml.Node) {
			ru.Owner = r.str(v, path+".owner")
			if ru.Owner != "" && !rolePattern.MatchString(ru.Owner) {
				r.bad(v, path+".owner", "the owner is a role, a lower-case word such as coordinator", "负责人须为角色，如 coordinator")
			}
		},
		"required": func(v *yaml.Node) { ru.Required = r.boolean(v, path+".required") },
	})
	if seen != nil {
		r.require(n, path, seen, "audience", "when", "owner", "required")
	}
	return ru
}
