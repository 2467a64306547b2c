package share

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxMaskPattern bounds a configured pattern's length.
const MaxMaskPattern = 1000

// LoadMaskConfig reads the masking configuration file at path
// (TOCSIN_MASK_FILE). See ParseMaskConfig.
func LoadMaskConfig(path string) (MaskConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return MaskConfig{}, fmt.Errorf("masking configuration: %w", err)
	}
	return ParseMaskConfig(path, data)
}

// ParseMaskConfig reads a MaskConfig from YAML; name is the file's name
// for error messages, which give file:line. It reports every problem at
// once (*MaskConfigError), each as "name:line: field: message": unknown
// or repeated keys, unknown classes, patterns that are not RE2 or match
// the empty string, rule names missing, repeated or taken by a built-in,
// unknown built-ins in disable, bad domains and bad CIDR prefixes. An
// empty file is valid: the built-ins with the default internal domains
// and networks.
//
//	disable: [name_label_en]
//	internal_domains: [corp.example.com]
//	internal_networks: [203.0.113.0/24]
//	rules:
//	  - name: employee_number
//	    class: name
//	    pattern: '\bEMP-\d{6}\b'
func ParseMaskConfig(name string, src []byte) (MaskConfig, error) {
	p := &maskParser{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return MaskConfig{}, &MaskConfigError{Problems: []string{fmt.Sprintf("%s: %v", name, err)}}
	}
	if len(doc.Content) > 0 {
		p.top(doc.Content[0])
	}
	if len(p.problems) > 0 {
		return MaskConfig{}, &MaskConfigError{Problems: p.problems}
	}
	return p.c, nil
}

type maskParser struct {
	file     string
	c        MaskConfig
	problems []string
}

func (p *maskParser) errorf(n *yaml.Node, field, format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf("%s:%d: %s: %s", p.file, n.Line, field, fmt.Sprintf(format, args...)))
}

// pairs walks a mapping, reporting unknown and repeated keys.
func (p *maskParser) pairs(n *yaml.Node, field string, known []string, f func(key string, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, field, "must be a mapping with keys %s", strings.Join(known, ", "))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !slices.Contains(known, k.Value):
			p.errorf(k, field, "unknown key %q (known: %s)", k.Value, strings.Join(known, ", "))
		case seen[k.Value]:
			p.errorf(k, field, "%q is given twice", k.Value)
		default:
			seen[k.Value] = true
			f(k.Value, v)
		}
	}
}

func (p *maskParser) top(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	p.pairs(n, "mask", []string{"disable", "rules", "internal_domains", "internal_networks"}, func(key string, v *yaml.Node) {
		switch key {
		case "disable":
			for _, s := range p.strings(v, key) {
				if msg := checkDisable(s.Value); msg != "" {
					p.errorf(s, key, "%q %s", s.Value, msg)
					continue
				}
				p.c.Disable = append(p.c.Disable, s.Value)
			}
		case "internal_domains":
			for _, s := range p.strings(v, key) {
				d, msg := normalizeDomain(s.Value)
				if msg != "" {
					p.errorf(s, key, "%q %s", s.Value, msg)
					continue
				}
				p.c.InternalDomains = append(p.c.InternalDomains, d)
			}
		case "internal_networks":
			for _, s := range p.strings(v, key) {
				if msg := checkNetwork(s.Value); msg != "" {
					p.errorf(s, key, "%q %s", s.Value, msg)
					continue
				}
				p.c.InternalNetworks = append(p.c.InternalNetworks, strings.TrimSpace(s.Value))
			}
		case "rules":
			p.rules(v)
		}
	})
}

// strings reads a list of strings (a single string counts as a list of one).
func (p *maskParser) strings(n *yaml.Node, field string) []*yaml.Node {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []*yaml.Node
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			p.errorf(it, field, "must be a list of strings")
			continue
		}
		out = append(out, it)
	}
	return out
}

func (p *maskParser) rules(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "rules", "must be a list of rules (name, class, pattern)")
		return
	}
	seen := map[string]bool{}
	for i, item := range n.Content {
		field := fmt.Sprintf("rules[%d]", i)
		var r MaskRule
		nodes := map[string]*yaml.Node{}
		ok := true
		p.pairs(item, field, []string{"name", "class", "pattern"}, func(key string, v *yaml.Node) {
			nodes[key] = v
			if v.Kind != yaml.ScalarNode {
				p.errorf(v, field+"."+key, "must be a string")
				ok = false
				return
			}
			switch key {
			case "name":
				r.Name = strings.TrimSpace(v.Value)
			case "class":
				r.Class = Class(strings.TrimSpace(v.Value))
			case "pattern":
				r.Pattern = v.Value
			}
		})
		if item.Kind != yaml.MappingNode || !ok {
			continue
		}
		at := func(key string) *yaml.Node {
			if v := nodes[key]; v != nil {
				return v
			}
			return item
		}
		if r.Name != "" {
			field = "rules." + r.Name
		}
		if msg := checkRuleName(r.Name, seen); msg != "" {
			p.errorf(at("name"), field+".name", "%s", msg)
			ok = false
		}
		if msg := checkClass(r.Class); msg != "" {
			p.errorf(at("class"), field+".class", "%s", msg)
			ok = false
		}
		if msg := checkPattern(r.Pattern); msg != "" {
			p.errorf(at("pattern"), field+".pattern", "%s", msg)
			ok = false
		}
		if ok {
			p.c.Rules = append(p.c.Rules, r)
		}
	}
}

var ruleName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// checkDisable says what is wrong with a name in disable.
func checkDisable(name string) string {
	if slices.Contains(builtinNames, name) {
		return ""
	}
	return "is not a built-in rule (known: " + strings.Join(builtinNames, ", ") + ")"
}

// checkRuleName says what is wrong with a configured rule's name, and
// records it in seen.
func checkRuleName(name string, seen map[string]bool) string {
	switch {
	case name == "":
		return "is required"
	case !ruleName.MatchString(name):
		return fmt.Sprintf("%q must be lower-case letters, digits, _ and -, at most 63", name)
	case slices.Contains(builtinNames, name):
		return fmt.Sprintf("%q is the name of a built-in rule; choose another (use disable: to turn the built-in off)", name)
	case seen[name]:
		return fmt.Sprintf("%q is used by another rule", name)
	}
	seen[name] = true
	return ""
}

// checkClass says what is wrong with a rule's class.
func checkClass(c Class) string {
	if c == "" {
		return "is required"
	}
	if slices.Contains(Classes(), c) {
		return ""
	}
	known := make([]string, 0, len(Classes()))
	for _, k := range Classes() {
		known = append(known, string(k))
	}
	return fmt.Sprintf("%q is not a class (known: %s)", c, strings.Join(known, ", "))
}

// checkPattern says what is wrong with a rule's pattern.
func checkPattern(pat string) string {
	if strings.TrimSpace(pat) == "" {
		return "is required"
	}
	if len(pat) > MaxMaskPattern {
		return fmt.Sprintf("is longer than %d characters", MaxMaskPattern)
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return "is not a valid RE2 expression: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")
	}
	if re.MatchString("") {
		return "matches the empty string; it must match at least one character"
	}
	return ""
}
