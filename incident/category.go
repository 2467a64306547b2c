package incident

// Category is one of the ten event classes of GB/T 20986-2023
// (网络安全事件分类分级指南), identified by a stable code.
type Category string

// The ten categories. The codes are stable: they are stored and used in APIs.
const (
	MaliciousProgram   Category = "malicious_program"
	CyberAttack        Category = "cyber_attack"
	DataSecurity       Category = "data_security"
	InformationContent Category = "information_content"
	EquipmentFailure   Category = "equipment_failure"
	RuleViolation      Category = "rule_violation"
	SecurityHazard     Category = "security_hazard"
	AbnormalBehaviour  Category = "abnormal_behaviour"
	ForceMajeure       Category = "force_majeure"
	OtherCategory      Category = "other"
)

// CategoryInfo names a category in both languages with typical examples.
type CategoryInfo struct {
	Category   Category `json:"code"`
	NameEN     string   `json:"name_en"`
	NameZH     string   `json:"name_zh"`
	ExamplesEN string   `json:"examples_en"`
	ExamplesZH string   `json:"examples_zh"`
}

var categories = []CategoryInfo{
	{MaliciousProgram, "Malicious program", "恶意程序", "virus, worm, trojan, ransomware, mining", "病毒、蠕虫、木马、勒索软件、挖矿程序"},
	{CyberAttack, "Cyber attack", "网络攻击", "DoS, exploitation, scanning, phishing, APT, supply chain", "拒绝服务、漏洞利用、扫描探测、网络钓鱼、APT、供应链攻击"},
	{DataSecurity, "Data security", "数据安全", "leak, tampering, theft", "数据泄露、篡改、窃取"},
	{InformationContent, "Information content security", "信息内容安全", "illegal or harmful content published or spread", "发布或传播违法有害信息"},
	{EquipmentFailure, "Equipment and facility failure", "设备设施故障", "hardware, power, cooling, network line failure", "硬件、供电、空调、线路故障"},
	{RuleViolation, "Violation of operating rules", "违规操作", "unapproved permission or configuration changes", "未经批准更改权限或配置"},
	{SecurityHazard, "Security hazard", "安全隐患", "an exploitable weakness found", "发现可被利用的弱点"},
	{AbnormalBehaviour, "Abnormal behaviour", "异常行为", "unusual access, traffic or account activity", "异常访问、流量或账号活动"},
	{ForceMajeure, "Force majeure", "不可抗力", "natural disaster, fire, flood", "自然灾害、火灾、水灾"},
	{OtherCategory, "Other", "其他", "anything not listed above", "以上未列出的事件"},
}

// Categories returns the ten categories in the order of the standard.
func Categories() []CategoryInfo { return append([]CategoryInfo(nil), categories...) }

// Valid reports whether c is one of the ten category codes.
func (c Category) Valid() bool {
	_, ok := c.Info()
	return ok
}

// Info returns the description of c; ok is false for an unknown code.
func (c Category) Info() (CategoryInfo, bool) {
	for _, ci := range categories {
		if ci.Category == c {
			return ci, true
		}
	}
	return CategoryInfo{}, false
}
