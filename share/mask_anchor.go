package share

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
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
	// back, when set, lists the bytes a match may have before its literal
	// (an e-mail address's local part before "@"): the match is tried
	// from the start of the run of them.
	back string
	// first, when set, lists the bytes a match may start with: the try
	// starts at the first of them in the run (after back).
	first string
	re    *regexp.Regexp // ^(?:pattern)
	// max bounds a match's length in bytes; -1: unbounded.
	max int
}

// anchored makes r find its matches from the literals lits.
func (r *maskRule) anchored(word bool, back string, lits ...string) *maskRule {
	r.anchor = &anchor{lits: lits, word: word, back: back, re: regexp.MustCompile(`^(?:` + r.re.String() + `)`), max: -1}
	if t, err := syntax.Parse(r.re.String(), syntax.Perl); err == nil {
		r.anchor.max = maxLen(t)
	}
	return r
}

// startingWith sets the bytes r's anchored matches may start with.
func (r *maskRule) startingWith(first string) *maskRule {
	r.anchor.first = first
	return r
}

// find returns the matches in text (lower is asciiLower(text)) as
// FindAllStringSubmatchIndex would, in time
// linear in the text (each byte is walked back over at most once, and no
// start is tried twice).
func (a *anchor) find(text, lower string) [][]int {
	var at []int
	for _, lit := range a.lits {
		for off := 0; off < len(lower); {
			i := strings.Index(lower[off:], lit)
			if i < 0 {
				break
			}
			at = append(at, off+i)
			off += i + len(lit)
		}
	}
	if at == nil {
		return nil
	}
	slices.Sort(at)
	at = slices.Compact(at)
	var locs [][]int
	next, tried, lineEnd := 0, -1, 0
	prevI, prevS := -1, -1 // the last literal and where its run started
	for _, i := range at {
		s := i
		if a.back != "" {
			floor := max(prevI+1, 0)
			for s > floor && strings.IndexByte(a.back, text[s-1]) >= 0 {
				s--
			}
			if s == floor && prevI >= 0 && strings.IndexByte(a.back, text[prevI]) >= 0 {
				s = prevS // the run goes on through the last literal
			}
			prevI, prevS = i, s
		}
		if a.first != "" {
			for s < i && (strings.IndexByte(a.first, text[s]) < 0 || a.word && asciiWordBefore(text, s)) {
				s++
			}
		}
		// After a match, the next one starts at its end at the earliest.
		s = max(s, next)
		if s == tried || s > i {
			continue
		}
		tried = s
		if a.word && isASCIIWord(rune(text[s])) && asciiWordBefore(text, s) {
			continue
		}
		if s >= lineEnd {
			lineEnd = len(text)
			if nl := strings.IndexByte(text[s:], '\n'); nl >= 0 {
				lineEnd = s + nl + 1
			}
		}
		loc := a.match(text, s, lineEnd)
		if loc == nil {
			continue
		}
		for k := range loc {
			if loc[k] >= 0 {
				loc[k] += s
			}
		}
		locs = append(locs, loc)
		next = max(loc[1], s+1)
	}
	return locs
}

// match tries the anchored pattern at s on the rest of s's line (up to
// lineEnd, its line break included), or less when the pattern's matches are shorter: no
// anchored pattern crosses a line break, and the engine's cost grows with
// the input it is given, not with the match. The input reaches at least
// utf8.UTFMax bytes past the longest match, so assertions at its end
// (\b, $) see the same text as on the whole.
func (a *anchor) match(text string, s, lineEnd int) []int {
	end := lineEnd
	if a.max >= 0 && s+a.max+utf8.UTFMax < end {
		end = s + a.max + utf8.UTFMax
	}
	return a.re.FindStringSubmatchIndex(text[s:end])
}

// maxLen is the most bytes re can match; -1 when unbounded.
func maxLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune) * utf8.UTFMax
	case syntax.OpCharClass, syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return maxLen(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		return -1
	case syntax.OpRepeat:
		n := maxLen(re.Sub[0])
		if re.Max < 0 || n < 0 {
			return -1
		}
		return re.Max * n
	case syntax.OpConcat, syntax.OpAlternate:
		total := 0
		for _, sub := range re.Sub {
			n := maxLen(sub)
			if n < 0 {
				return -1
			}
			if re.Op == syntax.OpConcat {
				total += n
			} else {
				total = max(total, n)
			}
		}
		return total
	}
	return 0 // empty-width assertions and the empty match
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

const (
	letters    = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	alnum      = letters + "0123456789"
	hexDigits  = "0123456789abcdefABCDEF"
	emailLocal = alnum + "._%+-"
	hostChars  = alnum + ".-"
)
