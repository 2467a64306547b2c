package share

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MaskRule is one configurable masking pattern.
type MaskRule struct {
	Name    string `yaml:"name"`
	Class   Class  `yaml:"class"`
	Pattern string `yaml:"pattern"` // RE2; the whole match is masked
}

// MaskConfig configures the Masker (TOCSIN_MASK_FILE, YAML; see
// docs/desensitization.md and share/testdata/mask.example.yaml).
type MaskConfig struct {
	// Disable names built-in rules to turn off.
	Disable []string `yaml:"disable"`
	// Rules are extra patterns.
	Rules []MaskRule `yaml:"rules"`
	// InternalDomains are domain suffixes whose host names are internal
	// addresses (added to the defaults: .local, .lan, .internal, .corp,
	// .intranet, .intra, .localdomain).
	InternalDomains []string `yaml:"internal_domains"`
	// InternalNetworks are CIDR prefixes that are internal beyond RFC 1918,
	// loopback, link-local, CGNAT and IPv6 unique local addresses.
	InternalNetworks []string `yaml:"internal_networks"`
}

// Stars is what a masked secret, or the whole match of a configured rule,
// becomes. Other values keep part of their shape (138****5678).
const Stars = "******"

// RuleInfo describes one masking rule, for the admin page.
type RuleInfo struct {
	Name     string
	Class    Class
	BuiltIn  bool
	Pattern  string // the RE2 pattern that finds candidates
	Disabled bool   // a built-in turned off by the configuration
}

// Masker desensitizes text: names, phone numbers, e-mail addresses, ID
// numbers, credentials and internal addresses, in Chinese and English.
// It is safe for concurrent use.
type Masker struct {
	rules    []*maskRule // enabled, in the order they are applied
	infos    []RuleInfo
	internal *internalSet

	mu    sync.Mutex
	names map[string]*regexp.Regexp // compiled name lists, by list
}

// maskRule is one compiled rule. mask returns the replacement of the
// match at loc (submatch indices into text), or ok false to leave it: a
// candidate that fails a check (a checksum, a word boundary) or a value
// that is already masked.
type maskRule struct {
	name  string
	class Class
	re    *regexp.Regexp
	mask  func(text string, loc []int) (string, bool)
	// need, when set, is a cheap test on the text before masking (and
	// its lower-case form) without which the rule cannot match.
	need func(text, lower string) bool
	// anchor, when set, finds the matches from the places where a literal
	// occurs instead of trying re at every position.
	anchor *anchor
}

// find returns the rule's matches as FindAllStringSubmatchIndex does.
// lower is asciiLower(text).
func (r *maskRule) find(text, lower string) [][]int {
	if r.anchor != nil {
		return r.anchor.find(text, lower)
	}
	return r.re.FindAllStringSubmatchIndex(text, -1)
}

// maxNameLists bounds the cache of compiled name lists; it is cleared
// when full.
const maxNameLists = 256

// NewMasker compiles c (built-ins plus c's rules); errors name the rule.
func NewMasker(c MaskConfig) (*Masker, error) {
	if probs := checkMaskConfig(c); len(probs) > 0 {
		return nil, &MaskConfigError{Problems: probs}
	}
	in, err := newInternalSet(c.InternalDomains, c.InternalNetworks)
	if err != nil {
		return nil, err
	}
	m := &Masker{internal: in, names: map[string]*regexp.Regexp{}}
	for _, r := range c.Rules {
		re := regexp.MustCompile(r.Pattern) // checked above
		m.rules = append(m.rules, &maskRule{name: r.Name, class: r.Class, re: re, mask: wholeMatch})
		m.infos = append(m.infos, RuleInfo{Name: r.Name, Class: r.Class, Pattern: r.Pattern})
	}
	for _, b := range builtins(in) {
		off := slices.Contains(c.Disable, b.name)
		m.infos = append(m.infos, RuleInfo{Name: b.name, Class: b.class, BuiltIn: true, Pattern: b.re.String(), Disabled: off})
		if !off {
			m.rules = append(m.rules, b)
		}
	}
	return m, nil
}

// Rules lists the rules in the order they are applied: configured rules
// first, then the built-ins (disabled ones included, marked).
func (m *Masker) Rules() []RuleInfo { return slices.Clone(m.infos) }

// Mask returns text with every sensitive value of a class not in reveal
// replaced, and how many values it masked by class. names are personal
// names known to appear (the incident's people), masked as Names.
//
// Masking is idempotent (masked text masks to itself, counting nothing)
// and keeps text valid UTF-8 when it was. Full-width digits, letters and
// @ + - . (全角, as typed in Chinese input modes) are read as their ASCII
// forms; a text in which something is masked comes back with them
// half-width (半角), a text with nothing to mask comes back as it was.
func (m *Masker) Mask(text string, reveal []Class, names []string) (string, map[Class]int) {
	if hasFullWidth(text) {
		half := make([]string, len(names))
		for i, n := range names {
			half[i] = toHalfWidth(n)
		}
		out, counts := m.mask(toHalfWidth(text), reveal, half)
		if len(counts) == 0 {
			return text, counts
		}
		return out, counts
	}
	return m.mask(text, reveal, names)
}

func (m *Masker) mask(text string, reveal []Class, names []string) (string, map[Class]int) {
	counts := map[Class]int{}
	if text == "" {
		return text, counts
	}
	orig, origLower := text, asciiLower(text)
	lower := origLower // of text, as rules change it
	for _, r := range m.rules {
		if slices.Contains(reveal, r.class) || r.need != nil && !r.need(orig, origLower) {
			continue
		}
		if locs := r.find(text, lower); locs != nil {
			var changed bool
			if text, changed = apply(locs, r.mask, text, r.class, counts); changed {
				lower = asciiLower(text)
			}
		}
	}
	if !slices.Contains(reveal, Names) && len(names) > 0 {
		if re := m.nameRegexp(names, orig, origLower); re != nil {
			text, _ = apply(re.FindAllStringSubmatchIndex(text, -1), maskKnownName, text, Names, counts)
		}
	}
	return text, counts
}

// isFullWidthAlnum reports the full-width forms of digits, letters and
// the symbols addresses and numbers are made of: ＋ － ． ＠.
func isFullWidthAlnum(r rune) bool {
	return r >= '０' && r <= '９' || r >= 'Ａ' && r <= 'Ｚ' || r >= 'ａ' && r <= 'ｚ' ||
		r == '＋' || r == '－' || r == '．' || r == '＠'
}

// hasFullWidth reports whether s has a rune toHalfWidth changes.
func hasFullWidth(s string) bool {
	if !strings.Contains(s, "\xef\xbc") && !strings.Contains(s, "\xef\xbd") {
		return false
	}
	return strings.IndexFunc(s, isFullWidthAlnum) >= 0
}

// toHalfWidth replaces full-width digits, letters and ＋ － ． ＠ by their
// ASCII forms.
func toHalfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if isFullWidthAlnum(r) {
			return r - 0xFEE0
		}
		return r
	}, s)
}

// apply replaces every match (submatch indices, in order) that mask
// accepts, and reports whether it changed anything.
func apply(locs [][]int, mask func(string, []int) (string, bool), text string, c Class, counts map[Class]int) (string, bool) {
	if locs == nil {
		return text, false
	}
	var b strings.Builder
	last, changed := 0, false
	for _, loc := range locs {
		repl, ok := mask(text, loc)
		if !ok || repl == text[loc[0]:loc[1]] {
			continue
		}
		b.WriteString(text[last:loc[0]])
		b.WriteString(repl)
		last, changed = loc[1], true
		counts[c]++
	}
	if !changed {
		return text, false
	}
	b.WriteString(text[last:])
	return b.String(), true
}

// wholeMatch masks a configured rule's whole match.
func wholeMatch(text string, loc []int) (string, bool) {
	if allStars(text[loc[0]:loc[1]]) {
		return "", false
	}
	return Stars, true
}

// nameRegexp compiles the known names that may occur in text (lower is
// asciiLower(text)) into one pattern, longest first so "Zhang Sanfeng"
// wins over "Zhang San"; nil when there are none.
func (m *Masker) nameRegexp(names []string, text, lower string) *regexp.Regexp {
	var list []string
	var unicodeLower string // strings.ToLower(text), for names beyond ASCII
	for _, n := range names {
		n = strings.TrimSpace(n)
		if utf8.RuneCountInString(n) < 2 || !utf8.ValidString(n) || allStars(n) {
			continue
		}
		// Leave out names that are not in the text: a small pattern is fast.
		first := strings.Fields(n)[0]
		if isASCII(first) {
			if !strings.Contains(lower, asciiLower(first)) {
				continue
			}
		} else {
			if unicodeLower == "" {
				unicodeLower = strings.ToLower(text)
			}
			if !strings.Contains(unicodeLower, strings.ToLower(first)) {
				continue
			}
		}
		if !slices.Contains(list, n) {
			list = append(list, n)
		}
	}
	if len(list) == 0 {
		return nil
	}
	sort.Slice(list, func(i, j int) bool {
		if len(list[i]) != len(list[j]) {
			return len(list[i]) > len(list[j])
		}
		return list[i] < list[j]
	})
	key := strings.Join(list, "\x00")
	m.mu.Lock()
	defer m.mu.Unlock()
	if re, ok := m.names[key]; ok {
		return re
	}
	quoted := make([]string, len(list))
	for i, n := range list {
		// Spaces inside a Latin name match any run of spaces.
		quoted[i] = strings.Join(strings.Fields(regexp.QuoteMeta(n)), `[\s\p{Zs}]+`)
	}
	re := regexp.MustCompile(`(?i)(?:` + strings.Join(quoted, "|") + `)`)
	if len(m.names) >= maxNameLists {
		clear(m.names)
	}
	m.names[key] = re
	return re
}

// maskKnownName masks a known name: Chinese names exactly, Latin names
// only as whole words (Ann is not masked inside Annual).
func maskKnownName(text string, loc []int) (string, bool) {
	s := text[loc[0]:loc[1]]
	if !hasHan(s) && (wordBefore(text, loc[0]) || wordAfter(text, loc[1])) {
		return "", false
	}
	return maskPersonName(s), true
}

// maskPersonName hides a person's name: a Chinese name keeps its surname
// (张**), a Latin name the initial of each word (J*** S****).
func maskPersonName(s string) string {
	if hasHan(s) {
		r, _ := utf8.DecodeRuneInString(s)
		return string(r) + "**"
	}
	words := strings.Fields(s)
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(r) + strings.Repeat("*", utf8.RuneCountInString(w[size:]))
	}
	return strings.Join(words, " ")
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func allStars(s string) bool { return s != "" && strings.Trim(s, "*") == "" }

// isWordRune reports letters and digits, the runes that make a match part
// of a longer word.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) && !unicode.Is(unicode.Han, r) || unicode.IsDigit(r)
}

// wordBefore reports whether the rune before i continues a word.
func wordBefore(text string, i int) bool {
	if i == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return isWordRune(r)
}

// wordAfter reports whether the rune at i continues a word.
func wordAfter(text string, i int) bool {
	if i >= len(text) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return isWordRune(r)
}

// MaskConfigError lists every problem of a masking configuration, each
// as "file:line: field: message" (or "rule name: field: message" for a
// configuration built in code).
type MaskConfigError struct {
	Problems []string
}

func (e *MaskConfigError) Error() string {
	return "invalid masking configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

// checkMaskConfig checks a configuration built in code (ParseMaskConfig
// checks files, with lines).
func checkMaskConfig(c MaskConfig) []string {
	var probs []string
	add := func(where, field, msg string) {
		probs = append(probs, fmt.Sprintf("%s: %s: %s", where, field, msg))
	}
	for _, d := range c.Disable {
		if msg := checkDisable(d); msg != "" {
			add("disable", d, msg)
		}
	}
	seen := map[string]bool{}
	for i, r := range c.Rules {
		where := fmt.Sprintf("rules[%d]", i)
		if r.Name != "" {
			where = "rule " + r.Name
		}
		if msg := checkRuleName(r.Name, seen); msg != "" {
			add(where, "name", msg)
		}
		if msg := checkClass(r.Class); msg != "" {
			add(where, "class", msg)
		}
		if msg := checkPattern(r.Pattern); msg != "" {
			add(where, "pattern", msg)
		}
	}
	for _, d := range c.InternalDomains {
		if _, msg := normalizeDomain(d); msg != "" {
			add("internal_domains", d, msg)
		}
	}
	for _, n := range c.InternalNetworks {
		if msg := checkNetwork(n); msg != "" {
			add("internal_networks", n, msg)
		}
	}
	return probs
}
