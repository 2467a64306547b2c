package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/tocsin-hub/tocsin/share"
)

// KindShare is a message about a sharing grant or attribute rule: a
// request to decide, a decision, a suspension alert, an expiry.
const KindShare Kind = "share"

// ShareDeciders finds who may decide a submitted request: managers for
// an emergency request; for an application, managers and whoever the
// sharing policy lets decide it (the owners of its incidents). It is
// implemented at wiring over the accounts.
type ShareDeciders interface {
	// Deciders returns the account ids of those who may decide g, never
	// its requester.
	Deciders(ctx context.Context, g *share.Grant) ([]string, error)
}

// ShareNotifier turns sharing notices into outbox messages, one per
// reader, routed like the review's reminders (Slack DM when the account
// is linked and chat is on, else e-mail, else the log) and written in the
// reader's language. Shared information is sensitive: the texts name
// grants, rules, incident numbers and people, never an incident's title
// or details, nor the free text of a request or decision (the reader
// signs in to read them, through the link).
type ShareNotifier struct {
	out      Enqueuer
	contacts Contacts
	deciders ShareDeciders
	baseURL  string
	log      *slog.Logger
}

var _ share.Notifier = (*ShareNotifier)(nil)

// NewShareNotifier returns a notifier that enqueues on out, finds readers
// through contacts and deciders, and links to the hub at baseURL.
func NewShareNotifier(out Enqueuer, contacts Contacts, deciders ShareDeciders, baseURL string, log *slog.Logger) *ShareNotifier {
	return &ShareNotifier{out: out, contacts: contacts, deciders: deciders, baseURL: strings.TrimRight(baseURL, "/"), log: log}
}

// Notify enqueues the messages of ns. A submitted request goes to its
// deciders (one message each, keyed by the notice's key and the decider),
// every other notice to its To. Keys make a repeated notice a no-op.
func (n *ShareNotifier) Notify(ctx context.Context, ns ...share.Notice) error {
	var msgs []Message
	for _, no := range ns {
		if no.Grant == nil && no.Kind != share.NoticeRuleRate {
			return fmt.Errorf("share notice %s: no grant", no.Kind)
		}
		if no.Kind == share.NoticeRuleRate && no.Rule == nil {
			return fmt.Errorf("share notice %s: no rule", no.Kind)
		}
		key := no.Key
		if key == "" {
			key = defaultShareKey(no)
		}
		if no.Kind == share.NoticeSubmitted {
			ids, err := n.deciders.Deciders(ctx, no.Grant)
			if err != nil {
				return fmt.Errorf("deciders of %s: %w", no.Grant.ID, err)
			}
			if len(ids) == 0 {
				n.log.WarnContext(ctx, "a sharing request has nobody to decide it", "grant", no.Grant.ID, "key", key)
			}
			for _, id := range ids {
				if id == no.Grant.Requester.UserID {
					continue
				}
				m, err := n.message(ctx, no, id, key+"/"+id)
				if err != nil {
					return err
				}
				msgs = append(msgs, m)
			}
			continue
		}
		if no.To.UserID == "" {
			return fmt.Errorf("share notice %s %s: nobody to tell", no.Kind, key)
		}
		m, err := n.message(ctx, no, no.To.UserID, key)
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 {
		return nil
	}
	added, err := n.out.Enqueue(ctx, msgs...)
	if err != nil {
		return fmt.Errorf("share notices: %w", err)
	}
	n.log.DebugContext(ctx, "share notices", "messages", len(msgs), "enqueued", added)
	return nil
}

// message is notice no for account id, routed to its contact.
func (n *ShareNotifier) message(ctx context.Context, no share.Notice, id, key string) (Message, error) {
	c, err := n.contacts.Contact(ctx, id)
	switch {
	case errors.Is(err, ErrNoContact):
		c = Contact{}
	case err != nil:
		return Message{}, fmt.Errorf("share notice %s: %w", key, err)
	}
	m := Message{Key: fitBytes(key, MaxKey), Kind: KindShare, Recipient: id, Restricted: true}
	route(&m, c)
	m.Subject, m.Body = ShareText(no, id, c.Lang, n.baseURL)
	return m, nil
}

// defaultShareKey is a notice's key when the service gave none.
func defaultShareKey(no share.Notice) string {
	if no.Grant == nil {
		return fmt.Sprintf("share/rule/%s/%s/%d/%s", no.Rule.ID, no.Kind, no.Rule.Version, no.To.UserID)
	}
	return fmt.Sprintf("share/%s/%s/%d/%s", no.Grant.ID, no.Kind, no.Grant.Version, no.To.UserID)
}

// GrantURL is the address of grant id on the hub at baseURL.
func GrantURL(baseURL, id string) string {
	return strings.TrimRight(baseURL, "/") + "/sharing/grants/" + url.PathEscape(id)
}

// ApplyURL is where to apply for continued access after grant id.
func ApplyURL(baseURL, id string) string {
	return strings.TrimRight(baseURL, "/") + "/sharing/apply?from=" + url.QueryEscape(id)
}

// RuleURL is the address of attribute rule id's page on the hub at baseURL.
func RuleURL(baseURL, id string) string {
	return strings.TrimRight(baseURL, "/") + "/sharing/rules/" + url.PathEscape(id) + "/edit"
}

// maxShareReason bounds the system's reason quoted in a notice.
const maxShareReason = 300

// ShareText renders notice no for the reader with account id reader, in
// lang (zh or en).
func ShareText(no share.Notice, reader, lang, baseURL string) (subject, body string) {
	zh := strings.HasPrefix(lang, "zh")
	pick := func(en, cn string) string {
		if zh {
			return cn
		}
		return en
	}
	// The service's reasons are its own words (numbers, no free text);
	// "abnormal use" is said by the text already.
	reason := oneLine(clipRunes(strings.TrimPrefix(no.Reason, "abnormal use: "), maxShareReason))
	if no.Kind == share.NoticeRuleRate {
		r := no.Rule
		name := oneLine(clipRunes(r.Name, maxTitle))
		subject = pick(fmt.Sprintf("Attribute rule %s: a requester went beyond its rate", r.ID),
			fmt.Sprintf("属性授权规则 %s：有请求方超出访问频率", r.ID))
		body = pick(fmt.Sprintf("Rule %s “%s” allows %d accesses an hour per requester. %s\nReview the rule and the access log: %s\n",
			r.ID, name, rateOf(r.RatePerHour), reason, RuleURL(baseURL, r.ID)),
			fmt.Sprintf("规则 %s “%s” 允许每个请求方每小时访问 %d 次。%s\n请核查规则与访问日志：%s\n",
				r.ID, name, rateOf(r.RatePerHour), reason, RuleURL(baseURL, r.ID)))
		return fitBytes(subject, MaxSubject), fitBytes(body, MaxBody)
	}
	g := no.Grant
	link := GrantURL(baseURL, g.ID)
	incs := strings.Join(g.Scope.Incidents, ", ")
	incsZH := strings.Join(g.Scope.Incidents, "、")
	until := g.Until.UTC().Format("2006-01-02 15:04 UTC")
	from := g.From.UTC().Format("2006-01-02 15:04 UTC")
	requester := partyLabel(g.Requester, zh)
	emergency := g.Kind == share.Emergency
	what := pick("sharing application", "共享申请")
	grantWhat := pick("sharing grant", "共享授权")
	if emergency {
		what = pick("emergency access request", "应急授权申请")
		grantWhat = pick("emergency grant", "应急授权")
	}
	toOwner := reader != "" && reader == g.Owner.UserID && reader != g.Requester.UserID
	switch no.Kind {
	case share.NoticeSubmitted:
		subject = pick(fmt.Sprintf("Decide: %s %s", what, g.ID), fmt.Sprintf("待审批：%s %s", what, g.ID))
		body = pick(fmt.Sprintf("%s asks for access to incidents %s from %s to %s.\nRead the request and approve, reject or return it: %s\n",
			requester, incs, from, until, link),
			fmt.Sprintf("%s 申请访问事件 %s，期限 %s 至 %s。\n请查看申请并批准、驳回或退回补正：%s\n",
				requester, incsZH, from, until, link))
	case share.NoticeApproved:
		subject = pick(fmt.Sprintf("Approved: your %s %s", what, g.ID), fmt.Sprintf("已批准：您的%s %s", what, g.ID))
		body = pick(fmt.Sprintf("You may open the shared views of incidents %s until %s.\n%s\n", incs, until, link),
			fmt.Sprintf("您可在 %s 前查看事件 %s 的共享视图。\n%s\n", until, incsZH, link))
	case share.NoticeRejected:
		subject = pick(fmt.Sprintf("Rejected: your %s %s", what, g.ID), fmt.Sprintf("已驳回：您的%s %s", what, g.ID))
		body = pick(fmt.Sprintf("Your request for incidents %s was rejected. The decider's comment is on the request: %s\n", incs, link),
			fmt.Sprintf("您对事件 %s 的申请已被驳回。审批意见见申请页面：%s\n", incsZH, link))
	case share.NoticeReturned:
		subject = pick(fmt.Sprintf("Returned for correction: your %s %s", what, g.ID), fmt.Sprintf("退回补正：您的%s %s", what, g.ID))
		body = pick(fmt.Sprintf("Your request for incidents %s was returned. Correct it as the comment asks and resubmit: %s\n", incs, link),
			fmt.Sprintf("您对事件 %s 的申请已退回。请按审批意见修改后重新提交：%s\n", incsZH, link))
	case share.NoticeSuspended:
		if toOwner {
			subject = pick(fmt.Sprintf("Alert: %s %s suspended", grantWhat, g.ID), fmt.Sprintf("告警：%s %s 已中止", grantWhat, g.ID))
			body = pick(fmt.Sprintf("The grant you approved to %s for incidents %s was suspended on abnormal use: %s; review and reinstate or revoke: %s\n",
				requester, incs, reason, link),
				fmt.Sprintf("您批准给 %s 的事件 %s 的授权因异常使用已中止：%s；请核查后恢复或撤销：%s\n",
					requester, incsZH, reason, link))
		} else {
			subject = pick(fmt.Sprintf("Suspended: your %s %s", grantWhat, g.ID), fmt.Sprintf("已中止：您的%s %s", grantWhat, g.ID))
			body = pick(fmt.Sprintf("Your access to incidents %s was suspended on abnormal use: %s. Its owner will review it: %s\n", incs, reason, link),
				fmt.Sprintf("您对事件 %s 的访问因异常使用已中止：%s。授权人将进行核查：%s\n", incsZH, reason, link))
		}
	case share.NoticeReinstated:
		subject = pick(fmt.Sprintf("Reinstated: %s %s", grantWhat, g.ID), fmt.Sprintf("已恢复：%s %s", grantWhat, g.ID))
		body = pick(fmt.Sprintf("Access to incidents %s is restored until %s.\n%s\n", incs, until, link),
			fmt.Sprintf("对事件 %s 的访问已恢复，有效期至 %s。\n%s\n", incsZH, until, link))
	case share.NoticeRevoked:
		subject = pick(fmt.Sprintf("Revoked: %s %s", grantWhat, g.ID), fmt.Sprintf("已撤销：%s %s", grantWhat, g.ID))
		body = pick(fmt.Sprintf("Access to incidents %s has ended. The reason is on the grant: %s\n", incs, link),
			fmt.Sprintf("对事件 %s 的访问已终止。撤销原因见授权页面：%s\n", incsZH, link))
	case share.NoticeExpired:
		subject = pick(fmt.Sprintf("Expired: %s %s", grantWhat, g.ID), fmt.Sprintf("已到期：%s %s", grantWhat, g.ID))
		if emergency {
			body = pick(fmt.Sprintf("Emergency access of %s to incidents %s ended at %s. Continued use needs an application: %s\n"+
				"Copies taken under it are listed on the grant, to be withdrawn: %s\n",
				requester, incs, until, ApplyURL(baseURL, g.ID), link),
				fmt.Sprintf("%s 对事件 %s 的应急授权已于 %s 结束。继续使用需提交申请授权：%s\n依授权留存的副本列于授权页面，请收回：%s\n",
					requester, incsZH, until, ApplyURL(baseURL, g.ID), link))
		} else {
			body = pick(fmt.Sprintf("Access of %s to incidents %s ended at %s. Copies taken under it are listed on the grant, to be withdrawn: %s\n",
				requester, incs, until, link),
				fmt.Sprintf("%s 对事件 %s 的授权已于 %s 到期。依授权留存的副本列于授权页面，请收回：%s\n",
					requester, incsZH, until, link))
		}
	default:
		subject = pick(fmt.Sprintf("%s %s changed", grantWhat, g.ID), fmt.Sprintf("%s %s 有变化", grantWhat, g.ID))
		body = link + "\n"
	}
	return fitBytes(subject, MaxSubject), fitBytes(body, MaxBody)
}

// partyLabel names a person with their organization and department.
func partyLabel(p share.Party, zh bool) string {
	name := p.Name
	if name == "" {
		name = p.Username
	}
	name = oneLine(clipRunes(name, maxTitle))
	var where []string
	for _, s := range []string{p.Organization, p.Department} {
		if s = oneLine(clipRunes(s, maxTitle)); s != "" {
			where = append(where, s)
		}
	}
	if len(where) == 0 {
		return name
	}
	if zh {
		return name + "（" + strings.Join(where, " ") + "）"
	}
	return name + " (" + strings.Join(where, ", ") + ")"
}

func rateOf(n int) int {
	if n <= 0 {
		return share.DefaultRate
	}
	return n
}
