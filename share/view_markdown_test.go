package share_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/share"
)

func TestMarkdownHeaderAndSections(t *testing.T) {
	v := share.BuildView(sensitiveIncident(), share.Verdict{Allowed: true, Basis: share.ByRule, By: "SR-0123456789ab",
		Sections: []share.Section{share.Description, share.Measures, share.Contacts}}, maskerFor(t))
	v.At = time.Date(2026, 11, 21, 23, 30, 0, 0, time.FixedZone("CST", 8*3600))

	tests := []struct {
		lang     string
		want     []string
		dontWant []string
	}{
		{"en", []string{
			"# INC-2026-000042 王\\*\\* reports ransomware on 10.\\*.\\*.\\*\n",
			"> Desensitized shared copy",
			"> Basis: attribute rule SR-0123456789ab\n",
			"> Date: 2026-11-21\n",
			"## Overview\n", "- Level: Serious\n", "- Category: Malicious program", "- Stage: Closed\n",
			"- Drill: yes", "- Reported at: 2026-11-20 08:30 UTC\n",
			"## Description\n", "## Response measures\n", "## Contacts\n",
			"- Reporter: 王\\*\\*\n", "- Assignee: Network team\n",
			"Isolate host — Handle, done — assignee: 李\\*\\* — result: 李\\*\\* pulled",
			"- Masked values: name ", ", credential 2, internal address ",
		}, []string{"## Timeline", "## Affected assets", "## Review", "隔离主机"}},
		{"zh", []string{
			"> 脱敏共享副本",
			"> 授权依据：属性授权 SR-0123456789ab\n",
			"> 日期：2026-11-21\n",
			"## 概况\n", "- 级别：严重事件\n", "- 演练：是", "## 事件描述\n", "## 处置措施\n", "## 相关人员\n",
			"- 报告人：王\\*\\*\n", "隔离主机 — 事件处理, 已完成", "- 已隐藏：姓名 ",
		}, []string{"## Overview", "Isolate host"}},
	}
	for _, tt := range tests {
		md := string(v.Markdown(tt.lang))
		for _, w := range tt.want {
			if !strings.Contains(md, w) {
				t.Errorf("%s Markdown lacks %q:\n%s", tt.lang, w, md)
			}
		}
		for _, w := range tt.dontWant {
			if strings.Contains(md, w) {
				t.Errorf("%s Markdown has %q:\n%s", tt.lang, w, md)
			}
		}
	}
}

// Text of the incident cannot inject links, images, HTML, code or
// structure into a copy.
func TestMarkdownEscapesValues(t *testing.T) {
	payloads := []string{
		"[click](https://evil.example/x)",
		"![pixel](https://evil.example/p.png)",
		"<img src=x onerror=alert(1)>",
		"<script>alert(1)</script>",
		"&lt;b&gt; entity",
		"<https://evil.example>",
		"see https://evil.example/login now",
		"visit www.evil.example today",
		"`code` and ```fence",
		"**bold** _em_ ~~strike~~ | a | b |",
		"[ref]: https://evil.example",
		"trailing backslash \\",
	}
	blockPayloads := []string{
		"# Heading\n## Sub\n> quote\n- item\n+ item\n1. one\n2) two\n---\n===\n    indented code\n```\nfenced\n```\n<div>html</div>",
	}
	m := newMasker(t, share.MaskConfig{})
	for _, p := range append(payloads, blockPayloads...) {
		inc := sensitiveIncident()
		inc.Title = p
		inc.Description = p
		inc.AffectedAssets = []string{p}
		inc.Timeline[0].Note = p
		inc.Tasks[0].Title, inc.Tasks[0].Result = p, p
		inc.Plan.Measures = p
		inc.Review.Summary, inc.Review.RootCause, inc.Review.Lessons = p, p, p
		inc.Review.Actions[0].Title = p
		inc.Assignees[1].Name = p
		v := share.BuildView(inc, share.Verdict{Allowed: true, Basis: share.ByRule, By: "SR-1", Sections: share.Sections(),
			Reveal: share.Classes()}, m)
		for _, lang := range []string{"en", "zh"} {
			md := string(v.Markdown(lang))
			for _, bad := range []string{"[", "]", "(", ")", "<", ">", "!", "`", "*", "_", "~", "|", "&"} {
				if i := unescaped(md, bad); i >= 0 {
					t.Errorf("payload %q (%s): unescaped %q at %d: %q", p, lang, bad, i, md[max(0, i-20):min(len(md), i+20)])
				}
			}
			for _, bad := range []string{"https://", "www.evil"} {
				if strings.Contains(md, bad) {
					t.Errorf("payload %q (%s): %q can autolink", p, lang, bad)
				}
			}
			for ln := range strings.Lines(md) {
				if strings.HasPrefix(ln, "    ") || strings.HasPrefix(ln, "\t") {
					t.Errorf("payload %q (%s): indented line %q", p, lang, ln)
				}
				if !ourLine(ln) {
					t.Errorf("payload %q (%s): value starts a line as structure: %q", p, lang, ln)
				}
			}
		}
	}
}

// unescaped finds s in md not preceded by a backslash (that is itself not
// escaped), skipping the quote markers ("> ") the header writes; -1 if
// none.
func unescaped(md, s string) int {
	for i := 0; i < len(md); i++ {
		if !strings.HasPrefix(md[i:], s) {
			continue
		}
		if s == ">" && (i == 0 || md[i-1] == '\n') {
			continue // the header's block quote
		}
		bs := 0
		for j := i - 1; j >= 0 && md[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 0 {
			return i
		}
	}
	return -1
}

// ourLine reports whether a line starts as the renderer writes lines:
// headings, the header quote, list items, or escaped text.
func ourLine(ln string) bool {
	ln = strings.TrimSuffix(ln, "\n")
	switch {
	case ln == "", strings.HasPrefix(ln, "# "), strings.HasPrefix(ln, "## "), strings.HasPrefix(ln, "### "),
		strings.HasPrefix(ln, "> ") || ln == ">", strings.HasPrefix(ln, "- "):
		return true
	}
	c := ln[0]
	if c == '\\' {
		return true
	}
	if c == '#' || c == '>' || c == '-' || c == '+' || c == '=' || c == '*' || c == '`' || c == '~' || c == '<' || c == '|' {
		return false
	}
	i := 0
	for i < len(ln) && ln[i] >= '0' && ln[i] <= '9' {
		i++
	}
	return !(i > 0 && i < len(ln) && (ln[i] == '.' || ln[i] == ')'))
}

func TestMarkdownTimeline(t *testing.T) {
	v := share.BuildView(sensitiveIncident(), share.Verdict{Allowed: true, Basis: share.ByEmergency, By: "SG-0123456789ab",
		Sections: []share.Section{share.Timeline}}, maskerFor(t))
	for lang, want := range map[string][]string{
		"en": {"> Basis: emergency grant SG-0123456789ab\n", "## Timeline\n",
			"- 2026-11-20 08:30 UTC — 王\\*\\* — reported — reported from 10.\\*.\\*.\\*\n",
			"- 2026-11-22 08:30 UTC — J\\*\\*\\* S\\*\\*\\*\\* — stage: Review → Closed — done\n"},
		"zh": {"> 授权依据：应急授权 SG-0123456789ab\n", "## 时间线\n",
			"- 2026-11-20 08:31 UTC — Tocsin — 升级通知 — paged j\\*\\*\\*\\*\\* at +86 139 \\*\\*\\*\\* 5678\n",
			"— 阶段变更：后期评估与改进 → 已关闭 — done\n"},
	} {
		md := string(v.Markdown(lang))
		for _, w := range want {
			if !strings.Contains(md, w) {
				t.Errorf("%s Markdown lacks %q:\n%s", lang, w, md)
			}
		}
		if strings.Contains(md, "> Date") || strings.Contains(md, "> 日期") {
			t.Errorf("%s Markdown has a date though the view has none", lang)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// A whole copy in each language, every section, against a golden file
// (go test ./share -run TestMarkdownGolden -update rewrites them).
func TestMarkdownGolden(t *testing.T) {
	v := share.BuildView(sensitiveIncident(), share.Verdict{Allowed: true, Basis: share.ByApplication, By: "SG-0123456789ab",
		Sections: share.Sections(), Reveal: []share.Class{share.Phones}}, maskerFor(t))
	v.At = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, lang := range []string{"en", "zh"} {
		got := v.Markdown(lang)
		path := filepath.Join("testdata", "view."+lang+".golden.md")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./share -run %s -update to create it)", err, t.Name())
		}
		if string(got) != string(want) {
			t.Errorf("%s copy differs from %s (run with -update if the change is intended):\n%s", lang, path, got)
		}
	}
}
