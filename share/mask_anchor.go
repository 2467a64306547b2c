package share

import (
	"regexp"
	"slices"
	"strings"
)

// anchor speeds up a rule whose every match starts with, or contains, one
// of a few literals. Go's regexp engine tries a pattern at every position
// of the text; an anchored rule instead looks the literals up (a fast
// substring search) and tries the pattern, anchored, only where a match
// could start. The matches are the same as the unanchored pattern's, in
// the same order, without overlaps. Anchored patterns must not match
// across a line break (they are tried on one line).
type anchor struct {
	lits []string // lower-case; ASCII letters match either case
	// word: a match starting with an ASCII letter or digit must not
	// follow one (the pattern's leading \b).
	word bool
	// back, when set, gives where a match containing the literal at i
	// starts (an e-mail address contains "@"); nil: at i.
	back func(t string, i int) int
	re   *regexp.Regexp // ^(?:pattern)
}

// anchored makes r find its matches from the literals lits.
func (r *maskRule) anchored(word bool, back func(string, int) int, lits ...string) *maskRule {
	r.anchor = &anchor{lits: lits, word: word, back: back, re: regexp.MustCompile(`^(?:` + r.re.String() + `)`)}
	return r
}

func (a *anchor) find(text string) [][]int {
	lower := asciiLower(text)
	var starts []int
	for _, lit := range a.lits {
		for off := 0; off < len(lower); {
			i := strings.Index(lower[off:], lit)
			if i < 0 {
				break
			}
			i += off
			off = i + len(lit)
			s := i
			if a.back != nil {
				s = a.back(text, i)
			}
			if a.word && s < len(text) && isASCIIWord(rune(text[s])) && asciiWordBefore(text, s) {
				continue
			}
			starts = append(starts, s)
		}
	}
	if starts == nil {
		return nil
	}
	slices.Sort(starts)
	starts = slices.Compact(starts)
	var locs [][]int
	next := 0
	for _, s := range starts {
		if s < next {
			continue
		}
		loc := a.match(text, s)
		if loc == nil {
			continue
		}
		for i := range loc {
			if loc[i] >= 0 {
				loc[i] += s
			}
		}
		locs = append(locs, loc)
		next = max(loc[1], s+1)
	}
	return locs
}

// match tries the anchored pattern at s on the rest of s's line (with its
// line break): no anchored pattern crosses a line break, and the engine's
// cost grows with the input it is given, not with the match.
func (a *anchor) match(text string, s int) []int {
	end := len(text)
	if nl := strings.IndexByte(text[s:], '\n'); nl >= 0 {
		end = s + nl + 1
	}
	return a.re.FindStringSubmatchIndex(text[s:end])
}

// asciiLower lower-cases ASCII letters only, so offsets stay the same.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && !(s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if b[i] >= 'A' && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// backOver returns a back function that walks left over the bytes in set.
func backOver(set string) func(string, int) int {
	return func(t string, i int) int {
		for i > 0 && strings.IndexByte(set, t[i-1]) >= 0 {
			i--
		}
		return i
	}
}

const (
	alnum      = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	hexDigits  = "0123456789abcdefABCDEF"
	emailLocal = alnum + "._%+-"
	hostChars  = alnum + ".-"
	schemeChar = alnum + "+.-"
)
