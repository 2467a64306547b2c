package notify

import (
	"strconv"
	"strings"
)

// maxChannelName is the longest Slack channel name.
const maxChannelName = 80

// latinFold turns accented Latin letters into their plain letters, so a
// title in French or German keeps its words in a channel name. Other
// scripts (a Chinese title) are dropped: the number alone names the
// channel then.
var latinFold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae", 'ç': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i",
	'ñ': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'œ': "oe",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'ÿ': "y", 'ß': "ss",
}

// ChannelName is the Slack channel name of an incident: its number and
// title within Slack's rules (lower-case a-z, 0-9, - and _, at most 80
// characters), e.g. "inc-2026-000042-finance-pcs-encrypting-files". Words
// are cut whole where the title is too long.
func ChannelName(number, title string) string {
	var b strings.Builder
	dash := true // no dash at the start, none doubled
	for _, r := range strings.ToLower(number + " " + title) {
		var s string
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			s = string(r)
		case latinFold[r] != "":
			s = latinFold[r]
		case r >= 'À' && r <= 'Þ':
			s = latinFold[r+('à'-'À')]
		}
		if s == "" {
			if !dash {
				b.WriteByte('-')
				dash = true
			}
			continue
		}
		b.WriteString(s)
		dash = false
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > maxChannelName {
		name = name[:maxChannelName]
		if cut := strings.LastIndexByte(name, '-'); cut > len(strings.ToLower(number)) {
			name = name[:cut]
		}
		name = strings.Trim(name, "-")
	}
	if name == "" {
		name = "incident"
	}
	return name
}

// suffixedName is name with "-n" at its end, still within 80 characters:
// the name to try when name is taken.
func suffixedName(name string, n int) string {
	suffix := "-" + strconv.Itoa(n)
	if len(name)+len(suffix) > maxChannelName {
		name = strings.TrimRight(name[:maxChannelName-len(suffix)], "-")
	}
	return name + suffix
}
