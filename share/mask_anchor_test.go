package share

import (
	"strings"
	"testing"
)

// FuzzAnchored checks that an anchored rule masks as its plain pattern
// does: the anchors are a speed-up, not a change of meaning.
func FuzzAnchored(f *testing.F) {
	for _, s := range []string{
		"联系人：张三，电话 13812345678，邮箱 zhangsan@corp.example.com，身份证号 11010519491231002X，服务器 10.2.3.4 密码：P@ssw0rd!",
		"Call John Smith at +1 415 555 0100, login root password=hunter2 on db01.corp",
		"https://u:p@db.corp:5432/x http://intranet/ fe80::1: ::1 fd00:: 192.168.1.1.",
		"Authorization: Bearer abcdefghijkl tcs_abcdefghijklmnopqrstuvwxyz012345 AKIAIOSFODNN7EXAMPLE xoxb-1234567890-abcdef",
		"ghp_abcdefghijklmnopqrstuvwxyz0123456789 github_pat_11ABCDEFG0123456789_abcdefghijkl eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig",
		`{"password": "s3cret", "api_key":"abc"} 口令是abc123 座机 010-12345678转123 (021)87654321 护照号：E12345678`,
		"Name: Jane Doe; 报告人：李四 Contact: Bob; ID number: 110105194912310021 +8613912345678 0086-15012345678",
	} {
		f.Add(s)
	}
	in, err := newInternalSet([]string{"corp.example.com"}, nil)
	if err != nil {
		f.Fatal(err)
	}
	rules := builtins(in)
	f.Fuzz(func(t *testing.T, text string) {
		if strings.ContainsAny(text, "\u212a\u017f") {
			// The Kelvin sign and the long s fold to k and s in (?i)
			// patterns; literals are looked up in ASCII case only.
			return
		}
		for _, r := range rules {
			if r.anchor == nil {
				continue
			}
			plain := r.re.FindAllStringSubmatchIndex(text, -1)
			anchored := r.anchor.find(text, asciiLower(text))
			got, _ := apply(anchored, r.mask, text, r.class, map[Class]int{})
			want, _ := apply(plain, r.mask, text, r.class, map[Class]int{})
			if got != want {
				t.Fatalf("%s: anchored %q, plain %q (anchored %v, plain %v)", r.name, got, want, anchored, plain)
			}
		}
	})
}
