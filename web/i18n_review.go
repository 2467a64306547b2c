package web

// reviewCatalog holds the messages of the post-incident review, its
// exports and the manager reports.
var reviewCatalog = map[string]text{
	"nav.reports": {"Reports", "统计报告"},

	"review.title":          {"Post-incident review", "事件后期评估报告"},
	"review.incident":       {"Incident", "事件"},
	"review.level":          {"Level", "级别"},
	"review.category":       {"Category", "类别"},
	"review.stage":          {"Stage", "阶段"},
	"review.reported":       {"Reported", "上报时间"},
	"review.reporter":       {"Reporter", "报告人"},
	"review.drill":          {"Drill: kept apart from the statistics", "演练：不计入统计"},
	"review.summary":        {"Summary", "总结"},
	"review.timings":        {"Response times", "响应时间"},
	"review.measure":        {"Measure", "指标"},
	"review.took":           {"Took", "用时"},
	"review.deadline":       {"Deadline", "时限"},
	"review.result":         {"Result", "结果"},
	"review.met":            {"met", "达标"},
	"review.missed":         {"MISSED", "超时"},
	"review.pending":        {"pending", "进行中"},
	"review.na":             {"n/a", "不适用"},
	"review.none":           {"none", "无"},
	"review.chronology":     {"Chronology", "事件经过"},
	"review.escalations":    {"Escalations fired", "已触发的升级"},
	"review.misses":         {"Deadline misses recorded", "记录的超时"},
	"review.people":         {"People involved", "参与人员"},
	"review.teams":          {"Teams involved", "参与团队"},
	"review.tasks":          {"Tasks and results", "任务及结果"},
	"review.runbooks":       {"Runbooks used", "采用的预案"},
	"review.root_cause":     {"Root cause", "根本原因"},
	"review.impact":         {"Impact", "影响"},
	"review.impact_systems": {"Systems", "系统"},
	"review.impact_data":    {"Data", "数据"},
	"review.impact_people":  {"People", "人员"},
	"review.impact_dur":     {"Duration", "持续时间"},
	"review.evaluation":     {"Evaluation of the response", "响应评价"},
	"review.went_well":      {"What went well", "做得好的方面"},
	"review.went_badly":     {"What did not", "存在的不足"},
	"review.lessons":        {"Lessons learned", "经验教训"},
	"review.actions":        {"Corrective actions", "整改措施"},
	"review.action":         {"Action", "措施"},
	"review.owner":          {"Owner", "负责人"},
	"review.due":            {"Due", "期限"},
	"review.status":         {"Status", "状态"},
	"review.overdue":        {"overdue", "已逾期"},
	"review.returned":       {"Returned by %s on %s", "%s 于 %s 退回"},
	"review.signoff":        {"Sign-off", "签批"},
	"review.signed_by":      {"Signed off by %s on %s", "%s 于 %s 签批"},
	"review.not_signed":     {"Awaiting a manager's sign-off", "等待管理者签批"},
	"review.print":          {"Print", "打印"},
	"review.markdown":       {"Markdown", "Markdown"},
	"review.generated":      {"Generated %s", "生成于 %s"},
	"review.when":           {"When", "时间"},
	"review.who":            {"Who", "人员"},
	"review.what":           {"What", "内容"},
	"review.task":           {"Task", "任务"},
	"review.assignee":       {"Assignee", "负责人"},
	"review.open_review":    {"Review report", "评估报告"},
	"review.forms":          {"Work on the review", "填写与签批"},
	"review.write":          {"Write the review", "填写评估报告"},
	"review.save":           {"Save", "保存"},
	"review.add_action":     {"Add a corrective action", "添加整改措施"},
	"review.owner_username": {"Owner (username)", "负责人（用户名）"},
	"review.add":            {"Add", "添加"},
	"review.update_action":  {"Update corrective actions", "更新整改措施"},
	"review.note":           {"Note", "备注"},
	"review.sign":           {"Sign off and close", "签批并关闭"},
	"review.return":         {"Return with comments", "退回修改"},
	"review.return_comment": {"What must change", "需要修改的内容"},

	"action.open":        {"open", "未开始"},
	"action.in_progress": {"in progress", "进行中"},
	"action.done":        {"done", "已完成"},
	"action.cancelled":   {"cancelled", "已取消"},

	"tl.review_written":  {"Review written", "评估报告已填写"},
	"tl.review_returned": {"Review returned", "评估报告被退回"},
	"tl.action_added":    {"Corrective action added", "新增整改措施"},
	"tl.action_updated":  {"Corrective action updated", "整改措施已更新"},
}

func init() {
	for k, v := range reviewCatalog {
		if _, dup := catalog[k]; !dup {
			catalog[k] = v
		}
	}
}

// reportsCatalog holds the messages of the managers' reports page.
var reportsCatalog = map[string]text{
	"reports.title":        {"Reports and statistics", "统计报告"},
	"reports.filter":       {"Filter", "筛选"},
	"reports.from":         {"From", "开始日期"},
	"reports.to":           {"To", "结束日期"},
	"reports.level":        {"Level", "级别"},
	"reports.category":     {"Category", "类别"},
	"reports.team":         {"Team", "团队"},
	"reports.any":          {"Any", "全部"},
	"reports.apply":        {"Apply", "应用"},
	"reports.csv":          {"Download CSV", "下载 CSV"},
	"reports.json":         {"JSON", "JSON"},
	"reports.real":         {"Incidents (drills excluded)", "事件（不含演练）"},
	"reports.drills":       {"Drills (kept apart)", "演练（单独统计）"},
	"reports.total":        {"Incidents: %d", "事件总数：%d"},
	"reports.by_level":     {"Incidents by level", "按级别统计"},
	"reports.by_category":  {"Incidents by category", "按类别统计"},
	"reports.by_stage":     {"Incidents by stage", "按阶段统计"},
	"reports.by_month":     {"Incidents by month", "按月份统计"},
	"reports.name":         {"Name", "名称"},
	"reports.count":        {"Count", "数量"},
	"reports.times":        {"Response times and deadline compliance", "响应时间与时限达标情况"},
	"reports.times_of":     {"Mean response times, %s, against the deadline", "%s平均响应时间与时限对比"},
	"reports.mean_of":      {"mean %s · p90 %s / %s", "平均 %s · p90 %s / %s"},
	"reports.mean":         {"Mean", "平均"},
	"reports.p90":          {"90th percentile", "90 百分位"},
	"reports.met":          {"Met", "达标"},
	"reports.missed":       {"Missed", "超时"},
	"reports.pending":      {"Pending", "进行中"},
	"reports.rate":         {"Compliance", "达标率"},
	"reports.p90_note":     {"Times run from the report. The 90th percentile is the nearest-rank value: the ⌈0.9·n⌉-th smallest time. Compliance is met ÷ (met + missed); an open incident past a deadline counts as missed.", "时间自上报起计算。90 百分位采用最近秩法：第 ⌈0.9·n⌉ 小的值。达标率 = 达标 ÷（达标 + 超时）；超过时限仍未完成的在办事件计为超时。"},
	"reports.escalations":  {"Escalations fired: %d · deadline misses recorded: %d", "已触发升级：%d · 记录的超时：%d"},
	"reports.actions":      {"Corrective actions: %d open, %d overdue", "整改措施：%d 项未完成，%d 项逾期"},
	"reports.overdue":      {"Overdue corrective actions", "逾期整改措施"},
	"reports.no_data":      {"No incidents in this selection.", "所选范围内没有事件。"},
	"reports.no_durations": {"No response times yet.", "暂无响应时间数据。"},
}

func init() {
	for k, v := range reportsCatalog {
		if _, dup := catalog[k]; !dup {
			catalog[k] = v
		}
	}
}
