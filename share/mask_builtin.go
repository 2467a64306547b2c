package share

import (
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf8"
)

// The built-in rules, by name (what `disable:` takes), in the order they
// are applied. Order matters: secrets go first (a password inside a URL
// is hidden before its host is looked at), ID numbers before phone
// numbers (an ID contains eleven-digit runs), e-mail before host names
// (an address on an internal domain is masked as an address).
var builtinNames = []string{
	"pem_private_key", "url_credentials", "authorization_header", "bearer_token",
	"credential_label", "aws_access_key", "github_token", "slack_token", "slack_webhook",
	"tocsin_token", "jwt",
	"id_number_label", "passport_label", "resident_id",
	"email",
	"mobile_phone", "landline_phone", "international_phone",
	"url_host", "unc_host", "private_ipv4", "private_ipv6", "internal_host",
	"name_label_zh", "name_label_en",
}

// tokenPrefix starts every Tocsin API token (access.TokenPrefix; access
// imports this package, so the value is repeated and a test keeps the two
// equal).
const tokenPrefix = "tcs_"

// builtins compiles the built-in rules for the internal networks and
// domains in.
func builtins(in *internalSet) []*maskRule {
	r := func(name string, c Class, pattern string, mask func(string, []int) (string, bool)) *maskRule {
		return &maskRule{name: name, class: c, re: regexp.MustCompile(pattern), mask: mask, need: needs[name]}
	}
	return []*maskRule{
		// Credentials keep their label or type prefix; the secret becomes ******.
		r("pem_private_key", Credentials,
			`-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)`,
			func(t string, l []int) (string, bool) {
				label := t[l[2]:l[3]]
				return "-----BEGIN " + label + "-----\n" + Stars + "\n-----END " + label + "-----", true
			}),
		r("url_credentials", Credentials,
			`\b([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)([^\s@/]+)@`,
			keepGroup(1, 2)).anchored(true, alnum+"+.-", "://").startingWith(letters),
		r("authorization_header", Credentials,
			`(?i)\b(authorization["']?[ \t]*[:=][ \t]*(?:(?:bearer|basic|token|digest|negotiate)[ \t]+)?)([^\s"',;]+)`,
			keepGroup(1, 2)).anchored(true, "", "authorization"),
		r("bearer_token", Credentials,
			`(?i)\b(bearer[ \t]+)([A-Za-z0-9\-._~+/]{8,}=*)`,
			keepGroup(1, 2)).anchored(true, "", "bearer"),
		r("credential_label", Credentials,
			`(?i)((?:password|passwd|passphrase|pwd|secret|token|(?:api|access|secret|private)[_-]?key|credentials?|密码|口令|密钥|秘钥|令牌)["']?[ \t]*(?:[:=：]|是|为)[ \t]*)("[^"\n]*"|'[^'\n]*'|[^\s"'，,;；。、）)\]}>]+)`,
			maskLabelledSecret).anchored(false, "", "pass", "pwd", "secret", "token", "api", "access", "private", "credential", "密码", "口令", "密钥", "秘钥", "令牌"),
		r("aws_access_key", Credentials,
			`\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA))([0-9A-Z]{16})\b`,
			keepGroup(1, 2)).anchored(true, "", "akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa"),
		r("github_token", Credentials,
			`\b(gh[pousr]_|github_pat_)([A-Za-z0-9_]{20,})`,
			keepGroup(1, 2)).anchored(true, "", "gh", "github_pat_"),
		r("slack_token", Credentials,
			`\b(xox[abposr]-)([0-9A-Za-z-]{10,})`,
			keepGroup(1, 2)).anchored(true, "", "xox"),
		r("slack_webhook", Credentials,
			`(https://hooks\.slack\.com/(?:services|workflows)/)([A-Za-z0-9/_-]+)`,
			keepGroup(1, 2)),
		r("tocsin_token", Credentials,
			`\b(`+tokenPrefix+`)([A-Za-z0-9_-]{16,})`,
			keepGroup(1, 2)).anchored(true, "", tokenPrefix),
		r("jwt", Credentials,
			`\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`,
			func(string, []int) (string, bool) { return Stars, true }).anchored(true, "", "eyj"),

		// ID numbers keep their first three and last four characters.
		r("id_number_label", IDNumbers,
			`(?i)((?:公民身份号码|身份证(?:号码|号)?|\bID[ \t]*card(?:[ \t]*(?:number|no\.?))?|\bID[ \t]*(?:number|no\.?)|\bidentity[ \t]*(?:card|number)(?:[ \t]*(?:number|no\.?))?)[ \t]*(?:[:：#]|是|为)?[ \t]*)(\d{17}[\dXx]|\d{15})`,
			func(t string, l []int) (string, bool) {
				if asciiWordAfter(t, l[1]) {
					return "", false
				}
				return t[l[2]:l[3]] + maskMiddle(t[l[4]:l[5]], 3, 4), true
			}).anchored(true, "", "公民身份号码", "身份证", "id"),
		r("passport_label", IDNumbers,
			`(?i)((?:护照(?:号码|号)?|\bpassport(?:[ \t]*(?:number|no\.?))?)[ \t]*(?:[:：#]|是|为)?[ \t]*)([A-Za-z]{1,2}\d{6,9}|\d{9})`,
			func(t string, l []int) (string, bool) {
				if asciiWordAfter(t, l[1]) {
					return "", false
				}
				return t[l[2]:l[3]] + maskMiddle(t[l[4]:l[5]], 1, 2), true
			}).anchored(true, "", "护照", "passport"),
		r("resident_id", IDNumbers, `\d{17}[\dXx]`,
			func(t string, l []int) (string, bool) {
				s := t[l[0]:l[1]]
				if asciiWordBefore(t, l[0]) || asciiWordAfter(t, l[1]) || !validResidentID(s) {
					return "", false
				}
				return maskMiddle(s, 3, 4), true
			}),

		// E-mail keeps the first character and the domain, unless the
		// domain is internal.
		r("email", Emails,
			`[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63})`,
			func(t string, l []int) (string, bool) {
				if asciiWordAfter(t, l[1]) {
					return "", false
				}
				domain := t[l[2]:l[3]]
				if in.host(domain) {
					domain = maskHost(domain)
				}
				return t[l[0]:l[0]+1] + "***@" + domain, true
			}).anchored(false, emailLocal, "@"),

		// Phone numbers keep a recognisable shape: 138****5678.
		r("mobile_phone", Phones,
			`((?:\+|00)86[ -]?)?(1[3-9]\d)([ -]?)(\d{4})([ -]?\d{4})`,
			func(t string, l []int) (string, bool) {
				// A prefix glued to a longer number is no prefix, but a
				// number after it and a separator still stands alone.
				glued := asciiWordBefore(t, l[0]) && !(l[2] >= 0 && (t[l[3]-1] == ' ' || t[l[3]-1] == '-'))
				if glued || asciiWordAfter(t, l[1]) || l[2] < 0 && before(t, l[0]) == '+' {
					return "", false
				}
				return t[l[0]:l[8]] + "****" + t[l[9]:l[1]], true
			}).anchored(true, "", "+86", "0086", "1"),
		r("landline_phone", Phones,
			`(\(0\d{2,3}\)[ -]?|0\d{2,3}[ -])(\d{3,4})(\d{4})((?:[ ]?(?:-|转|ext\.?|x)[ ]?\d{1,6})?)`,
			func(t string, l []int) (string, bool) {
				if asciiWordBefore(t, l[0]) || asciiWordAfter(t, l[1]) || before(t, l[0]) == '-' || before(t, l[0]) == '+' {
					return "", false
				}
				return t[l[2]:l[3]] + strings.Repeat("*", l[5]-l[4]) + t[l[6]:l[1]], true
			}).anchored(true, "", "(0", "0"),
		r("international_phone", Phones,
			`\+[1-9]\d{0,3}(?:[ -]?\(?\d{1,4}\)?){2,5}`,
			func(t string, l []int) (string, bool) {
				if asciiWordBefore(t, l[0]) || asciiWordAfter(t, l[1]) {
					return "", false // UTC+8 2026-11-21 is a time
				}
				return maskIntlPhone(t[l[0]:l[1]])
			}),

		// Internal addresses keep their coarsest part: 10.*.*.*, ***.corp.
		r("url_host", Internal,
			`(?i)\b(?:https?|ftp|sftp|smb|ssh|rdp|ldaps?|vnc)://([a-z0-9][a-z0-9_-]{0,62})(?:[/:?#]|$|[^\S])`,
			func(t string, l []int) (string, bool) {
				if l[3] < len(t) && t[l[3]] == ':' && !(l[3]+1 < len(t) && isDigit(t[l[3]+1])) {
					return "", false // user:password@host
				}
				return t[l[0]:l[2]] + "***" + t[l[3]:l[1]], true
			}).anchored(true, "", "http", "ftp", "sftp", "smb", "ssh", "rdp", "ldap", "vnc"),
		r("unc_host", Internal, `\\\\([A-Za-z0-9][A-Za-z0-9_-]{0,62})\\`,
			func(t string, l []int) (string, bool) { return `\\***\`, true }),
		r("private_ipv4", Internal, `\b(\d{1,3})\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`,
			func(t string, l []int) (string, bool) {
				if b := before(t, l[0]); b == '.' || isDigit(byte(b)) || dottedDigitAfter(t, l[1]) {
					return "", false
				}
				a, err := netip.ParseAddr(t[l[0]:l[1]])
				if err != nil || !in.addr(a) {
					return "", false
				}
				return t[l[2]:l[3]] + ".*.*.*", true
			}).anchored(true, "0123456789", "."),
		r("private_ipv6", Internal, `(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}`,
			func(t string, l []int) (string, bool) {
				s := t[l[0]:l[1]]
				if b := before(t, l[0]); isHexDigit(b) || b == ':' || b == '.' || asciiWordAfter(t, l[1]) {
					return "", false
				}
				a, err := netip.ParseAddr(s)
				if err != nil && strings.HasSuffix(s, ":") && !strings.HasSuffix(s, "::") {
					s = s[:len(s)-1]
					a, err = netip.ParseAddr(s)
				}
				if err != nil || !in.addr(a) {
					return "", false
				}
				head, _, _ := strings.Cut(s, ":")
				if head == "" {
					head = ":" // ::1 becomes ::*
				}
				return head + ":*" + t[l[0]+len(s):l[1]], true
			}).anchored(false, hexDigits+":", ":"),
		r("internal_host", Internal,
			`(?i)\b[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+`,
			func(t string, l []int) (string, bool) {
				if b := before(t, l[0]); b == '.' || b == '-' || b == '*' || dottedWordAfter(t, l[1]) {
					return "", false
				}
				h := t[l[0]:l[1]]
				if !in.host(h) {
					return "", false
				}
				return maskHost(h), true
			}).anchored(true, hostChars, in.domains...),

		// Names after a label: 张**, J*** S****.
		r("name_label_zh", Names,
			`((?:姓名|联系人|联络人|报告人|负责人|当事人|经办人)[ \t]*[:：][ \t]*)(\p{Han}{2,4})`,
			keepGroupWith(1, 2, maskPersonName)).anchored(false, "", "姓名", "联系人", "联络人", "报告人", "负责人", "当事人", "经办人"),
		r("name_label_en", Names,
			`\b((?i:name|contact|reporter|reported by|contact person)[ \t]*:[ \t]*)([A-Z][a-z]+(?: [A-Z][a-z'-]+){0,2})\b`,
			keepGroupWith(1, 2, maskPersonName)).anchored(true, "", "name", "contact", "report"),
	}
}

// needs are the prefilters of the built-ins that are not anchored: a rule
// runs only when the text (ASCII lower-cased) could hold a match. Masking only ever replaces characters
// with stars, so a text that lacks a rule's literal before masking lacks
// it after the earlier rules too.
var needs = map[string]func(text, lower string) bool{
	"pem_private_key":     anyOf("private key-----"),
	"slack_webhook":       anyOf("hooks.slack.com"),
	"resident_id":         func(t, _ string) bool { return digitRun(t, 15) },
	"international_phone": anyOf("+"),
	"unc_host":            anyOf(`\\`),
}

func anyOf(ss ...string) func(string, string) bool {
	return func(_, lower string) bool {
		for _, s := range ss {
			if strings.Contains(lower, s) {
				return true
			}
		}
		return false
	}
}

// digitRun reports n digits in a row.
func digitRun(t string, n int) bool {
	run := 0
	for i := 0; i < len(t); i++ {
		if isDigit(t[i]) {
			if run++; run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// keepGroup keeps group keep and what precedes it, masks group secret as
// ******, and keeps what follows.
func keepGroup(keep, secret int) func(string, []int) (string, bool) {
	return keepGroupWith(keep, secret, func(string) string { return Stars })
}

// keepGroupWith is keepGroup with the masked group's replacement made by f.
func keepGroupWith(keep, masked int, f func(string) string) func(string, []int) (string, bool) {
	return func(t string, l []int) (string, bool) {
		v := t[l[2*masked]:l[2*masked+1]]
		if allStars(v) {
			return "", false
		}
		return t[l[0]:l[2*keep+1]] + f(v) + t[l[2*masked+1]:l[1]], true
	}
}

// maskLabelledSecret masks the value after a credential label, keeping
// the label and any quotes: password=******, "password": "******".
func maskLabelledSecret(t string, l []int) (string, bool) {
	label, v := t[l[2]:l[3]], t[l[4]:l[5]]
	q := ""
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
		q, v = v[:1], v[1:len(v)-1]
	}
	if v == "" || allStars(v) {
		return "", false
	}
	return label + q + Stars + q, true
}

// maskMiddle keeps the first head and last tail characters of s (ASCII)
// and stars the rest.
func maskMiddle(s string, head, tail int) string {
	if len(s) <= head+tail {
		return strings.Repeat("*", len(s))
	}
	return s[:head] + strings.Repeat("*", len(s)-head-tail) + s[len(s)-tail:]
}

// maskIntlPhone keeps "+" and the country code (the digits before the
// first separator, at most three; two when there is none) and the last
// four digits of an international number, starring the other digits.
// Numbers of fewer than 8 or more than 15 digits are not phone numbers.
func maskIntlPhone(s string) (string, bool) {
	digits := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			digits++
		}
	}
	if digits < 8 || digits > 15 {
		return "", false
	}
	cc := strings.IndexAny(s, " -(")
	if cc < 0 || cc > 4 {
		cc = 3
	}
	b := []byte(s)
	seen := 0
	for i := range b {
		if !isDigit(b[i]) {
			continue
		}
		seen++
		if i >= cc && seen <= digits-4 {
			b[i] = '*'
		}
	}
	return string(b), true
}

// maskHost hides an internal host name but for its top-level label:
// db01.corp becomes ***.corp.
func maskHost(h string) string {
	return "***" + h[strings.LastIndexByte(h, '.'):]
}

// validResidentID reports whether s is an 18-character resident ID number
// (GB 11643-1999): a plausible birth date and a valid check character.
func validResidentID(s string) bool {
	if len(s) != 18 {
		return false
	}
	y := atoi(s[6:10])
	m := atoi(s[10:12])
	d := atoi(s[12:14])
	if y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	check := "10X98765432"[sum%11]
	c := s[17]
	if c == 'x' {
		c = 'X'
	}
	return c == check
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isHexDigit(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F'
}

func isASCIIWord(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// before is the rune before i (0 at the start).
func before(t string, i int) rune {
	if i == 0 {
		return 0
	}
	r, _ := utf8.DecodeLastRuneInString(t[:i])
	return r
}

// asciiWordBefore and asciiWordAfter report an ASCII letter, digit or
// underscore next to a match, which makes it part of a longer token (a
// hash, an identifier) rather than a value of its own.
func asciiWordBefore(t string, i int) bool { return isASCIIWord(before(t, i)) }

func asciiWordAfter(t string, i int) bool {
	return i < len(t) && isASCIIWord(rune(t[i]))
}

// dottedDigitAfter reports ".5" after an address (1.2.3.4.5 is no address).
func dottedDigitAfter(t string, i int) bool {
	return i+1 < len(t) && t[i] == '.' && isDigit(t[i+1])
}

// dottedWordAfter reports ".x" or "-" after a host name candidate, which
// means the regexp stopped inside a longer name.
func dottedWordAfter(t string, i int) bool {
	if i < len(t) && t[i] == '-' {
		return true
	}
	return i+1 < len(t) && t[i] == '.' && isASCIIWord(rune(t[i+1]))
}
