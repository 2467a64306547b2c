package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
)

// The demo data set: people in every role and a dozen incidents spread over
// levels, categories and stages. It is loaded through the real services, so
// every incident got where it is by the stage machine's rules, with a
// timeline to show for it.

type demoPerson struct {
	username, name, email, lang, duty string
	roles                             []access.Role
}

var demoPeople = []demoPerson{
	{"wanglei", "王磊", "wanglei@example.com", "zh", "response center coordinator", []access.Role{access.Coordinator}},
	{"sarah.chen", "Sarah Chen", "sarah.chen@example.com", "en", "response center coordinator", []access.Role{access.Coordinator}},
	{"lina", "李娜", "lina@example.com", "zh", "assessment group: network", []access.Role{access.Responder}},
	{"zhangwei", "张伟", "zhangwei@example.com", "zh", "assessment group: terminals and devices", []access.Role{access.Responder}},
	{"priya.nair", "Priya Nair", "priya.nair@example.com", "en", "assessment group: applications", []access.Role{access.Responder}},
	{"chenjing", "陈静", "chenjing@example.com", "zh", "security manager", []access.Role{access.Manager}},
	{"zhouming", "周明", "zhouming@example.com", "zh", "internal audit: reads everything, changes nothing", []access.Role{access.Auditor}},
	{"liuyang", "刘洋", "liuyang@example.com", "zh", "staff, finance department", nil},
	{"emily.wong", "Emily Wong", "emily.wong@example.com", "en", "staff, human resources", nil},
}

// demoStep is one stage change, made by the person with username by.
type demoStep struct {
	by string
	in incident.TransitionInput
	// duplicateOf names another demo incident by key; its number is filled in.
	duplicateOf string
}

type demoReport struct {
	by string
	in incident.ReportInput
}

// demoIncident is an incident to report, with further reports of the same
// event (same dedup key) and the stage changes to make.
type demoIncident struct {
	key     string
	reports []demoReport
	steps   []demoStep
}

func confirmStep(by string, level incident.Level, cat incident.Category, scope incident.Scope, nature incident.Nature, note string) demoStep {
	return demoStep{by: by, in: incident.TransitionInput{To: incident.Confirm, Level: level, Category: cat,
		Scope: scope, Nature: nature, AssessmentNote: note}}
}

func planStep(by, measures string) demoStep {
	return demoStep{by: by, in: incident.TransitionInput{To: incident.Plan, Measures: measures}}
}

func dispatchStep(by string, assignees ...incident.Assignee) demoStep {
	return demoStep{by: by, in: incident.TransitionInput{To: incident.Dispatch, Assignees: assignees}}
}

func noteStep(by string, to incident.Stage, note string) demoStep {
	return demoStep{by: by, in: incident.TransitionInput{To: to, Note: note}}
}

func person(name string) incident.Assignee { return incident.Assignee{Kind: "person", Name: name} }
func team(name string) incident.Assignee   { return incident.Assignee{Kind: "team", Name: name} }
func vendor(name string) incident.Assignee { return incident.Assignee{Kind: "vendor", Name: name} }

// demoIncidents is the data set; ago sets when each event occurred.
func demoIncidents(now time.Time) []demoIncident {
	ago := func(d time.Duration) *time.Time { t := now.Add(-d).UTC().Truncate(time.Minute); return &t }
	return []demoIncident{
		{
			key: "ransomware",
			reports: []demoReport{{by: "liuyang", in: incident.ReportInput{
				Title: "财务部终端疑似勒索软件加密文件",
				Description: "财务部 3 楼 FIN-PC-017 上的 Excel 和 PDF 文件扩展名都变成了 .lockbit，桌面出现勒索说明 README.txt。" +
					"我已经拔掉网线，电脑没有关机。上午 9 点左右打开过一封“增值税发票”邮件附件。",
				Category: incident.MaliciousProgram, SuggestedLevel: incident.Serious, Scope: incident.Local,
				AffectedAssets: []string{"FIN-PC-017", `\\fs01\finance`}, OccurredAt: ago(3 * time.Hour)}}},
			steps: []demoStep{
				confirmStep("wanglei", incident.Serious, incident.MaliciousProgram, incident.Local, incident.MaliciousAttack,
					"张伟现场鉴定：LockBit 3.0 变种，经邮件附件投递；仅 FIN-PC-017 被加密，共享盘 fs01 未见加密迹象，域内未发现横向移动。"),
				planStep("wanglei", "1. 隔离 FIN-PC-017，采集内存镜像与磁盘镜像；\n2. 核对 fs01 财务共享盘快照与离线备份；\n"+
					"3. 向全网终端防护推送 IOC（哈希、C2 域名）；\n4. 重置该用户域账号口令，检查同批邮件的其他收件人。"),
				dispatchStep("wanglei", person("张伟"), team("终端运维组"), vendor("外部数字取证服务商 (DFIR vendor)")),
				noteStep("zhangwei", incident.Handle, "终端已隔离，内存镜像已采集并移交取证服务商；同批邮件另有 4 名收件人，均未打开附件。"),
			},
		},
		{
			key: "ransomware-dup",
			reports: []demoReport{{by: "emily.wong", in: incident.ReportInput{
				Title:       "Finance PCs: files encrypted, ransom note on the desktop",
				Description: "A colleague in finance told me that files on their PCs cannot be opened and a ransom note appeared. Reporting in case nobody has yet.",
				Category:    incident.MaliciousProgram, OccurredAt: ago(2 * time.Hour)}}},
			steps: []demoStep{{by: "sarah.chen", duplicateOf: "ransomware", in: incident.TransitionInput{
				To: incident.Rejected, RejectReason: incident.Duplicate,
				RejectNote: "Same event as the FIN-PC-017 ransomware report; only one PC is affected."}}},
		},
		{
			key: "phishing",
			reports: []demoReport{{by: "emily.wong", in: incident.ReportInput{
				Title: "Phishing e-mail impersonating the CFO",
				Description: "I received an e-mail from \"Michael Zhou, CFO\" <cfo.office@zhou-finance-group.com> asking me to buy " +
					"twenty gift cards urgently and send him the codes before noon. The sender domain is not ours and the " +
					"signature looks copied from the intranet. Several people in HR received the same message.",
				Category: incident.CyberAttack, SuggestedLevel: incident.Serious,
				AffectedAssets: []string{"mail gateway", "HR mailboxes"}, OccurredAt: ago(6 * 24 * time.Hour)}}},
			steps: []demoStep{
				confirmStep("sarah.chen", incident.Serious, incident.CyberAttack, incident.Local, incident.MaliciousAttack,
					"Priya Nair: business e-mail compromise attempt. 41 recipients, 2 clicked the link, nobody replied or bought cards. "+
						"The look-alike domain was registered two days ago."),
				planStep("sarah.chen", "Block the sender domain on the mail gateway; purge the message from all mailboxes; "+
					"reset the passwords of the two users who clicked and revoke their sessions; warn all staff."),
				dispatchStep("sarah.chen", person("Priya Nair"), team("Mail & collaboration team")),
				noteStep("priya.nair", incident.Handle, "Domain blocked, 41 copies purged, two accounts reset; no sign-ins from unknown devices."),
				noteStep("priya.nair", incident.Review, "Containment complete; review drafted."),
				{by: "chenjing", in: incident.TransitionInput{To: incident.Closed,
					ReviewSummary: "A gift-card fraud e-mail impersonating the CFO reached 41 staff; it was blocked and purged within two hours. No money was lost.",
					RootCause:     "The mail gateway did not flag look-alike domains, and DMARC was not enforced for inbound mail.",
					Lessons:       "Enforce DMARC (p=reject) checks on inbound mail, tag external senders, add look-alike domain detection, and repeat the payment-verification briefing for HR and finance."}},
			},
		},
		{
			key: "cooling",
			reports: []demoReport{{by: "lina", in: incident.ReportInput{
				Title: "机房空调故障导致核心交换机高温告警",
				Description: "02:40 起 A 栋二层机房 2 号精密空调停机，冷通道温度升至 35°C，核心交换机 CORE-SW-01/02 连续触发高温告警" +
					"（入风口 41°C）。已临时打开机房门并启用移动风扇，业务暂未中断。",
				Category: incident.EquipmentFailure, SuggestedLevel: incident.Serious,
				AffectedAssets: []string{"CORE-SW-01", "CORE-SW-02", "A 栋二层机房"}, OccurredAt: ago(5 * time.Hour)}}},
			steps: []demoStep{
				confirmStep("wanglei", incident.Serious, incident.EquipmentFailure, incident.Local, "",
					"李娜鉴定：2 号空调压缩机故障，1 号空调单机无法满足负荷；若温度继续上升，核心交换机可能过热关机，影响全网。"),
				planStep("wanglei", "联系空调维保厂商上门抢修；每 30 分钟记录一次冷通道温度；温度超过 38°C 时将非关键业务迁移至 B 栋机房。"),
				dispatchStep("wanglei", team("机房运维组"), vendor("精密空调维保厂商"), person("李娜")),
			},
		},
		{
			key: "dmz-rule",
			reports: []demoReport{{by: "lina", in: incident.ReportInput{
				Title: "Unapproved firewall rule change on DMZ",
				Description: "The nightly configuration audit found a new rule on FW-DMZ-01 allowing any → 10.20.5.14:3389 (RDP to the " +
					"jump host). It was added yesterday at 22:13 by the shared 'netadmin' account; there is no change ticket.",
				Category: incident.RuleViolation, SuggestedLevel: incident.Ordinary,
				AffectedAssets: []string{"FW-DMZ-01", "JUMP-01 (10.20.5.14)"}, OccurredAt: ago(30 * time.Hour)}}},
			steps: []demoStep{
				confirmStep("sarah.chen", incident.Ordinary, incident.RuleViolation, incident.Local, incident.HumanError,
					"Li Na: the rule was added by a contractor to work remotely during a maintenance window. Firewall logs show no "+
						"connections to the jump host from outside the contractor's address."),
				planStep("sarah.chen", "Remove the rule; disable the shared netadmin account and issue named accounts; "+
					"check the jump host's RDP logs for the period the rule was open."),
				dispatchStep("sarah.chen", person("Li Na"), team("Network team")),
				noteStep("lina", incident.Handle, "Rule removed at 09:05; netadmin disabled; named accounts issued to the two contractors."),
				noteStep("lina", incident.Review, "RDP logs checked: only the contractor's sessions. Ready for review."),
			},
		},
		{
			key: "ddos",
			reports: []demoReport{
				{by: "lina", in: incident.ReportInput{
					Title: "门户网站遭受 DDoS 攻击，访问超时",
					Description: "09:12 起门户网站入口流量突增至 18 Gbps（平时不到 1 Gbps），大量 SYN 和 HTTP GET 洪水来自境外 IP，" +
						"门户页面访问超时，负载均衡器连接数已满。",
					Category: incident.CyberAttack, SuggestedLevel: incident.Special, Scope: incident.Global,
					AffectedAssets: []string{"www 门户", "LB-EDGE-01"}, DedupKey: "ddos:portal", OccurredAt: ago(40 * time.Minute)}},
				{by: "emily.wong", in: incident.ReportInput{
					Title:       "Customers cannot open the portal (timeouts)",
					Description: "The service desk has had a dozen calls in ten minutes: the public portal does not load.",
					Category:    incident.CyberAttack, DedupKey: "ddos:portal", OccurredAt: ago(25 * time.Minute)}},
			},
			steps: []demoStep{
				confirmStep("wanglei", incident.Special, incident.CyberAttack, incident.Global, incident.MaliciousAttack,
					"李娜鉴定：境外僵尸网络发起的混合型 DDoS，峰值 18 Gbps，超出本地清洗能力；源站未被入侵。"),
				planStep("wanglei", "启动运营商云清洗；源站只允许 CDN 回源；门户切换静态降级页面；按规定向主管部门报告。待管理者批准后调配资源。"),
			},
		},
		{
			key: "vpn",
			reports: []demoReport{{by: "priya.nair", in: incident.ReportInput{
				Title: "VPN account logins from an unusual country",
				Description: "The SIEM flagged 14 successful VPN sign-ins for the account j.smith between 01:00 and 03:00 from an " +
					"address abroad. He was in the office yesterday and says he was asleep at the time.",
				Category: incident.AbnormalBehaviour, AffectedAssets: []string{"VPN-GW-01", "account j.smith"}, OccurredAt: ago(8 * time.Hour)}}},
			steps: []demoStep{
				confirmStep("sarah.chen", incident.Serious, incident.AbnormalBehaviour, incident.Local, incident.MaliciousAttack,
					"Priya Nair: the password was most likely phished; MFA is not enforced for this VPN group. Sessions reached the file servers."),
			},
		},
		{
			key: "source-leak",
			reports: []demoReport{{by: "priya.nair", in: incident.ReportInput{
				Title:       "开发人员将内部源代码上传到个人 GitHub 仓库",
				Description: "代码泄露监测发现公开仓库中出现支付网关模块的源代码，提交者邮箱为一名在职开发人员的个人邮箱，代码中含有测试环境数据库连接串。",
				Category:    incident.DataSecurity, SuggestedLevel: incident.Serious, OccurredAt: ago(26 * time.Hour)}}},
			steps: []demoStep{
				confirmStep("wanglei", incident.Serious, incident.DataSecurity, incident.Local, incident.HumanError,
					"Priya Nair 鉴定：开发人员为在家调试自行上传，仓库公开约 9 小时；泄露的连接串仅指向测试环境，但需立即轮换。"),
			},
		},
		{
			key: "struts",
			reports: []demoReport{{by: "priya.nair", in: incident.ReportInput{
				Title:       "OA 系统存在未修复的 Struts2 远程代码执行漏洞",
				Description: "例行扫描发现 OA 系统（oa.example.com）仍使用 Struts 2.5.10，受 S2-045（CVE-2017-5638）影响，可从互联网访问。",
				Category:    incident.SecurityHazard, SuggestedLevel: incident.Serious, AffectedAssets: []string{"oa.example.com"}}}},
			steps: []demoStep{
				confirmStep("wanglei", incident.Serious, incident.SecurityHazard, incident.Local, "",
					"Priya Nair 鉴定：漏洞可被远程利用；近 30 天 Web 日志中有 3 次探测请求，未见利用成功的迹象。"),
				planStep("wanglei", "WAF 增加 Content-Type 注入拦截规则；本周内升级 Struts 至最新版本；复查近 90 天的 Web 日志和服务器进程。"),
			},
		},
		{
			key: "eicar",
			reports: []demoReport{{by: "zhangwei", in: incident.ReportInput{
				Title:       "Antivirus alert on build server BUILD-03",
				Description: "Endpoint protection quarantined /opt/ci/cache/av-check/eicar.com on BUILD-03 (EICAR-Test-File).",
				Category:    incident.MaliciousProgram, SuggestedLevel: incident.Ordinary, AffectedAssets: []string{"BUILD-03"}}}},
			steps: []demoStep{{by: "sarah.chen", in: incident.TransitionInput{To: incident.Rejected, RejectReason: incident.FalsePositive,
				RejectNote: "This is the EICAR test file written by the weekly antivirus health-check job. Nothing to do."}}},
		},
		{
			key: "drill",
			reports: []demoReport{{by: "chenjing", in: incident.ReportInput{
				Title:       "【演练】客户数据库疑似数据外泄 / [Drill] Suspected leak of the customer database",
				Description: "季度应急演练：模拟 DLP 发现 CRM 数据库导出文件被上传至外部网盘。This is a drill: no real data is involved.",
				Category:    incident.DataSecurity, SuggestedLevel: incident.Serious, Drill: true,
				AffectedAssets: []string{"CRM-DB-01"}}}},
			steps: []demoStep{
				confirmStep("wanglei", incident.Serious, incident.DataSecurity, incident.Global, incident.MaliciousAttack,
					"演练脚本：假设约 12 万条客户记录被导出。"),
				planStep("wanglei", "冻结相关账号；定位导出来源；评估涉及的个人信息并准备通报；保全日志。"),
				dispatchStep("wanglei", person("Priya Nair"), person("李娜"), team("数据库运维组")),
				noteStep("priya.nair", incident.Handle, "Drill: export traced to a service account; account frozen."),
			},
		},
		{
			key: "defacement",
			reports: []demoReport{{by: "emily.wong", in: incident.ReportInput{
				Title:       "官网新闻页面被篡改，出现不良信息",
				Description: "Our website's news page shows an image and text that we never published. Screenshot sent to the service desk. 官网“新闻动态”栏目首页出现非本单位发布的图片和文字。",
				Category:    incident.InformationContent, SuggestedLevel: incident.Special, Scope: incident.Global,
				AffectedAssets: []string{"www.example.com/news"}, OccurredAt: ago(15 * time.Minute)}}},
		},
		{
			key: "flood",
			reports: []demoReport{{by: "zhangwei", in: incident.ReportInput{
				Title:       "暴雨导致 B 栋地下 UPS 机房进水",
				Description: "凌晨暴雨，B 栋地下一层 UPS 机房地面积水约 3 厘米，漏水检测告警；UPS 仍在运行，已用沙袋封堵门口。",
				Category:    incident.ForceMajeure, SuggestedLevel: incident.Special,
				AffectedAssets: []string{"B 栋 UPS 机房", "UPS-B1"}, OccurredAt: ago(50 * time.Minute)}}},
		},
	}
}

// loadDemo loads the demo data set into a database that has no incidents
// yet; on one that has, it does nothing, so restarting with --demo is safe.
// exampleRoster is the contact roster the demo loads; it is also the
// documented example for `tocsin roster import`.
//
//go:embed roster.example.yaml
var exampleRoster []byte

func loadDemo(ctx context.Context, incidents *incident.Service, accounts *access.Service, rosters escalation.RosterStore, cfg Config, log *slog.Logger, stdout io.Writer) error {
	page, err := incidents.List(ctx, incident.ListFilter{Limit: 1, Brief: true})
	if err != nil {
		return err
	}
	if len(page.Items) > 0 {
		log.Info("demo data not loaded: the database already has incidents")
		fmt.Fprintf(stdout, "Demo: the database already has incidents; nothing loaded. Sign in at %s/login.\n", cfg.BaseURL)
		return nil
	}

	// The roster first: its people are the demo accounts, so the escalation
	// chains of the demo incidents page real people on a real rotation.
	if _, err := importRoster(ctx, rosters, "roster.example.yaml", exampleRoster, false); err != nil {
		return fmt.Errorf("roster: %w", err)
	}

	actors := map[string]incident.Actor{}
	passwords := map[string]string{}
	for _, p := range demoPeople {
		pw := access.NewSecret()[:16]
		u, err := accounts.CreateUser(ctx, access.NewUser{Username: p.username, Name: p.name, Email: p.email,
			Password: pw, Roles: p.roles, Lang: p.lang})
		if errors.Is(err, access.ErrExists) {
			// A load cut short before its first incident: keep the account.
			u, err = accounts.UserByUsername(ctx, p.username)
			pw = "(unchanged)"
		}
		if err != nil {
			return fmt.Errorf("account %s: %w", p.username, err)
		}
		actors[p.username] = incident.Actor{ID: u.ID, Name: u.Name}
		passwords[p.username] = pw
	}

	numbers := map[string]string{}
	for _, d := range demoIncidents(time.Now()) {
		var inc *incident.Incident
		for _, r := range d.reports {
			r.in.Source = "web"
			res, err := incidents.Report(ctx, r.in, actors[r.by])
			if err != nil {
				return fmt.Errorf("report %q: %w", r.in.Title, err)
			}
			inc = res.Incident
		}
		numbers[d.key] = inc.Number
		for _, st := range d.steps {
			st.in.Version = inc.Version
			if st.duplicateOf != "" {
				st.in.DuplicateOf = numbers[st.duplicateOf]
			}
			if inc, err = incidents.Transition(ctx, inc.ID, st.in, actors[st.by]); err != nil {
				return fmt.Errorf("move %s to %s: %w", numbers[d.key], st.in.To, err)
			}
		}
	}
	log.Info("demo data loaded", "people", len(demoPeople), "incidents", len(numbers))
	printDemoSummary(stdout, cfg, passwords)
	return nil
}

// printDemoSummary lists the demo accounts with their passwords, once.
func printDemoSummary(w io.Writer, cfg Config, passwords map[string]string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nDemo data loaded: %d incidents across every stage; sign in at %s/login\n\n", len(demoIncidents(time.Now())), cfg.BaseURL)
	fmt.Fprintf(&b, "  %-12s %-18s %-14s %-41s %s\n", "username", "password", "name", "duty", "roles")
	for _, p := range demoPeople {
		roles := []string{"reporter"}
		for _, r := range p.roles {
			roles = append(roles, string(r))
		}
		// Pad by runes and by display width: CJK names take two columns each.
		name := p.name + strings.Repeat(" ", max(0, 14-displayWidth(p.name)))
		fmt.Fprintf(&b, "  %-12s %-18s %s %-41s %s\n", p.username, passwords[p.username], name, p.duty, strings.Join(roles, ","))
	}
	b.WriteString("\nThese passwords are shown only this once. The admin account is printed above on first start.\n\n")
	_, _ = io.WriteString(w, b.String())
}

// displayWidth counts the terminal columns of s: East Asian wide
// characters take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) ||
			(r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60)) {
			n += 2
		} else {
			n++
		}
	}
	return n
}
