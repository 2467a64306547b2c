package share_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsin-hub/tocsin/share"
)

// FuzzMask checks that masking keeps text valid UTF-8, is idempotent
// (masked text masks to itself, counting nothing) and never grows a
// revealed class.
func FuzzMask(f *testing.F) {
	for _, s := range []string{
		zhSentence, enSentence, mixedText,
		"INC-2026-000042 CVE-2024-12345 8.8.8.8 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----",
		"https://u:p@db.corp:5432/x \\\\nas\\share http://intranet/ fe80::1: ::1 fd00::",
		"密码：口令是令牌=秘钥：x 姓名：欧阳娜娜 Name: Jo Ann Lee 护照号：E12345678",
		"+44 20 7946 0958 +86 138 1234 5678 (010)12345678-12 0086-13912345678",
		"a@b.co x.y@mail.corp ＠ 全角：１３８１２３４５６７８",
		"Ｊｏｈｎ　Ｓｍｉｔｈ ｚｓ＠ｅｘａｍｐｌｅ．ｃｏｍ 第１期",
	} {
		f.Add(s, "John Smith")
	}
	m := newMasker(f, share.MaskConfig{
		InternalDomains: []string{"corp.example.com"},
		Rules:           []share.MaskRule{{Name: "employee", Class: share.Names, Pattern: `EMP-\d+`}},
	})
	f.Fuzz(func(t *testing.T, text, name string) {
		if !utf8.ValidString(text) {
			return
		}
		names := []string{name, "张三", "root"}
		out, n := m.Mask(text, nil, names)
		if !utf8.ValidString(out) {
			t.Fatalf("Mask(%q) = %q: invalid UTF-8", text, out)
		}
		again, n2 := m.Mask(out, nil, names)
		if again != out || len(n2) != 0 {
			t.Fatalf("not idempotent:\n in  %q\n out %q\n again %q (%v)", text, out, again, n2)
		}
		for c, k := range n {
			if k <= 0 {
				t.Fatalf("count %s = %d", c, k)
			}
		}
		if out == text && len(n) != 0 {
			t.Fatalf("counted %v without a change", n)
		}
		all, na := m.Mask(text, share.Classes(), names)
		if all != text || len(na) != 0 {
			t.Fatalf("revealing every class changed %q to %q", text, all)
		}
		if strings.Count(out, "\n") != strings.Count(text, "\n") && !strings.Contains(text, "PRIVATE KEY-----") {
			t.Fatalf("line count changed: %q -> %q", text, out)
		}
	})
}
