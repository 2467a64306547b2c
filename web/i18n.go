package web

import (
	"fmt"
	"html/template"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// text is one message in both languages.
type text struct{ en, zh string }

// T returns the message key in language l ("en" or "zh"), formatted with
// args (fmt verbs) when given. A key missing from the catalog comes out as
// ⟦key⟧, which tests look for; templates are checked at start-up.
//
// Names that the domain owns (levels with their definitions, categories,
// stages, entry conditions) are not repeated here: they come from package
// incident through levelName, categoryName, stageName and Condition.
func T(l, key string, args ...any) string {
	m, ok := catalog[key]
	if !ok {
		return "⟦" + key + "⟧"
	}
	s := m.en
	if l == "zh" {
		s = m.zh
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// tOr is T for a key built from data (a source, a task status): a value
// without a message is shown as it is.
func tOr(l, key, fallback string) string {
	if _, ok := catalog[key]; ok {
		return T(l, key)
	}
	return fallback
}

func templateFuncs(p *pages) template.FuncMap {
	return template.FuncMap{
		"T":     T,
		"asset": p.url,
		"counts": func(l string, rows []countRow) any {
			return struct {
				Lang string
				Rows []countRow
			}{l, rows}
		},
		"statset": func(l string, st statsView) any {
			return struct {
				Lang string
				S    statsView
			}{l, st}
		},
	}
}

func levelName(l string, lv incident.Level) string {
	if li, ok := lv.Info(); ok {
		return msg(l, li.NameEN, li.NameZH)
	}
	return string(lv)
}

func categoryName(l string, c incident.Category) string {
	if c == "" {
		return T(l, "category.none")
	}
	if ci, ok := c.Info(); ok {
		return msg(l, ci.NameEN, ci.NameZH)
	}
	return string(c)
}

func stageName(l string, s incident.Stage) string {
	si := s.Info()
	return msg(l, si.NameEN, si.NameZH)
}

func scopeName(l string, s incident.Scope) string { return tOr(l, "scope."+string(s), string(s)) }

func natureName(l string, n incident.Nature) string { return tOr(l, "nature."+string(n), string(n)) }

// fmtTime shows t in the server's zone with the zone's offset, so readers
// in other zones are not misled: "2026-03-05 14:30 UTC+08:00".
func fmtTime(t time.Time) string {
	t = t.Local()
	return t.Format("2006-01-02 15:04") + " " + zoneLabel(t)
}

// zoneLabel is t's UTC offset as "UTC+08:00".
func zoneLabel(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, off/3600, off%3600/60)
}

// ageLabel is a compact age for cards: 12m, 3h, 2d (12分钟, 3小时, 2天).
// board.js computes the same from data-created to keep it current.
func ageLabel(l string, d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d%s", max(int(d/time.Minute), 0), T(l, "age.m"))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d%s", int(d/time.Hour), T(l, "age.h"))
	}
	return fmt.Sprintf("%d%s", int(d/(24*time.Hour)), T(l, "age.d"))
}

// catalog holds every message of the pages. Keys are grouped by page or
// concern; %s and %d are fmt verbs filled by T's args.
var catalog = map[string]text{
	"brand.sub":                  {"Incident response hub", "应急响应中心"},
	"nav.label":                  {"Main", "主导航"},
	"nav.skip":                   {"Skip to content", "跳到正文"},
	"nav.board":                  {"Board", "工单看板"},
	"nav.report":                 {"Report an incident", "报告事件"},
	"nav.all":                    {"All incidents", "全部事件"},
	"nav.mine":                   {"My reports", "我的报告"},
	"nav.logout":                 {"Sign out", "退出"},
	"nav.signed_in_as":           {"Signed in as", "当前用户"},
	"badge.drill":                {"Drill", "演练"},
	"card.occurrences":           {"Number of reports of this incident", "该事件被报告的次数"},
	"category.none":              {"Not yet categorized", "尚未分类"},
	"choice.not_sure":            {"Not sure", "不确定"},
	"choice.not_yet":             {"Not determined yet", "尚未确定"},
	"choice.choose":              {"Choose…", "请选择…"},
	"form.fix_fields":            {"Please correct the fields marked below.", "请修改下面标出的字段。"},
	"age.m":                      {"m", "分钟"},
	"age.h":                      {"h", "小时"},
	"age.d":                      {"d", "天"},
	"scope.local":                {"Local", "局部"},
	"scope.global":               {"Global", "全局"},
	"scope.local.hint":           {"Confined to one place: a terminal, a segment, a system.", "局限于一处：某台终端、某个网段或某个系统。"},
	"scope.global.hint":          {"Spreading or affecting the organization as a whole.", "正在扩散，或影响整个单位。"},
	"nature.malicious_attack":    {"Malicious attack", "恶意攻击"},
	"nature.human_error":         {"Human error", "人为失误"},
	"nature.natural_disaster":    {"Natural disaster", "自然灾害"},
	"reject.false_positive":      {"False positive", "误报"},
	"reject.duplicate":           {"Duplicate", "重复报告"},
	"reject.false_positive.hint": {"Nothing happened that needs a response.", "并未发生需要响应的事件。"},
	"reject.duplicate.hint":      {"Already reported: this report is merged into the original.", "已有人报告：本报告将并入原事件。"},
	"assignee.team":              {"Team", "团队"},
	"assignee.person":            {"Person", "人员"},
	"assignee.vendor":            {"Vendor", "外部单位"},
	"task.todo":                  {"To do", "待办"},
	"task.in_progress":           {"In progress", "进行中"},
	"task.done":                  {"Done", "已完成"},
	"task.blocked":               {"Blocked", "受阻"},
	"task.waived":                {"Waived", "已豁免"},
	"source.web":                 {"Web form", "网页表单"},
	"source.api":                 {"API", "API"},
	"source.chat":                {"Chat", "聊天"},
	"step.done":                  {"done", "已完成"},
	"step.current":               {"current stage", "当前阶段"},
	"step.todo":                  {"not reached", "未到达"},
	"tl.reported":                {"Reported", "提交报告"},
	"tl.occurrence":              {"Reported again", "再次报告"},
	"tl.stage":                   {"Stage changed", "阶段变更"},
	"tl.level":                   {"Level changed", "级别变更"},
	"tl.merged":                  {"Duplicate merged", "合并重复报告"},

	"field.title":           {"Title", "标题"},
	"field.description":     {"What happened", "事件经过"},
	"field.category":        {"Category", "事件类别"},
	"field.suggested_level": {"Suggested level", "建议级别"},
	"field.level":           {"Confirmed level", "确认级别"},
	"field.new_level":       {"New level", "新级别"},
	"field.scope":           {"Scope", "影响范围"},
	"field.nature":          {"Nature", "事件性质"},
	"field.affected_assets": {"Affected assets", "受影响资产"},
	"field.occurred_at":     {"When it happened", "发生时间"},
	"field.drill":           {"This is a drill", "这是一次演练"},
	"field.assessment_note": {"Assessment note", "鉴定意见"},
	"field.measures":        {"Measures", "响应措施"},
	"field.assignees":       {"Assignees", "指派对象"},
	"field.assignee_kind":   {"Kind of lines without a prefix", "未注明类型的行按此类型"},
	"field.review_summary":  {"Review summary", "总结"},
	"field.root_cause":      {"Root cause", "根本原因"},
	"field.lessons":         {"Lessons learned", "经验教训"},
	"field.reject_reason":   {"Reason for rejecting", "驳回原因"},
	"field.duplicate_of":    {"Duplicate of", "重复于"},
	"field.reject_note":     {"Note", "说明"},
	"field.reason":          {"Reason", "原因"},
	"field.note":            {"Note for the timeline", "时间线备注"},
	"field.back_to":         {"Back to stage", "退回到阶段"},
	"field.occurrences":     {"Reports", "报告次数"},
	"field.stage":           {"Stage", "阶段"},

	"login.title":    {"Sign in", "登录"},
	"login.intro":    {"Sign in with your Tocsin account to report incidents and follow them.", "使用 Tocsin 账号登录，报告并跟踪安全事件。"},
	"login.username": {"Username", "用户名"},
	"login.password": {"Password", "密码"},
	"login.submit":   {"Sign in", "登录"},
	"login.failed":   {"Wrong username or password.", "用户名或密码错误。"},
	"login.expired":  {"The sign-in form expired. Please try again.", "登录表单已过期，请重试。"},

	"report.title":               {"Report an incident", "报告安全事件"},
	"report.intro":               {"Tell the response center what you saw. Only the title and what happened are required; if you are not sure about something, say so. You get a ticket number at once.", "请把您看到的情况告诉应急响应中心。只有标题和事件经过为必填项；不确定的内容可以选择“不确定”。提交后会立即得到工单编号。"},
	"report.submit":              {"Submit report", "提交报告"},
	"report.title_help":          {"A short summary, e.g. “Ransom note on the finance file server”.", "简要概括，例如“财务文件服务器出现勒索信息”。"},
	"report.description_help":    {"What you saw, where, and what you have done so far. Do not paste passwords.", "您看到了什么、在哪里、已经采取了哪些措施。请勿粘贴密码。"},
	"report.category_help":       {"The class of event under GB/T 20986-2023. Choose “Not sure” if in doubt: the assessment group decides.", "按 GB/T 20986-2023 划分的事件类别。如不确定请选“不确定”，由事件鉴定小组判定。"},
	"report.level_help":          {"Your estimate of the severity. The assessment group confirms the level.", "您对严重程度的估计，最终级别由事件鉴定小组确认。"},
	"report.level_not_sure_hint": {"Treated as serious until the assessment group confirms it.", "在鉴定小组确认前按严重事件处理。"},
	"report.scope_help":          {"Is the harm confined to one place, or spreading?", "危害是局限于一处，还是正在扩散？"},
	"report.assets_help":         {"One per line: host names, IP addresses, systems, accounts.", "每行一项：主机名、IP 地址、系统或账号。"},
	"report.occurred_help":       {"In your browser's time zone (without scripts: the server's, %s). Leave empty if unknown.", "按您浏览器的时区（浏览器未运行脚本时按服务器时区 %s）。不清楚可留空。"},
	"report.drill_help":          {"Drills run the full flow but are kept apart in statistics.", "演练会走完整流程，但在统计中单独计算。"},

	"list.all":      {"All incidents", "全部事件"},
	"list.mine":     {"My reports and assignments", "我的报告与任务"},
	"list.number":   {"Number", "编号"},
	"list.title":    {"Title", "标题"},
	"list.level":    {"Level", "级别"},
	"list.category": {"Category", "类别"},
	"list.stage":    {"Stage", "阶段"},
	"list.reporter": {"Reporter", "报告人"},
	"list.reported": {"Reported", "报告时间"},
	"list.empty":    {"No incidents match.", "没有符合条件的事件。"},
	"list.pages":    {"Pages", "分页"},
	"list.first":    {"« Newest", "« 最新"},
	"list.next":     {"Older »", "更早 »"},

	"filter.label":          {"Filter incidents", "筛选事件"},
	"filter.search":         {"Search title and description", "搜索标题和描述"},
	"filter.stage":          {"Stage", "阶段"},
	"filter.level":          {"Level", "级别"},
	"filter.category":       {"Category", "类别"},
	"filter.mine":           {"Only mine", "仅看我的"},
	"filter.apply":          {"Apply", "筛选"},
	"filter.clear":          {"Clear", "清除"},
	"filter.all_stages":     {"All stages", "全部阶段"},
	"filter.open_stages":    {"Open (not closed or rejected)", "处理中（未关闭或驳回）"},
	"filter.all_levels":     {"All levels", "全部级别"},
	"filter.all_categories": {"All categories", "全部类别"},

	"board.title":            {"Incident board", "事件工单看板"},
	"board.live":             {"Live", "实时更新中"},
	"board.connecting":       {"Connecting…", "正在连接…"},
	"board.empty":            {"Nothing here", "暂无事件"},
	"board.truncated":        {"Showing the newest %d open incidents only; use the filters to narrow the board.", "仅显示最新的 %d 个处理中事件，请使用筛选缩小范围。"},
	"board.announce_new":     {"New incident {number} in {stage}: {title}", "新事件 {number}（{stage}）：{title}"},
	"board.announce_moved":   {"{number} moved to {stage}", "{number} 已进入{stage}"},
	"board.announce_updated": {"{number} updated", "{number} 已更新"},
	"board.announce_removed": {"{number} left the board", "{number} 已移出看板"},

	// Delivery failures on the board and the ticket, and the outbox page.
	"delivery.failed":       {"delivery failed", "通知发送失败"},
	"delivery.failed_title": {"Some notifications about this incident could not be delivered", "该事件的部分通知未能送达"},
	"nav.outbox":            {"Outbox", "通知队列"},
	"outbox.title":          {"Notification outbox", "通知队列"},
	"outbox.intro":          {"Every notification Tocsin sends, and how its delivery went. Failed ones (given up after their attempts, or whose outcome was lost) can be sent again.", "Tocsin 发出的每条通知及其发送情况。发送失败（重试次数用尽，或发送结果丢失）的通知可以重新发送。"},
	"outbox.show":           {"Show", "显示"},
	"outbox.failures":       {"Failed (dead or unknown)", "发送失败（失败或结果未知）"},
	"outbox.incident":       {"Incident", "事件"},
	"outbox.created":        {"Created", "创建时间"},
	"outbox.channel":        {"Channel", "渠道"},
	"outbox.to":             {"To", "接收方"},
	"outbox.subject":        {"Subject", "主题"},
	"outbox.key":            {"Key", "通知键"},
	"outbox.status":         {"Status", "状态"},
	"outbox.attempts":       {"Attempts", "尝试次数"},
	"outbox.last_error":     {"Last error", "最近错误"},
	"outbox.actions":        {"Actions", "操作"},
	"outbox.retry":          {"Retry", "重新发送"},
	"outbox.retried":        {"Queued to be sent again:", "已重新加入发送队列："},
	"outbox.retry_refused":  {"Only a failed notification can be sent again; this one is no longer failed.", "只有发送失败的通知才能重新发送；该通知已不再是失败状态。"},
	"outbox.retry_unknown":  {"There is no such notification in the outbox.", "通知队列中没有该通知。"},
	"outbox.empty":          {"No notifications match.", "没有符合条件的通知。"},
	"outbox.oldest_first":   {"Oldest first, at most %d.", "按时间从早到晚排列，最多 %d 条。"},
	"outbox.status.pending": {"Pending", "待发送"},
	"outbox.status.sending": {"Sending", "发送中"},
	"outbox.status.retry":   {"Will retry", "等待重试"},
	"outbox.status.sent":    {"Sent", "已发送"},
	"outbox.status.dead":    {"Failed", "发送失败"},
	"outbox.status.unknown": {"Outcome unknown", "结果未知"},

	"ticket.recorded":            {"Your report was recorded as %s.", "您的报告已登记，编号 %s。"},
	"ticket.recorded_hint":       {"The response center has been told. Keep this number; this page shows what becomes of the report.", "应急响应中心已收到通知。请记下该编号，本页会显示报告的处理进展。"},
	"ticket.unconfirmed":         {"not yet confirmed", "尚未确认"},
	"ticket.confirmed":           {"confirmed", "已确认"},
	"ticket.progress":            {"Progress", "处理进度"},
	"ticket.description":         {"What happened", "事件经过"},
	"ticket.details":             {"Details", "详细信息"},
	"ticket.assets":              {"Affected assets", "受影响资产"},
	"ticket.assessment":          {"Assessment", "鉴定意见"},
	"ticket.plan":                {"Response plan", "响应计划"},
	"ticket.plan_approved":       {"Approved by %s · %s", "由 %s 批准 · %s"},
	"ticket.assignees":           {"Assigned", "指派对象"},
	"ticket.tasks":               {"Tasks", "任务"},
	"ticket.review":              {"Post-incident review", "事后评估"},
	"ticket.signed_off":          {"Signed off", "签批"},
	"ticket.rejection":           {"Rejection", "驳回"},
	"ticket.timeline":            {"Timeline", "时间线"},
	"ticket.reason":              {"Reason:", "原因："},
	"ticket.level":               {"Level in force", "当前级别"},
	"ticket.reporter":            {"Reporter", "报告人"},
	"ticket.reported_at":         {"Reported", "报告时间"},
	"ticket.updated_at":          {"Last change", "最近更新"},
	"ticket.source":              {"Reported through", "报告渠道"},
	"ticket.occurrences":         {"Reports", "报告次数"},
	"ticket.closed_banner":       {"This incident is closed (%s).", "该事件已关闭（%s）。"},
	"ticket.rejected_banner":     {"This report was rejected: %s.", "该报告已被驳回：%s。"},
	"ticket.no_actions":          {"There is nothing for you to do on this incident now.", "目前您对该事件没有可执行的操作。"},
	"ticket.move_to":             {"Move to “%s”", "进入“%s”"},
	"ticket.move_submit":         {"Move to %s", "进入%s"},
	"ticket.conditions_intro":    {"To enter “%s”, these must hold (✓ already met):", "进入“%s”需满足以下条件（✓ 表示已满足）："},
	"ticket.blocked":             {"Cannot enter “%s” yet. Missing:", "暂时无法进入“%s”，还缺少："},
	"ticket.conflict":            {"This incident was changed by someone else in the meantime. The page now shows the current state; check it and submit again.", "该事件刚被他人修改。页面已显示最新状态，请核对后重新提交。"},
	"ticket.not_allowed":         {"This stage change is not allowed from the incident's current stage.", "从事件当前阶段不允许进行此变更。"},
	"ticket.assessment_help":     {"The assessment group's finding: nature, scope and why this level.", "鉴定小组的意见：事件性质、影响范围及定级理由。"},
	"ticket.measures_help":       {"The response plan: what will be done, in which order, by whom.", "响应计划：采取哪些措施、顺序及负责人。"},
	"ticket.assignees_help":      {"One per line, e.g. “team: Network group”, “person: Li Lei”, “vendor: Acme support”.", "每行一个，例如“团队：网络组”“人员：李雷”“厂商：某某技术支持”。"},
	"ticket.note_help":           {"Optional; recorded on the timeline with this change.", "可选，随本次变更记入时间线。"},
	"ticket.change_level":        {"Change the level", "变更级别"},
	"ticket.change_level_intro":  {"Deadlines, notifications and approvals follow the new level.", "时限、通知和审批规则将按新级别执行。"},
	"ticket.change_level_submit": {"Change level", "变更级别"},
	"ticket.go_back":             {"Go back to an earlier stage", "退回到之前的阶段"},
	"ticket.go_back_intro":       {"For example to re-plan. The reason is recorded.", "例如需要重新制定计划。原因将被记录。"},
	"ticket.go_back_submit":      {"Go back", "退回"},
	"ticket.reject":              {"Reject this report", "驳回该报告"},
	"ticket.reject_intro":        {"The reporter is told the outcome.", "报告人会收到处理结果。"},
	"ticket.reject_submit":       {"Reject", "驳回"},
	"ticket.duplicate_help":      {"For a duplicate: the number of the original incident, e.g. INC-2026-000042.", "重复报告时填写原事件编号，例如 INC-2026-000042。"},
	"ticket.reopen":              {"Reopen", "重新打开"},
	"ticket.reopen_intro":        {"The incident returns to “%s”. The reason is recorded.", "事件将回到“%s”阶段，原因将被记录。"},
	"ticket.reopen_submit":       {"Reopen", "重新打开"},

	"error.request_id": {"Request id:", "请求编号："},
	"error.home":       {"Go to the start page", "返回首页"},
	"error.internal":   {"Something went wrong on our side. Please try again; if it keeps happening, tell the administrators the request id below.", "服务器出现问题，请重试；如果问题持续，请把下方的请求编号告知管理员。"},
	"error.not_found":  {"This page does not exist, or you may not see it.", "该页面不存在，或您无权查看。"},
	"error.forbidden":  {"Your role does not allow this.", "您的角色无权执行此操作。"},
	"error.csrf":       {"The form has expired. Go back, reload the page and try again.", "表单已过期，请返回并刷新页面后重试。"},
	"error.generic":    {"The request could not be completed.", "请求未能完成。"},
	"error.invalid":    {"Invalid input:", "输入有误："},
	"error.bad_cursor": {"The page link is no longer valid; start from the first page.", "分页链接已失效，请从第一页开始。"},
	"error.too_big":    {"The request is larger than 1 MiB.", "请求超过 1 MiB。"},
	"status.400":       {"Bad request", "请求有误"},
	"status.401":       {"Sign-in required", "需要登录"},
	"status.403":       {"Not allowed", "无权操作"},
	"status.404":       {"Not found", "未找到"},
	"status.405":       {"Method not allowed", "不支持的请求方法"},
	"status.409":       {"Changed by someone else", "已被他人修改"},
	"status.413":       {"Too large", "内容过大"},
	"status.422":       {"Cannot do that now", "暂时无法执行"},
	"status.500":       {"Internal error", "内部错误"},
	"status.503":       {"Unavailable", "服务不可用"},

	// Acknowledging, the roster and the escalation policies.
	"tl.acknowledged":    {"Acknowledged", "已确认接手"},
	"tl.escalation":      {"Escalation", "升级通知"},
	"tl.deadline_missed": {"Deadline missed", "超过时限"},
	"nav.roster":         {"On call", "值班表"},
	"ack.title":          {"Take this incident on", "接手该事件"},
	"ack.intro":          {"Acknowledging stops the paging chain; stage deadlines keep running.", "确认接手后停止逐级通知；各阶段时限继续计算。"},
	"ack.submit":         {"Acknowledge", "确认接手"},
	"ack.by":             {"Acknowledged by %s at %s", "已由 %s 于 %s 确认接手"},
	"ack.card":           {"Ack", "接手"},
	"ack.card_done":      {"Acked", "已接手"},
	"ack.card_title":     {"Acknowledge: stops the paging chain", "确认接手：停止逐级通知"},

	"roster.title":                 {"On call", "值班表"},
	"roster.edit_link":             {"Edit the roster", "编辑名册"},
	"roster.policies_link":         {"Escalation policies", "升级策略"},
	"roster.times_in":              {"Times in %s", "时间按 %s 显示"},
	"roster.now":                   {"Now: %s", "现在：%s"},
	"roster.zone_label":            {"Time zone", "时区"},
	"roster.zone_help":             {"An IANA name such as Asia/Shanghai or Europe/London.", "IANA 时区名，如 Asia/Shanghai、Europe/London。"},
	"roster.zone_apply":            {"Show", "显示"},
	"roster.gaps_banner":           {"%d coverage gap(s) in the next 14 days: a critical duty has nobody on call. See the teams marked below.", "未来 14 天内有 %d 处值班空缺：关键值班无人在岗。请查看下方标出的团队。"},
	"roster.teams":                 {"Teams", "团队"},
	"roster.gap_badge":             {"gap", "有空缺"},
	"roster.empty":                 {"The roster is empty. Import one with “tocsin roster import FILE” or add people and teams.", "名册为空。可用“tocsin roster import 文件”导入，或手动添加人员和团队。"},
	"roster.external":              {"External vendors and agencies", "外部厂商与机构"},
	"roster.departments":           {"Departments and liaisons", "部门与联络人员"},
	"roster.department":            {"Department", "部门"},
	"roster.liaison":               {"Liaison", "联络人员"},
	"roster.no_departments":        {"No departments yet.", "尚无部门。"},
	"roster.critical":              {"Critical duty", "关键值班"},
	"roster.lead":                  {"Lead:", "负责人："},
	"roster.since":                 {"since", "始于"},
	"roster.no_rotation_text":      {"No on-call rotation.", "无值班轮换。"},
	"roster.on_duty_now":           {"On duty now", "当前值班"},
	"roster.until":                 {"until %s", "至 %s"},
	"roster.by_override":           {"by an override", "临时替班"},
	"roster.nobody":                {"Nobody on duty", "无人值班"},
	"roster.next":                  {"Next", "下一班"},
	"roster.from":                  {"from %s", "自 %s 起"},
	"roster.no_change":             {"No change of duty in the next 14 days.", "未来 14 天内无换班。"},
	"roster.gaps_title":            {"Coverage gaps in the next 14 days — nobody on call:", "未来 14 天的值班空缺（无人在岗）："},
	"roster.covered":               {"Covered at all times for the next 14 days.", "未来 14 天全时段有人值班。"},
	"roster.schedule":              {"The next 14 days", "未来 14 天"},
	"roster.day":                   {"Day", "日期"},
	"roster.on_duty":               {"On duty", "值班人员"},
	"roster.override_badge":        {"override", "替班"},
	"roster.more":                  {"+%d more changes", "另有 %d 次换班"},
	"roster.members":               {"Members (%d)", "成员（%d）"},
	"roster.handovers":             {"Handover notes", "交接班记录"},
	"roster.written_by":            {"written by %s", "填写人 %s"},
	"roster.no_handovers":          {"No handover notes yet.", "尚无交接班记录。"},
	"roster.handover_write":        {"Write a handover note", "填写交接班记录"},
	"roster.handover_for":          {"For the change of duty at %s: %s → %s.", "针对 %s 的换班：%s → %s。"},
	"roster.handover_note":         {"Handover note", "交接说明"},
	"roster.handover_help":         {"Open incidents, work in progress, anything the next person should watch.", "未结事件、进行中的工作、接班人需要关注的事项。"},
	"roster.handover_submit":       {"Record the handover", "提交交接记录"},
	"roster.edit_title":            {"Edit the roster", "编辑名册"},
	"roster.back":                  {"Back to the roster", "返回值班表"},
	"roster.edit":                  {"Edit", "编辑"},
	"roster.delete":                {"Delete", "删除"},
	"roster.save":                  {"Save", "保存"},
	"roster.saved":                 {"Saved.", "已保存。"},
	"roster.none":                  {"None", "无"},
	"roster.no_rotation":           {"No rotation", "无轮换"},
	"roster.in_use":                {"This cannot be deleted: the roster or an escalation policy still refers to it.", "无法删除：名册或升级策略仍在引用。"},
	"roster.list_people":           {"People", "人员"},
	"roster.list_teams":            {"Teams", "团队"},
	"roster.list_overrides":        {"Overrides in the coming 31 days", "未来 31 天的替班"},
	"roster.list_empty":            {"None yet.", "暂无。"},
	"roster.nobody_removes":        {"Nobody (removes the duty)", "无人（取消值班）"},
	"roster.whoever":               {"Whoever is on duty", "当时的值班人员"},
	"roster.form_person":           {"Add or change a person", "添加或修改人员"},
	"roster.form_person_intro":     {"Saving an existing id replaces that person.", "使用已有编号保存会覆盖该人员。"},
	"roster.form_team":             {"Add or change a team", "添加或修改团队"},
	"roster.form_team_intro":       {"Saving an existing id replaces that team and its rotation.", "使用已有编号保存会覆盖该团队及其轮换。"},
	"roster.form_department":       {"Add or change a department", "添加或修改部门"},
	"roster.form_department_intro": {"Each department has a designated liaison.", "每个部门须指定联络人员。"},
	"roster.form_override":         {"Add an override", "添加临时替班"},
	"roster.form_override_intro":   {"A person takes another's duty, or the duty is removed, between two times.", "在指定时段内由某人替换另一人值班，或取消值班。"},
	"roster.f.id":                  {"Id", "编号"},
	"roster.f.id_help":             {"Letters, digits and . _ : @ -; for people, their Tocsin username.", "字母、数字及 . _ : @ -；人员编号请使用其 Tocsin 用户名。"},
	"roster.f.name":                {"Name", "名称"},
	"roster.f.roles":               {"Roles", "角色"},
	"roster.f.roles_help":          {"Comma-separated, e.g. network_engineer, security_manager.", "用逗号分隔，如 network_engineer, security_manager。"},
	"roster.f.department":          {"Department", "部门"},
	"roster.f.time_zone":           {"Time zone", "时区"},
	"roster.f.time_zone_help":      {"An IANA name such as Asia/Shanghai.", "IANA 时区名，如 Asia/Shanghai。"},
	"roster.f.kind":                {"Kind", "类型"},
	"roster.f.members":             {"Members", "成员"},
	"roster.f.ids_help":            {"Person ids, separated by commas or spaces.", "人员编号，用逗号或空格分隔。"},
	"roster.f.lead":                {"Lead (a member's id)", "负责人（成员编号）"},
	"roster.f.critical":            {"Critical duty: someone must be on call at all times", "关键值班：必须全时段有人在岗"},
	"roster.f.interval":            {"Rotation", "轮换周期"},
	"roster.f.interval_help":       {"Daily and weekly hand-offs follow the wall clock of the rotation's time zone.", "每日和每周轮换按轮换时区的当地时间交接。"},
	"roster.f.participants":        {"Participants, in order", "轮换人员（按顺序）"},
	"roster.f.participants_help":   {"Member ids in the order they take turns.", "按轮值顺序填写成员编号。"},
	"roster.f.handoff_time":        {"Hand-off time", "交接时间"},
	"roster.f.handoff_time_help":   {"HH:MM, 24-hour, e.g. 09:00.", "HH:MM，24 小时制，如 09:00。"},
	"roster.f.weekday":             {"Hand-off weekday", "交接星期"},
	"roster.f.weekday_help":        {"Weekly rotations only.", "仅用于每周轮换。"},
	"roster.f.length":              {"Shift length", "班次时长"},
	"roster.f.length_help":         {"Custom rotations only: a Go duration such as 12h or 72h.", "仅用于自定义轮换：Go 时长格式，如 12h 或 72h。"},
	"roster.f.start":               {"Start", "开始时间"},
	"roster.f.start_help":          {"In the rotation's time zone; the first shift begins at the first hand-off from then.", "按轮换时区填写；首个班次从此后的第一次交接开始。"},
	"roster.f.liaison":             {"Liaison", "联络人员"},
	"roster.f.team":                {"Team", "团队"},
	"roster.f.person":              {"Person on duty", "替班人员"},
	"roster.f.person_help":         {"Who takes the duty; “nobody” removes it and leaves a gap.", "由谁值班；选“无人”则取消值班，留下空缺。"},
	"roster.f.replaces":            {"Replaces", "被替换人员"},
	"roster.f.replaces_help":       {"Whose duty is taken; leave as is for whoever is on.", "替换谁的值班；保持默认则替换当时的值班人员。"},
	"roster.f.ov_start":            {"From", "开始"},
	"roster.f.ov_end":              {"Until", "结束"},
	"roster.f.ov_zone_help":        {"The zone of the two times; empty for the server's (%s).", "以上时间所用时区；留空则按服务器时区（%s）。"},
	"roster.f.note":                {"Note", "备注"},
	"interval.daily":               {"Daily", "每日"},
	"interval.weekly":              {"Weekly", "每周"},
	"interval.custom":              {"Every", "每隔"},
	"team.kind.response_center":    {"Response center", "应急响应中心"},
	"team.kind.assessment":         {"Assessment group", "事件鉴定小组"},
	"team.kind.support":            {"Technical support", "技术支持"},
	"team.kind.management":         {"Management", "管理层"},
	"team.kind.vendor":             {"External vendor", "外部厂商"},
	"team.kind.agency":             {"Agency", "外部机构"},
	"contact.email":                {"E-mail", "电子邮件"},
	"contact.phone":                {"Phone", "电话"},
	"contact.slack":                {"Slack", "Slack"},
	"contact.wecom":                {"WeCom", "企业微信"},
	"contact.dingtalk":             {"DingTalk", "钉钉"},
	"contact.feishu":               {"Feishu", "飞书"},
	"role.coordinator":             {"coordinator", "协调员"},
	"role.network_engineer":        {"network engineer", "网络工程师"},
	"role.terminal_engineer":       {"terminal and device engineer", "终端及设备维护工程师"},
	"role.application_engineer":    {"application engineer", "应用程序员"},
	"role.security_manager":        {"security manager", "安全主管"},
	"role.leadership":              {"leadership", "领导"},

	"policy.title":      {"Escalation policies", "升级策略"},
	"policy.intro":      {"Per level: whom to page, in order, until someone acknowledges, and the deadlines counted from the report. Durations are Go durations: 90s, 15m, 4h, 14d.", "按级别设置：在有人确认接手前依次通知谁，以及自报告起计算的各项时限。时长使用 Go 格式：90s、15m、4h、14d。"},
	"policy.read_only":  {"Only administrators change the policies.", "仅管理员可修改升级策略。"},
	"policy.chain":      {"Paging chain", "通知链"},
	"policy.ack":        {"Acknowledge within", "确认接手时限"},
	"policy.confirm":    {"Confirm within", "确认阶段时限"},
	"policy.dispatch":   {"Dispatch within", "调配阶段时限"},
	"policy.handle":     {"Handle within", "处理完成时限"},
	"policy.edit":       {"Change the policy for %s", "修改“%s”的策略"},
	"policy.steps":      {"Steps, one a line", "步骤（每行一个）"},
	"policy.steps_help": {"“oncall TEAM”, “lead TEAM”, “team TEAM”, “role TEAM ROLE” or “person ID”, then optionally delay=15m (0 waits the acknowledgement deadline) and repeat=N.", "格式为“oncall 团队”“lead 团队”“team 团队”“role 团队 角色”或“person 人员”，可附加 delay=15m（省略则等待确认时限）和 repeat=次数。"},
}
