package notify_test

import (
	"strings"
	"testing"

	"github.com/tocsin-hub/tocsin/notify"
)

func TestRedact(t *testing.T) {
	m := notify.Message{Key: "page/INC-2026-000042/1/0/li.na", Kind: notify.KindPage, Incident: "INC-2026-000042",
		Recipient: "li.na", Channel: notify.ChannelSlack, Address: "U123",
		Subject: "Please acknowledge 请确认受理: INC-2026-000042 Special (特殊事件): Finance director exfiltrating payroll",
		Body:    "INC-2026-000042 (special, reported 2026-03-05 10:00 CST) has not been acknowledged. Wang Fang's laptop, host fin-07."}
	link := notify.IncidentLink("https://tocsin.example.cn/", m.Incident)
	if link != "https://tocsin.example.cn/incidents/INC-2026-000042" {
		t.Fatalf("link %q", link)
	}
	r := notify.Redact(m, link)
	if !r.Restricted {
		t.Error("not marked restricted")
	}
	// Delivery fields are kept: the message still goes to the same person.
	if r.Key != m.Key || r.Kind != m.Kind || r.Recipient != m.Recipient || r.Channel != m.Channel || r.Address != m.Address || r.Incident != m.Incident {
		t.Errorf("delivery fields changed: %+v", r)
	}
	for _, leak := range []string{"Finance", "payroll", "Special", "特殊", "Wang", "fin-07", "special", "2026-03-05"} {
		if strings.Contains(r.Subject+r.Body, leak) {
			t.Errorf("redacted message still says %q:\n%s\n%s", leak, r.Subject, r.Body)
		}
	}
	for _, must := range []string{"INC-2026-000042", link, "restricted", "受限"} {
		if !strings.Contains(r.Subject+"\n"+r.Body, must) {
			t.Errorf("redacted message lacks %q:\n%s\n%s", must, r.Subject, r.Body)
		}
	}
	if strings.Count(r.Body, link) != 2 {
		t.Errorf("the link should be in both languages:\n%s", r.Body)
	}
	if len(r.Subject) > notify.MaxSubject || len(r.Body) > notify.MaxBody {
		t.Error("too long")
	}
	// Without a hub address: no link, still no details.
	if r := notify.Redact(m, ""); strings.Contains(r.Body, "http") || strings.Contains(r.Body, "payroll") {
		t.Errorf("body %q", r.Body)
	}
	if notify.IncidentLink("", "INC-1") != "" {
		t.Error("a link without a base URL")
	}
}
