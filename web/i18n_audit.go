package web

// The messages of need-to-know access, restricted incidents, the audit
// trail and sign-in lockouts, merged into the catalog at start.
var auditCatalog = map[string]text{
	"nav.audit":        {"Audit trail", "审计日志"},
	"badge.restricted": {"Restricted", "受限"},
	"restricted.banner": {"Only the people named on this incident, managers and auditors see it. Its notifications carry its number and link only.",
		"仅本事件指定的人员、管理人员和审计员可以查看。其通知只包含事件编号和链接。"},
	"tl.restricted":              {"Access restricted or opened", "访问限制变更"},
	"field.restricted":           {"Restricted", "受限"},
	"field.participants":         {"People who keep seeing it", "保留查看权限的人员"},
	"restrict.title":             {"Restrict access", "限制访问"},
	"restrict.intro":             {"For sensitive cases (e.g. insider cases): only the people named on the incident, managers and auditors will see it, and its notifications will carry its number and link only. You are named on it. The reason is recorded.", "用于敏感事件（如内部人员案件）：仅事件指定人员、管理人员和审计员可以查看，通知只包含编号和链接。您将被列为指定人员。原因将被记录。"},
	"restrict.submit":            {"Restrict", "限制访问"},
	"restrict.participants_help": {"Usernames, separated by commas or new lines. People already working the incident stay named.", "用户名，以逗号或换行分隔。已参与处置的人员保持不变。"},
	"restrict.lift":              {"Lift the restriction", "取消访问限制"},
	"restrict.lift_intro":        {"Everyone who works the incident will see it again. The reason is recorded.", "所有参与处置的人员将重新可以查看。原因将被记录。"},
	"restrict.lift_submit":       {"Lift restriction", "取消限制"},

	"login.locked": {"Too many failed sign-ins. For your security, signing in is paused: try again in %d minutes.",
		"登录失败次数过多。为保障账号安全，登录已暂停，请在 %d 分钟后重试。"},

	"audit.title":      {"Audit trail", "审计日志"},
	"audit.intro":      {"Every change, sign-in and sensitive read, newest first. Your reading of this page is recorded too.", "所有变更、登录和敏感读取记录，最新的在前。您查看本页也会被记录。"},
	"audit.filter":     {"Filter the audit trail", "筛选审计日志"},
	"audit.incident":   {"Incident number", "事件编号"},
	"audit.actor":      {"Person (username or user id)", "人员（用户名或用户编号）"},
	"audit.from":       {"From", "开始日期"},
	"audit.to":         {"To (inclusive)", "结束日期（含）"},
	"audit.export":     {"Export as CSV", "导出为 CSV"},
	"audit.empty":      {"No records match.", "没有符合条件的记录。"},
	"audit.seq":        {"No.", "序号"},
	"audit.when":       {"When", "时间"},
	"audit.who":        {"Who", "人员"},
	"audit.action":     {"What", "操作"},
	"audit.target":     {"On", "对象"},
	"audit.where":      {"From where", "来源"},
	"audit.details":    {"Before → after", "变更前 → 变更后"},
	"audit.redacted":   {"Details hidden: you may not see this incident.", "详情已隐藏：您无权查看该事件。"},
	"audit.hash":       {"Record hash", "记录哈希"},
	"error.audit_down": {"The audit trail is not available now, so nothing was shown (every read of it must be recorded). Try again shortly.", "审计日志暂不可用，因此未显示任何内容（每次读取都必须被记录）。请稍后重试。"},
	"error.locked":     {"Too many failed attempts. Try again later.", "失败尝试次数过多，请稍后重试。"},
	"status.429":       {"Too many attempts", "尝试次数过多"},
}

func init() {
	for k, v := range auditCatalog {
		catalog[k] = v
	}
}
