package share_test

import (
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/share"
)

func newMasker(t testing.TB, c share.MaskConfig) *share.Masker {
	t.Helper()
	m, err := share.NewMasker(c)
	if err != nil {
		t.Fatalf("NewMasker: %v", err)
	}
	return m
}

type counts = map[share.Class]int

const (
	nm = share.Names
	ph = share.Phones
	em = share.Emails
	id = share.IDNumbers
	cr = share.Credentials
	in = share.Internal
)

// The acceptance sentences of the masking requirement.
const (
	zhSentence = "联系人：张三，电话 13812345678，邮箱 zhangsan@corp.example.com，身份证号 11010519491231002X，服务器 10.2.3.4 密码：P@ssw0rd!"
	enSentence = "Call John Smith at +1 415 555 0100, login root password=hunter2 on db01.corp"
)

func TestMask(t *testing.T) {
	m := newMasker(t, share.MaskConfig{InternalDomains: []string{"corp.example.com"}})
	people := []string{"John Smith", "root", "张三", "Ann"}
	tests := []struct {
		name   string
		in     string
		reveal []share.Class
		want   string
		counts counts
	}{
		{"zh sentence", zhSentence, nil,
			"联系人：张**，电话 138****5678，邮箱 z***@***.com，身份证号 110***********002X，服务器 10.*.*.* 密码：******",
			counts{nm: 1, ph: 1, em: 1, id: 1, in: 1, cr: 1}},
		{"en sentence", enSentence, nil,
			"Call J*** S**** at +1 *** *** 0100, login r*** password=****** on ***.corp",
			counts{nm: 2, ph: 1, cr: 1, in: 1}},

		// Phone numbers.
		{"mobile plain", "手机13812345678。", nil, "手机138****5678。", counts{ph: 1}},
		{"mobile dashes", "call 138-1234-5678 now", nil, "call 138-****-5678 now", counts{ph: 1}},
		{"mobile spaces", "电话：138 1234 5678", nil, "电话：138 **** 5678", counts{ph: 1}},
		{"mobile +86", "+86 13912345678 or +8613912345678", nil, "+86 139****5678 or +86139****5678", counts{ph: 2}},
		{"mobile 0086", "0086-15012345678", nil, "0086-150****5678", counts{ph: 1}},
		{"landline", "座机 010-12345678，分机 0755-1234567", nil, "座机 010-****5678，分机 0755-***4567", counts{ph: 2}},
		{"landline extension", "tel 021-87654321 ext. 204 or 021-87654321转8", nil, "tel 021-****4321 ext. 204 or 021-****4321转8", counts{ph: 2}},
		{"landline parentheses", "(021)87654321", nil, "(021)****4321", counts{ph: 1}},
		{"international", "UK desk +44 20 7946 0958.", nil, "UK desk +44 ** **** 0958.", counts{ph: 1}},
		{"time zone is no phone", "at UTC+8 2026-11-21 10:00 and GMT+1 415 555 0100", nil, "at UTC+8 2026-11-21 10:00 and GMT+1 415 555 0100", nil},
		{"full-width digits", "电话：１３８１２３４５６７８，第１期", nil, "电话：138****5678，第1期", counts{ph: 1}},
		{"full-width email", "邮箱ｚｈａｎｇｓａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ。", nil, "邮箱z***@example.com。", counts{em: 1}},
		{"full-width without anything to mask", "第１期　ＡＢＣ，（１）", nil, "第１期　ＡＢＣ，（１）", nil},
		{"full-width known name", "Ｊｏｈｎ　Ｓｍｉｔｈ到场", nil, "J*** S****到场", counts{nm: 1}},
		{"mobile inside longer number", "order 2381234567890123", nil, "order 2381234567890123", nil},
		{"mobile inside hash", "a13812345678b", nil, "a13812345678b", nil},

		// E-mail.
		{"email public domain", "mail alice.wong@example.com today", nil, "mail a***@example.com today", counts{em: 1}},
		{"email internal domain", "报给 ops@mail.corp", nil, "报给 o***@***.corp", counts{em: 1}},
		{"email in Chinese text", "邮箱lisi@example.org，谢谢", nil, "邮箱l***@example.org，谢谢", counts{em: 1}},

		// ID numbers.
		{"resident id valid checksum", "证件 11010519491231002X 已核验", nil, "证件 110***********002X 已核验", counts{id: 1}},
		{"resident id lower x", "id 11010519491231002x", nil, "id 110***********002x", counts{id: 1}},
		{"18 digits bad checksum unlabelled", "ticket 110105194912310021", nil, "ticket 110105194912310021", nil},
		{"18 digits bad checksum labelled", "身份证号：110105194912310021", nil, "身份证号：110***********0021", counts{id: 1}},
		{"ID number label en", "ID number: 110105194912310021", nil, "ID number: 110***********0021", counts{id: 1}},
		{"old 15-digit id after label", "身份证 110105491231002", nil, "身份证 110********1002", counts{id: 1}},
		{"15 digits without label", "serial 110105491231002", nil, "serial 110105491231002", nil},
		{"passport zh", "护照号：E12345678", nil, "护照号：E******78", counts{id: 1}},
		{"passport en", "Passport No. G12345678.", nil, "Passport No. G******78.", counts{id: 1}},

		// Credentials.
		{"password label", "login root password=hunter2", nil, "login r*** password=******", counts{nm: 1, cr: 1}},
		{"password colon space", "Password: s3cr3t!", nil, "Password: ******", counts{cr: 1}},
		{"full-width colon", "数据库密码：Abc@12345，请尽快修改", nil, "数据库密码：******，请尽快修改", counts{cr: 1}},
		{"chinese label 是", "口令是abc123 令牌=xyz", nil, "口令是****** 令牌=******", counts{cr: 2}},
		{"json secrets", `{"password": "s3cret", "api_key":"abc", "db_passwd": 'x y'}`, nil,
			`{"password": "******", "api_key":"******", "db_passwd": '******'}`, counts{cr: 3}},
		{"access key labels", "aws_secret_access_key=wJalrXUtnFEMI secret_key: k", nil, "aws_secret_access_key=****** secret_key: ******", counts{cr: 2}},
		{"bearer", "curl -H 'Authorization: Bearer abc.def-ghi_jkl'", nil, "curl -H 'Authorization: Bearer ******'", counts{cr: 1}},
		{"bare bearer", "used Bearer 0123456789abcdef", nil, "used Bearer ******", counts{cr: 1}},
		{"basic auth header", "Authorization: Basic dXNlcjpwYXNz", nil, "Authorization: Basic ******", counts{cr: 1}},
		{"aws access key", "key AKIAIOSFODNN7EXAMPLE leaked", nil, "key AKIA****** leaked", counts{cr: 1}},
		{"slack token", "xoxb-1234567890-abcdefghij", nil, "xoxb-******", counts{cr: 1}},
		{"slack webhook", "https://hooks.slack.com/services/T000/B000/XXXXXXXX", nil, "https://hooks.slack.com/services/******", counts{cr: 1}},
		{"github token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789 github_pat_11ABCDEFG0123456789_abcdefghijkl", nil, "ghp_****** github_pat_******", counts{cr: 2}},
		{"tocsin token", "token " + access.TokenPrefix + "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTA", nil, "token " + access.TokenPrefix + "******", counts{cr: 1}},
		{"pem private key", "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----\nend", nil,
			"key:\n-----BEGIN RSA PRIVATE KEY-----\n******\n-----END RSA PRIVATE KEY-----\nend", counts{cr: 1}},
		{"truncated pem", "-----BEGIN PRIVATE KEY-----\nMIIEow", nil, "-----BEGIN PRIVATE KEY-----\n******\n-----END PRIVATE KEY-----", counts{cr: 1}},
		{"public key untouched", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----", nil, "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----", nil},
		{"url credentials", "clone https://deploy:Tr0ub4dor@git.example.com/x.git", nil, "clone https://deploy:******@git.example.com/x.git", counts{cr: 1}},
		{"url credentials internal host", "mysql://app:pw@db01.corp:3306/app", nil, "mysql://app:******@***.corp:3306/app", counts{cr: 1, in: 1}},
		{"jwt", "cookie eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N", nil, "cookie ******", counts{cr: 1}},
		{"password reset is no secret", "Password reset: done for 3 users", nil, "Password reset: done for 3 users", nil},

		// Internal addresses.
		{"private ipv4 ranges", "10.2.3.4 172.16.0.9 192.168.1.1 127.0.0.1 169.254.1.2 100.64.0.5", nil,
			"10.*.*.* 172.*.*.* 192.*.*.* 127.*.*.* 169.*.*.* 100.*.*.*", counts{in: 6}},
		{"ipv4 with port and cidr", "from 192.168.10.20:8443 in 10.0.0.0/8", nil, "from 192.*.*.*:8443 in 10.*.*.*/8", counts{in: 2}},
		{"public ips kept", "C2 at 8.8.8.8, 203.0.113.7 and 172.32.0.1 and 2001:db8::1", nil, "C2 at 8.8.8.8, 203.0.113.7 and 172.32.0.1 and 2001:db8::1", nil},
		{"ipv6 internal", "fe80::1%eth0, fd12:3456::1 and ::1 down", nil, "fe80:*%eth0, fd12:* and ::* down", counts{in: 3}},
		{"ipv6 trailing colon", "addr fd00::1: unreachable", nil, "addr fd00:*: unreachable", counts{in: 1}},
		{"internal hosts", "db01.corp, wiki.intranet and nas.local and build.lan.", nil, "***.corp, ***.intranet and ***.local and ***.lan.", counts{in: 4}},
		{"configured domain", "see fs1.corp.example.com and www.example.com", nil, "see ***.com and www.example.com", counts{in: 1}},
		{"internal host in url", "https://jira.internal/browse/SEC-1", nil, "https://***.internal/browse/SEC-1", counts{in: 1}},
		{"single-label url host", "http://intranet/wiki and http://localhost:8080/", nil, "http://***/wiki and http://***:8080/", counts{in: 2}},
		{"unc paths", `\\fileserver\share and \\fs01.corp\hr`, nil, `\\***\share and \\***.corp\hr`, counts{in: 2}},
		{"host inside Chinese text", "服务器db01.corp出现问题，见fs.lan。", nil, "服务器***.corp出现问题，见***.lan。", counts{in: 2}},
		{"corp inside longer names", "db.corporate.com and my.corp-site.com", nil, "db.corporate.com and my.corp-site.com", nil},

		// Names.
		{"known latin names whole word", "Ann filed the Annual report; ann agreed", nil, "A** filed the Annual report; a** agreed", counts{nm: 2}},
		{"known chinese name exact", "由张三处理，张三丰不相关", nil, "由张**处理，张**丰不相关", counts{nm: 2}},
		{"name labels zh", "报告人：李四；负责人: 王小明", nil, "报告人：李**；负责人: 王**", counts{nm: 2}},
		{"name labels en", "Reporter: Jane Doe; Contact: Bob", nil, "Reporter: J*** D**; Contact: B**", counts{nm: 2}},
		{"name spaced differently", "John  Smith called", nil, "J*** S**** called", counts{nm: 1}},

		// Reveal leaves each class as it is.
		{"reveal names", zhSentence, []share.Class{nm},
			"联系人：张三，电话 138****5678，邮箱 z***@***.com，身份证号 110***********002X，服务器 10.*.*.* 密码：******",
			counts{ph: 1, em: 1, id: 1, in: 1, cr: 1}},
		{"reveal phones", zhSentence, []share.Class{ph},
			"联系人：张**，电话 13812345678，邮箱 z***@***.com，身份证号 110***********002X，服务器 10.*.*.* 密码：******",
			counts{nm: 1, em: 1, id: 1, in: 1, cr: 1}},
		{"reveal email", zhSentence, []share.Class{em},
			"联系人：张**，电话 138****5678，邮箱 zhangsan@***.com，身份证号 110***********002X，服务器 10.*.*.* 密码：******",
			counts{nm: 1, ph: 1, id: 1, in: 2, cr: 1}},
		{"reveal id numbers", zhSentence, []share.Class{id},
			"联系人：张**，电话 138****5678，邮箱 z***@***.com，身份证号 11010519491231002X，服务器 10.*.*.* 密码：******",
			counts{nm: 1, ph: 1, em: 1, in: 1, cr: 1}},
		{"reveal credentials", zhSentence, []share.Class{cr},
			"联系人：张**，电话 138****5678，邮箱 z***@***.com，身份证号 110***********002X，服务器 10.*.*.* 密码：P@ssw0rd!",
			counts{nm: 1, ph: 1, em: 1, id: 1, in: 1}},
		{"reveal internal", enSentence, []share.Class{in},
			"Call J*** S**** at +1 *** *** 0100, login r*** password=****** on db01.corp",
			counts{nm: 2, ph: 1, cr: 1}},
		{"reveal all", enSentence, share.Classes(), enSentence, nil},

		// What must never be masked.
		{"incident numbers timestamps cves hashes",
			"INC-2026-000042 INC-2026-1000000 at 2026-11-21T10:25:51+08:00 (1763721951000), CVE-2024-12345678, " +
				"sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 md5 13812345678901234567890123456789",
			nil,
			"INC-2026-000042 INC-2026-1000000 at 2026-11-21T10:25:51+08:00 (1763721951000), CVE-2024-12345678, " +
				"sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 md5 13812345678901234567890123456789",
			nil},
		{"versions and times", "upgraded to 10.2.3 at 10:25:51 on 2026-11-21; build 1.2.3.4.5", nil, "upgraded to 10.2.3 at 10:25:51 on 2026-11-21; build 1.2.3.4.5", nil},
		{"empty", "", nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := m.Mask(tt.in, tt.reveal, people)
			if got != tt.want {
				t.Errorf("Mask(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if !maps.Equal(n, tt.counts) && !(len(n) == 0 && len(tt.counts) == 0) {
				t.Errorf("counts = %v, want %v", n, tt.counts)
			}
			again, n2 := m.Mask(got, tt.reveal, people)
			if again != got || len(n2) != 0 {
				t.Errorf("not idempotent: %q -> %q (%v)", got, again, n2)
			}
			if !utf8.ValidString(got) {
				t.Errorf("invalid UTF-8: %q", got)
			}
		})
	}
}

func TestMaskDisabledBuiltIn(t *testing.T) {
	m := newMasker(t, share.MaskConfig{Disable: []string{"landline_phone", "name_label_en"}})
	got, n := m.Mask("tel 010-12345678 or 13812345678; Contact: Jane Doe", nil, nil)
	want := "tel 010-12345678 or 138****5678; Contact: Jane Doe"
	if got != want || n[ph] != 1 || n[nm] != 0 {
		t.Errorf("got %q %v, want %q", got, n, want)
	}
	var disabled []string
	for _, r := range m.Rules() {
		if r.Disabled {
			disabled = append(disabled, r.Name)
		}
	}
	if strings.Join(disabled, ",") != "landline_phone,name_label_en" {
		t.Errorf("Rules() disabled = %v", disabled)
	}
}

func TestMaskConfiguredRules(t *testing.T) {
	m := newMasker(t, share.MaskConfig{
		Rules: []share.MaskRule{
			{Name: "employee_number", Class: share.Names, Pattern: `\bEMP-\d{6}\b`},
			{Name: "plate", Class: share.IDNumbers, Pattern: `京[A-Z]\d{5}`},
		},
		InternalDomains:  []string{".Example.NET"},
		InternalNetworks: []string{"203.0.113.0/24", "2001:db8:1::/48"},
	})
	tests := []struct {
		in, want string
		reveal   []share.Class
		counts   counts
	}{
		{"badge EMP-004211 parked 京A12345", "badge ****** parked ******", nil, counts{nm: 1, id: 1}},
		{"badge EMP-004211", "badge EMP-004211", []share.Class{share.Names}, nil},
		{"web1.example.net and example.net.cn", "***.net and example.net.cn", nil, counts{in: 1}},
		{"203.0.113.7 and 198.51.100.7", "203.*.*.* and 198.51.100.7", nil, counts{in: 1}},
		{"2001:db8:1::5 and 2001:db8:2::5", "2001:* and 2001:db8:2::5", nil, counts{in: 1}},
	}
	for _, tt := range tests {
		got, n := m.Mask(tt.in, tt.reveal, nil)
		if got != tt.want || !(maps.Equal(n, tt.counts) || len(n)+len(tt.counts) == 0) {
			t.Errorf("Mask(%q) = %q %v, want %q %v", tt.in, got, n, tt.want, tt.counts)
		}
		if again, _ := m.Mask(got, tt.reveal, nil); again != got {
			t.Errorf("not idempotent: %q -> %q", got, again)
		}
	}
	rules := m.Rules()
	if rules[0].Name != "employee_number" || rules[0].BuiltIn || rules[0].Pattern != `\bEMP-\d{6}\b` || rules[0].Class != share.Names {
		t.Errorf("first rule = %+v, want the configured one", rules[0])
	}
	builtIn := 0
	for _, r := range rules {
		if r.BuiltIn {
			builtIn++
			if r.Pattern == "" || r.Class == "" {
				t.Errorf("built-in %+v lacks a pattern or class", r)
			}
		}
	}
	if builtIn < 20 {
		t.Errorf("%d built-ins listed", builtIn)
	}
}

func TestNewMaskerErrorsNameTheRule(t *testing.T) {
	_, err := share.NewMasker(share.MaskConfig{
		Disable:          []string{"phone_numbers"},
		Rules:            []share.MaskRule{{Name: "bad", Class: "salary", Pattern: "(["}},
		InternalDomains:  []string{"*.corp"},
		InternalNetworks: []string{"10.1.2.3/8"},
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`disable: phone_numbers: is not a built-in rule`,
		`rule bad: class: "salary" is not a class`,
		`rule bad: pattern: is not a valid RE2 expression`,
		`internal_domains: *.corp: takes a suffix`,
		`internal_networks: 10.1.2.3/8: has bits set beyond its prefix length; did you mean 10.0.0.0/8?`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestMaskKnownNamesLongestFirst(t *testing.T) {
	m := newMasker(t, share.MaskConfig{})
	got, n := m.Mask("Zhang San and Zhang Sanfeng; 欧阳娜娜 and 欧阳", nil, []string{"Zhang San", "Zhang Sanfeng", "欧阳", "欧阳娜娜", "x", " "})
	want := "Z**** S** and Z**** S******; 欧** and 欧**"
	if got != want || n[nm] != 4 {
		t.Errorf("got %q %v, want %q", got, n, want)
	}
}
