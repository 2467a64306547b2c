package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/runbooks"
	"github.com/tocsin-hub/tocsin/share"
	"github.com/tocsin-hub/tocsin/store"
)

// apiError is the JSON body of every API error: a summary, and where it
// applies the offending fields or the missing stage conditions.
type apiError struct {
	Error   string            `json:"error"`
	Fields  map[string]string `json:"fields,omitempty"`
	Missing []string          `json:"missing,omitempty"`
	// Messages explains each missing condition in the caller's language.
	Messages map[string]string `json:"messages,omitempty"`
	// Problems lists what is wrong with a runbook, each at its line.
	Problems []problemJSON `json:"problems,omitempty"`
}

// statusOf maps an error to its HTTP status. It is the one place that knows
// which domain error means what to a client; pages and the API both use it.
func statusOf(err error) int {
	var (
		invalid *incident.InvalidError
		blocked *incident.BlockedError
		tooBig  *http.MaxBytesError
		fields  fieldErrors
	)
	switch {
	case errors.As(err, new(*unprocessableError)):
		return http.StatusUnprocessableEntity
	case errors.As(err, &tooBig), errors.As(err, new(*fileTooBigError)):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &invalid), errors.As(err, &fields), errors.Is(err, access.ErrInvalid), errors.Is(err, store.ErrBadCursor),
		errors.Is(err, errBadRequest), errors.Is(err, runbooks.ErrInvalid):
		return http.StatusBadRequest
	case errors.As(err, &blocked), errors.Is(err, incident.ErrNotAllowed), errors.Is(err, incident.ErrIdempotencyMismatch),
		errors.Is(err, share.ErrNotAllowed):
		return http.StatusUnprocessableEntity
	case errors.Is(err, share.ErrSuspended):
		return http.StatusLocked
	case errors.Is(err, incident.ErrNotFound), errors.Is(err, access.ErrNotFound), errors.Is(err, escalation.ErrNotFound),
		errors.Is(err, notify.ErrNotFound), errors.Is(err, incident.ErrTaskNotFound), errors.Is(err, runbooks.ErrNotFound),
		errors.Is(err, share.ErrNotFound), errors.Is(err, share.ErrDenied):
		return http.StatusNotFound
	case errors.Is(err, incident.ErrConflict), errors.Is(err, access.ErrExists), errors.Is(err, escalation.ErrInUse),
		errors.Is(err, notify.ErrNotFailed), errors.Is(err, runbooks.ErrExists), errors.Is(err, runbooks.ErrStale),
		errors.Is(err, share.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, access.ErrUnauthorized), errors.Is(err, access.ErrBadLogin):
		return http.StatusUnauthorized
	case errors.Is(err, access.ErrForbidden), errors.Is(err, errCSRF), errors.Is(err, share.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, errNoRoster), errors.Is(err, errNoOutbox), errors.Is(err, errNoRunbooks), errors.Is(err, errNoEvidence),
		errors.Is(err, errNoAudit), errors.Is(err, errNoScanner), errors.Is(err, errNoShare):
		return http.StatusServiceUnavailable
	case errors.Is(err, access.ErrLockedOut):
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// unprocessableError marks a domain validation error (*incident.InvalidError)
// from a service whose API answers such errors with 422 rather than 400:
// the request was well formed but breaks a rule of the domain (sharing's
// limits: 14 days for emergency grants, 3 years for applications). Its
// body is the same field-by-field message in the caller's language.
type unprocessableError struct{ err error }

func (e *unprocessableError) Error() string { return e.err.Error() }
func (e *unprocessableError) Unwrap() error { return e.err }

// unprocessable wraps err when it is an *incident.InvalidError, so that
// it answers 422; other errors are returned as they are.
func unprocessable(err error) error {
	if errors.As(err, new(*incident.InvalidError)) {
		return &unprocessableError{err: err}
	}
	return err
}

// Sharing (package share) answers:
//   - share.ErrNotFound and share.ErrDenied: 404, the latter with one fixed
//     message whether the incident is unknown or not shared;
//   - share.ErrSuspended: 423 Locked — the access itself was understood and
//     the caller is who the grant names, but the grant is suspended (this
//     access or an earlier one went beyond its rate or scope) until its
//     owner reinstates it; the message says so;
//   - share.ErrConflict: 409; share.ErrForbidden: 403;
//   - *share.RefusedError (share.ErrNotAllowed): 422 with its en/zh text,
//     like *incident.RefusedError;
//   - the service's *incident.InvalidError: 422 (see unprocessable).

// errBadRequest marks malformed requests detected by the web layer itself.
var errBadRequest = errors.New("bad request")

// fail writes err as a JSON API error. Internal errors are logged with the
// request id and shown only as "internal error".
func (s *Server) fail(c *gin.Context, err error) {
	status := statusOf(err)
	body := apiError{Error: err.Error()}
	l := lang(c)
	var (
		invalid  *incident.InvalidError
		blocked  *incident.BlockedError
		fields   fieldErrors
		refusal  *incident.RefusedError
		shareNo  *share.RefusedError
		problems runbooks.Problems
		tooBig   *fileTooBigError
	)
	switch {
	case status == http.StatusInternalServerError:
		s.log.Error("request failed", "request_id", c.GetString(ctxRequestID), "err", err)
		body.Error = msg(l, "internal error", "内部错误")
	case errors.As(err, &tooBig):
		body.Error = msg(l, tooBig.EN(), tooBig.ZH())
	case status == http.StatusRequestEntityTooLarge:
		mib := bodyLimit(c.Request) >> 20
		body.Error = msg(l, fmt.Sprintf("request body is larger than %d MiB", mib), fmt.Sprintf("请求体超过 %d MiB", mib))
	case errors.As(err, &problems):
		body.Error = msg(l, "the runbook has problems; each is listed with its line", "预案存在问题，已逐条列出所在行")
		for _, p := range problems {
			body.Problems = append(body.Problems, toProblemJSON(p, l))
		}
	case errors.As(err, &refusal):
		body.Error = msg(l, refusal.EN, refusal.ZH)
	case errors.As(err, &shareNo):
		body.Error = msg(l, shareNo.EN, shareNo.ZH)
	case errors.Is(err, share.ErrDenied):
		// One answer for an unknown incident and one not shared with the
		// caller, whatever the reason, so that probing learns nothing.
		body.Error = msg(l, "no such incident, or it is not shared with you", "没有该事件，或该事件未向您共享")
	case errors.Is(err, share.ErrSuspended):
		body.Error = msg(l, "access through this grant is suspended after unusual use; its owner has been alerted and may reinstate it",
			"该授权因异常使用已被中止，已通知授权负责人，可由其恢复授权")
	case errors.Is(err, share.ErrNotFound):
		body.Error = msg(l, "no such grant, rule or copy", "没有该授权、规则或副本")
	case errors.Is(err, share.ErrConflict):
		body.Error = msg(l, "it was changed by someone else; reload it and try again", "已被他人修改，请刷新后重试")
	case errors.Is(err, share.ErrForbidden):
		body.Error = msg(l, "you may not take this decision (a request is never decided by its requester)",
			"您无权作出此决定（申请人不能审批自己的申请）")
	case errors.As(err, &fields):
		body.Error = msg(l, "invalid input", "输入有误")
		body.Fields = fields
	case errors.As(err, &invalid):
		body.Error = msg(l, "invalid input", "输入有误")
		body.Fields = map[string]string{}
		for f, m := range invalid.Fields {
			body.Fields[f] = msg(l, m.EN, m.ZH)
		}
	case errors.As(err, &blocked):
		body.Error = msg(l, "cannot enter "+string(blocked.To)+": entry conditions are not met",
			"无法进入“"+blocked.To.Info().NameZH+"”阶段：缺少必要条件")
		body.Messages = map[string]string{}
		for _, m := range blocked.Missing {
			body.Missing = append(body.Missing, m.Code)
			body.Messages[m.Code] = msg(l, m.EN, m.ZH)
		}
	case errors.Is(err, incident.ErrNotAllowed):
		body.Missing = []string{}
	case errors.Is(err, incident.ErrConflict):
		body.Error = msg(l, "the incident was changed by someone else; reload it and try again",
			"事件已被他人修改，请刷新后重试")
	case errors.Is(err, escalation.ErrInUse):
		body.Error = msg(l, err.Error(), "仍被名册或升级策略引用，无法删除（"+err.Error()+"）")
	case errors.Is(err, escalation.ErrNotFound):
		body.Error = msg(l, err.Error(), "名册中不存在（"+err.Error()+"）")
	case errors.Is(err, notify.ErrNotFailed):
		body.Error = msg(l, "only a dead or unknown message can be sent again by hand", "只有发送失败或结果未知的通知才能手动重发")
	case errors.Is(err, notify.ErrNotFound):
		body.Error = msg(l, "no such message in the outbox", "通知队列中没有该通知")
	case errors.Is(err, errNoOutbox):
		body.Error = msg(l, errNoOutbox.Error(), "本系统未启用通知队列")
	case errors.Is(err, incident.ErrTaskNotFound):
		body.Error = msg(l, "no such task", "没有此任务")
	case errors.Is(err, runbooks.ErrNotFound):
		body.Error = msg(l, "no such runbook (or version)", "没有此预案（或版本）")
	case errors.Is(err, runbooks.ErrExists):
		body.Error = msg(l, "a runbook with this id exists; edit it instead", "已有相同编号的预案，请编辑该预案")
	case errors.Is(err, runbooks.ErrStale):
		body.Error = msg(l, "the runbook was saved by someone else meanwhile; reload it and apply your change to the current version",
			"预案已被他人保存，请刷新后在当前版本上修改")
	case errors.Is(err, errNoRunbooks):
		body.Error = msg(l, "runbooks are not available on this hub", "本系统未启用预案库")
	case errors.Is(err, errNoEvidence):
		body.Error = msg(l, "evidence files are not available on this hub", "本系统未启用证据文件存储")
	case errors.Is(err, errNoAudit):
		body.Error = msg(l, "the audit trail is not available now; nothing was read", "审计日志暂不可用，未读取任何内容")
	case errors.Is(err, errNoScanner):
		body.Error = msg(l, errNoScanner.Error(), "本系统未启用统计")
	case errors.Is(err, errNoShare):
		body.Error = msg(l, errNoShare.Error(), "本系统未启用信息共享")
	case errors.Is(err, errNoRoster):
		body.Error = msg(l, "the roster is not available on this hub", "本系统未启用值班名册")
	case status == http.StatusServiceUnavailable:
		body.Error = msg(l, "this part of the hub is not available now", "该功能暂不可用")
	case status == http.StatusTooManyRequests:
		wait := lockedFor(err)
		c.Header("Retry-After", retryAfter(wait))
		body.Error = msg(l, "too many failed attempts; try again later", "失败尝试次数过多，请稍后重试")
	}
	c.AbortWithStatusJSON(status, body)
}

// msg picks the message in language l.
func msg(l, en, zh string) string {
	if l == "zh" {
		return zh
	}
	return en
}
