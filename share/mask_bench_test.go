package share_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/share"
)

// mixedText is a paragraph of a mixed Chinese and English incident report.
const mixedText = "2026-11-21 09:12 值班员报告：联系人：张三，电话 13812345678，邮箱 zhangsan@corp.example.com，" +
	"身份证号 11010519491231002X。服务器 10.2.3.4（db01.corp）出现异常登录，密码：P@ssw0rd! 已在脚本中泄露。" +
	"Call John Smith at +1 415 555 0100; he logged in as root with password=hunter2 on db01.corp from 8.8.8.8. " +
	"Related: CVE-2024-3094, INC-2026-000042, sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855. " +
	"Token xoxb-1234567890-abcdefghij and Authorization: Bearer abcdefghijklmnop were rotated; see \\\\fileserver\\it\\logs.\n"

// plainText is a paragraph of an incident report with nothing to mask
// but the public indicators analysts need.
const plainText = "2026-11-21 09:12 监测平台告警：多台办公终端访问恶意域名，疑似钓鱼邮件附件触发下载器。" +
	"The loader beacons to 203.0.113.9 over TLS every 60 seconds; sample sha256 " +
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 matches CVE-2024-3094 tooling. " +
	"已按预案隔离受影响终端并下发检测规则，related to INC-2026-000042; containment took 35 minutes.\n"

// BenchmarkMask masks 4 KiB of mixed Chinese and English text: dense has
// values of every class in every paragraph, plain has none.
func BenchmarkMask(b *testing.B) {
	m := newMasker(b, share.MaskConfig{InternalDomains: []string{"corp.example.com"}})
	names := []string{"John Smith", "张三", "root", "李四"}
	for _, bb := range []struct{ name, para string }{{"dense", mixedText}, {"plain", plainText}} {
		text := strings.Repeat(bb.para, 4096/len(bb.para)+1)
		for len(text) > 4096 { // whole paragraphs, within 4 KiB
			text = text[:strings.LastIndexByte(text[:len(text)-1], '\n')+1]
		}
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				m.Mask(text, nil, names)
			}
		})
	}
}

// BenchmarkMaskAdversarial masks texts made to give the rules the most
// places to try, at two sizes: the time per byte stays flat (masking is
// linear in the text).
func BenchmarkMaskAdversarial(b *testing.B) {
	m := newMasker(b, share.MaskConfig{})
	for _, unit := range []string{"a@", "1.", "0 ", "::", "corp.", "Name: Ab "} {
		for _, size := range []int{4 << 10, 64 << 10, 256 << 10} {
			text := strings.Repeat(unit, size/len(unit))
			b.Run(fmt.Sprintf("%q/%dKiB", unit, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					m.Mask(text, nil, []string{"张三"})
				}
			})
		}
	}
}
