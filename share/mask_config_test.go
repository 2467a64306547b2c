package share_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/share"
)

func TestParseMaskConfigExample(t *testing.T) {
	src, err := os.ReadFile("testdata/mask.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := share.ParseMaskConfig("mask.example.yaml", src)
	if err != nil {
		t.Fatalf("the example does not parse: %v", err)
	}
	if !slices.Equal(c.Disable, []string{"name_label_en"}) ||
		!slices.Equal(c.InternalDomains, []string{"corp.example.com", "ad.example.net"}) ||
		!slices.Equal(c.InternalNetworks, []string{"198.18.0.0/15", "2001:db8:100::/48"}) ||
		len(c.Rules) != 3 || c.Rules[0] != (share.MaskRule{Name: "employee_number", Class: share.Names, Pattern: `\bEMP-\d{6}\b`}) {
		t.Fatalf("parsed %+v", c)
	}
	m := newMasker(t, c)
	got, n := m.Mask("EMP-004211 at 198.19.0.7 (vpn.ad.example.net) group-key = s3cr3t, car 粤B12345; Name: Jane Doe", nil, nil)
	want := "****** at 198.*.*.* (***.net) ****** car ******; Name: Jane Doe"
	if got != want || n[share.Names] != 1 || n[share.Internal] != 2 || n[share.Credentials] != 1 || n[share.IDNumbers] != 1 {
		t.Errorf("got %q %v\nwant %q", got, n, want)
	}
}

func TestParseMaskConfigEmpty(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "---\n", "rules:\ndisable:\n"} {
		c, err := share.ParseMaskConfig("m.yaml", []byte(src))
		if err != nil || len(c.Rules)+len(c.Disable)+len(c.InternalDomains)+len(c.InternalNetworks) != 0 {
			t.Errorf("ParseMaskConfig(%q) = %+v, %v", src, c, err)
		}
	}
}

func TestParseMaskConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // every problem, in order
	}{
		{"unknown top key", "disabled: [email]\n", []string{
			`m.yaml:1: mask: unknown key "disabled" (known: disable, rules, internal_domains, internal_networks)`}},
		{"not a mapping", "- a\n", []string{`m.yaml:1: mask: must be a mapping`}},
		{"repeated key", "disable: [email]\ndisable: [jwt]\n", []string{`m.yaml:2: mask: "disable" is given twice`}},
		{"unknown built-in", "disable:\n  - email\n  - phone\n  - jwt\n", []string{
			`m.yaml:3: disable: "phone" is not a built-in rule (known: pem_private_key,`}},
		{"rule problems", `rules:
  - name: staff
    class: salary
    pattern: '(['
  - name: staff
    class: name
    pattern: 'x*'
  - class: phone
    pattern: '\d{5}'
    colour: red
  - name: email
    class: email
    pattern: '@'
  - name: Bad Name
    class: name
    pattern: [a]
`, []string{
			`m.yaml:3: rules.staff.class: "salary" is not a class (known: name, phone, email, id_number, credential, internal_address)`,
			`m.yaml:4: rules.staff.pattern: is not a valid RE2 expression: missing closing ]`,
			`m.yaml:5: rules.staff.name: "staff" is used by another rule`,
			`m.yaml:7: rules.staff.pattern: matches the empty string`,
			`m.yaml:10: rules[2]: unknown key "colour" (known: name, class, pattern)`,
			`m.yaml:8: rules[2].name: is required`,
			`m.yaml:11: rules.email.name: "email" is the name of a built-in rule`,
			`m.yaml:16: rules[4].pattern: must be a string`,
		}},
		{"domains and networks", `internal_domains: [corp.example.com, "*.corp", "bad_domain.com", "测试.cn", ""]
internal_networks:
  - 10.20.0.0/16
  - 10.20.1.1/16
  - 300.1.0.0/16
  - fd00::/8
  - example
`, []string{
			`m.yaml:1: internal_domains: "*.corp" takes a suffix such as corp.example.com, not a wildcard`,
			`m.yaml:1: internal_domains: "bad_domain.com" is not a domain name`,
			`m.yaml:1: internal_domains: "测试.cn" is not a domain name`,
			`m.yaml:1: internal_domains: "" is empty`,
			`m.yaml:4: internal_networks: "10.20.1.1/16" has bits set beyond its prefix length; did you mean 10.20.0.0/16?`,
			`m.yaml:5: internal_networks: "300.1.0.0/16" is not a CIDR prefix`,
			`m.yaml:7: internal_networks: "example" is not a CIDR prefix`,
		}},
		{"rules not a list", "rules: {name: x}\n", []string{`m.yaml:1: rules: must be a list of rules`}},
		{"bad yaml", "disable: [a\n", []string{`m.yaml: yaml:`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := share.ParseMaskConfig("m.yaml", []byte(tt.src))
			var ce *share.MaskConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *MaskConfigError", err)
			}
			if len(ce.Problems) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%s", len(ce.Problems), len(tt.want), strings.Join(ce.Problems, "\n"))
			}
			for i, w := range tt.want {
				if i >= len(ce.Problems) || !strings.HasPrefix(ce.Problems[i], w) {
					t.Errorf("problem %d:\n got %q\nwant prefix %q", i, at(ce.Problems, i), w)
				}
			}
		})
	}
}

func at(ss []string, i int) string {
	if i < len(ss) {
		return ss[i]
	}
	return "(none)"
}
