package incident

// Stage is where an incident stands in its life (DOMAIN.md, "Stages").
type Stage string

// The six working stages, in order, then the two ends.
const (
	Receive  Stage = "receive"
	Confirm  Stage = "confirm"
	Plan     Stage = "plan"
	Dispatch Stage = "dispatch"
	Handle   Stage = "handle"
	Review   Stage = "review"
	Closed   Stage = "closed"
	Rejected Stage = "rejected"
)

// StageInfo names a stage in both languages.
type StageInfo struct {
	Stage  Stage  `json:"stage"`
	NameEN string `json:"name_en"`
	NameZH string `json:"name_zh"`
}

// flow is the forward order; Rejected stands apart from it.
var flow = []StageInfo{
	{Receive, "Receive", "事件接报"},
	{Confirm, "Confirm", "事件确认"},
	{Plan, "Plan", "响应计划制定"},
	{Dispatch, "Dispatch", "资源调配"},
	{Handle, "Handle", "事件处理"},
	{Review, "Review", "后期评估与改进"},
	{Closed, "Closed", "已关闭"},
}

var rejectedInfo = StageInfo{Rejected, "Rejected", "已驳回"}

// Stages returns every stage: the flow in order, then Rejected.
func Stages() []StageInfo { return append(append([]StageInfo(nil), flow...), rejectedInfo) }

// WorkingStages returns the six stages an open incident can be in, in order.
func WorkingStages() []StageInfo { return append([]StageInfo(nil), flow[:6]...) }

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool { return s == Rejected || s.index() >= 0 }

// Open reports whether an incident in s is still being worked.
func (s Stage) Open() bool { i := s.index(); return i >= 0 && i < 6 }

// Info returns the names of s.
func (s Stage) Info() StageInfo {
	if s == Rejected {
		return rejectedInfo
	}
	if i := s.index(); i >= 0 {
		return flow[i]
	}
	return StageInfo{Stage: s, NameEN: string(s), NameZH: string(s)}
}

// index is the position of s in the flow, -1 for Rejected or unknown.
func (s Stage) index() int {
	for i, si := range flow {
		if si.Stage == s {
			return i
		}
	}
	return -1
}

// Next is the stage that follows s going forward, or "" at an end.
func (s Stage) Next() Stage {
	i := s.index()
	if i < 0 || i+1 >= len(flow) {
		return ""
	}
	return flow[i+1].Stage
}
