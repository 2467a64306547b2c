package share_test

import (
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

// BenchmarkMask masks 4 KiB of mixed Chinese and English text.
func BenchmarkMask(b *testing.B) {
	m := newMasker(b, share.MaskConfig{InternalDomains: []string{"corp.example.com"}})
	text := strings.Repeat(mixedText, 4096/len(mixedText)+1)[:4096]
	for !strings.HasSuffix(text, "\n") && len(text) > 0 { // cut at a line end, keeping UTF-8 whole
		text = text[:len(text)-1]
	}
	names := []string{"John Smith", "张三", "root", "李四"}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		m.Mask(text, nil, names)
	}
}
