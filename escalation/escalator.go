package escalation

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// IncidentSource is what the escalator needs of incidents;
// *incident.Service is one.
type IncidentSource interface {
	// Get finds an incident by id or number (incident.ErrNotFound).
	Get(ctx context.Context, ref string) (*incident.Incident, error)
	// List pages through incidents (Reconcile asks for open ones, brief).
	List(ctx context.Context, f incident.ListFilter) (incident.Page, error)
	// Record atomically appends a system entry to incident id's timeline,
	// and makes the people in join participants.
	Record(ctx context.Context, id string, e incident.Entry, join ...string) (*incident.Incident, error)
}

// Scheduler keeps timers durable; the timer engine (Engine) is one.
type Scheduler interface {
	// Schedule stores the timers whose keys it does not hold yet; a key it
	// holds, pending or already fired, is left alone.
	Schedule(ctx context.Context, timers []Timer) error
	// Cancel drops the pending timers with these keys.
	Cancel(ctx context.Context, keys []string) error
	// Pending returns the timers of an incident (by number) not yet fired
	// nor cancelled.
	Pending(ctx context.Context, incidentNumber string) ([]Timer, error)
}

// Pager enqueues notifications, once per key; *notify.Outbox is one.
type Pager interface {
	Enqueue(ctx context.Context, msgs ...notify.Message) (int, error)
}

// Escalator connects incidents to timers and pages.
//
// Timers are derived state. Plan is a pure function of the incident and its
// level's policy, so the timers an incident needs can always be computed
// again from the incident alone. Sync makes the engine hold exactly those
// (Plan, then Diff against Pending); Fire re-plans before acting and does
// nothing for a timer that is no longer planned. Nothing therefore depends
// on every change reaching Sync: IncidentChanged only queues the incident,
// and a crash between an incident write and its Sync, a lost queue, or a
// stale Sync from another instance is repaired by Reconcile, which syncs
// every open incident at start-up and periodically. A timer left pending
// by such a gap fires harmlessly (see docs/adr/0003-escalation-timers.md).
//
// Firing is idempotent: every page is a notify.Message whose key is the
// timer's PageKey, and every timeline entry carries the timer key, which
// Fire looks for before recording. Within one process Sync and Fire are
// serialized per incident; across instances the engine's lease keeps one
// timer with one firer at a time.
type Escalator struct {
	inc     IncidentSource
	rosters RosterReader
	sched   Scheduler
	out     Pager
	now     func() time.Time
	log     *slog.Logger
	baseURL string // for links in the pages of restricted incidents

	mu     sync.Mutex
	queued map[string]struct{} // incident ids waiting for Sync
	wake   chan struct{}       // capacity 1: "the queue is not empty"

	locks [64]sync.Mutex // per incident number, by hash
}

var _ incident.Observer = (*Escalator)(nil)

// NewEscalator returns an escalator. now is its clock; log receives what
// it does, with the stable keys incident, timer and step.
func NewEscalator(inc IncidentSource, rosters RosterReader, sched Scheduler, out Pager, now func() time.Time, log *slog.Logger) *Escalator {
	return &Escalator{inc: inc, rosters: rosters, sched: sched, out: out, now: now, log: log,
		queued: map[string]struct{}{}, wake: make(chan struct{}, 1)}
}

// SetBaseURL gives the hub's address (no trailing slash), for the link
// that is all the pages of a restricted incident carry. Call it before Run.
func (e *Escalator) SetBaseURL(u string) { e.baseURL = u }

// lock serializes the work on one incident within this process.
func (e *Escalator) lock(number string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(number))
	m := &e.locks[h.Sum32()%uint32(len(e.locks))]
	m.Lock()
	return m.Unlock
}

// PlanInputOf is what the planner needs of inc.
func PlanInputOf(inc *incident.Incident) PlanInput {
	return PlanInput{IncidentID: inc.ID, Number: inc.Number, Level: inc.Level, Stage: inc.Stage,
		CreatedAt: inc.CreatedAt, AckedAt: inc.AckedAt, StageEnteredAt: inc.StageEnteredAt}
}

// --- keeping timers in line with incidents ---

// maxSyncPasses bounds Sync's re-reads; see Sync.
const maxSyncPasses = 3

// Sync makes the engine hold the timers the incident needs now: it plans
// them with the policy of its level and schedules those missing and
// cancels those no longer planned. A new incident gets its chain (step 1
// due at once), an acknowledgement drops the chain, reaching a stage drops
// its deadline, a level change replaces every timer, and a closed or
// rejected incident keeps none.
//
// inc only names the incident (a brief list item or an event's copy will
// do): Sync reads its current state, applies that plan, and reads it again;
// if it changed meanwhile it applies the newer one, so the last plan any
// instance applies is never older than the incident it last read. New
// timers are scheduled before obsolete ones are cancelled, so a failure in
// between leaves an extra timer (which Fire ignores), never a missing one.
//
// The engine's cancellation is final: a cancelled key scheduled again stays
// cancelled. Keys therefore carry the incident's epoch (see Epoch), so that
// a timer made obsolete by a level change or a rejection is never needed
// again under the same key when the level changes back or the report is
// reopened.
func (e *Escalator) Sync(ctx context.Context, inc *incident.Incident) error {
	defer e.lock(inc.Number)()
	ref := inc.ID
	if ref == "" {
		ref = inc.Number
	}
	ps, err := e.rosters.Policies(ctx)
	if err != nil {
		return fmt.Errorf("sync %s: %w", inc.Number, err)
	}
	cur, err := e.inc.Get(ctx, ref)
	if err != nil {
		return fmt.Errorf("sync %s: %w", inc.Number, err)
	}
	for pass := 1; ; pass++ {
		if err := e.apply(ctx, cur, ps); err != nil {
			return fmt.Errorf("sync %s: %w", inc.Number, err)
		}
		if pass == maxSyncPasses {
			return nil // changing faster than it syncs: the next event or Reconcile follows up
		}
		next, err := e.inc.Get(ctx, ref)
		if err != nil {
			return fmt.Errorf("sync %s: %w", inc.Number, err)
		}
		if next.Version == cur.Version {
			return nil
		}
		cur = next
	}
}

// Epoch counts the changes after which a timer cancelled before could be
// planned again under the same key: changes of level (by a level change or
// at confirmation) and reopenings of a rejected report. Sync and Fire
// append it to every planned key ("…/20260321T093000Z/e1"; nothing for 0),
// so each such change gives every timer a key never used before. It is a
// pure function of the incident, like the plan.
func Epoch(inc *incident.Incident) int {
	n := 0
	for _, en := range inc.Timeline {
		switch {
		case en.Kind == incident.EntryLevel,
			en.Kind == incident.EntryStage && en.From == string(incident.Rejected):
			n++
		case en.Kind == incident.EntryStage:
			if slices.ContainsFunc(en.Changes, func(c incident.FieldChange) bool { return c.Field == "level" && c.Before != c.After }) {
				n++
			}
		}
	}
	return n
}

// PlanIncident is the plan of inc under its level's policy in ps, with
// the keys Sync gives the engine (see Epoch).
func PlanIncident(inc *incident.Incident, ps []Policy) ([]Timer, error) {
	plan, err := PlanFor(PlanInputOf(inc), ps)
	if err != nil {
		return nil, err
	}
	if n := Epoch(inc); n > 0 {
		suffix := "/e" + strconv.Itoa(n)
		for i := range plan {
			plan[i].Key += suffix
		}
	}
	return plan, nil
}

func (e *Escalator) apply(ctx context.Context, inc *incident.Incident, ps []Policy) error {
	want, err := PlanIncident(inc, ps)
	if err != nil {
		return err
	}
	have, err := e.sched.Pending(ctx, inc.Number)
	if err != nil {
		return fmt.Errorf("pending timers: %w", err)
	}
	add, cancel := Diff(have, want)
	if len(add) > 0 {
		if err := e.sched.Schedule(ctx, add); err != nil {
			return fmt.Errorf("schedule: %w", err)
		}
	}
	if len(cancel) > 0 {
		keys := make([]string, len(cancel))
		for i, t := range cancel {
			keys[i] = t.Key
		}
		if err := e.sched.Cancel(ctx, keys); err != nil {
			return fmt.Errorf("cancel: %w", err)
		}
	}
	if len(add)+len(cancel) > 0 {
		e.log.DebugContext(ctx, "escalation timers synced", "incident", inc.Number,
			"level", string(inc.Level), "stage", string(inc.Stage), "offered", len(add), "cancelled", len(cancel))
	}
	return nil
}

// IncidentChanged queues the incident for Sync by Run's worker. It never
// blocks: the queue is a set of incident ids, so a burst of changes to one
// incident costs one Sync of its latest state. Entries the system records
// (EventRecord, the escalator's own) change nothing Plan reads and are
// ignored.
func (e *Escalator) IncidentChanged(_ context.Context, ev incident.Event) {
	if ev.Incident == nil || ev.Incident.ID == "" || ev.Kind == incident.EventRecord {
		return
	}
	e.mu.Lock()
	e.queued[ev.Incident.ID] = struct{}{}
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run reconciles once, then syncs queued incidents until ctx ends, when it
// returns nil. An incident whose Sync fails is logged and left to the next
// Reconcile.
func (e *Escalator) Run(ctx context.Context) error {
	if err := e.Reconcile(ctx); err != nil && ctx.Err() == nil {
		e.log.ErrorContext(ctx, "reconcile escalation timers", "err", err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-e.wake:
		}
		e.mu.Lock()
		ids := make([]string, 0, len(e.queued))
		for id := range e.queued {
			ids = append(ids, id)
		}
		clear(e.queued)
		e.mu.Unlock()
		for _, id := range ids {
			if ctx.Err() != nil {
				return nil
			}
			inc, err := e.inc.Get(ctx, id)
			if err == nil {
				err = e.Sync(ctx, inc)
			}
			if err != nil && !errors.Is(err, incident.ErrNotFound) && ctx.Err() == nil {
				e.log.ErrorContext(ctx, "sync escalation timers", "incident", id, "err", err)
			}
		}
	}
}

// reconcilePage is how many incidents Reconcile reads at a time.
const reconcilePage = 200

// Reconcile syncs every open incident. It is the recovery path for
// anything IncidentChanged did not bring to Sync (a crash, a full restart,
// another instance's stale Sync, a policy edit) and is run at start-up (by
// Run) and periodically. It goes on past an incident that fails and
// returns the failures together. Closed incidents are not visited: a timer
// of theirs left pending by a crash fires as a no-op.
func (e *Escalator) Reconcile(ctx context.Context) error {
	var open []incident.Stage
	for _, s := range incident.WorkingStages() {
		open = append(open, s.Stage)
	}
	f := incident.ListFilter{Stages: open, Brief: true, Limit: reconcilePage}
	var errs []error
	synced := 0
	for {
		page, err := e.inc.List(ctx, f)
		if err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
		for _, inc := range page.Items {
			if err := e.Sync(ctx, inc); err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("reconcile: %w", ctx.Err())
				}
				errs = append(errs, err)
				continue
			}
			synced++
		}
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	e.log.InfoContext(ctx, "escalation timers reconciled", "incidents", synced, "failed", len(errs))
	if len(errs) > 0 {
		return fmt.Errorf("reconcile: %d incidents failed: %w", len(errs), errors.Join(errs...))
	}
	return nil
}

// --- firing ---

// Fire does what a due timer says; it is the engine's FireFunc. It loads
// the incident, re-plans it, and does nothing when the timer is no longer
// in the plan (acknowledged, stage reached, closed, level or policy
// changed). Otherwise it resolves the timer's step at now, moving down the
// chain at once past steps with nobody to page, enqueues one message per
// person (key PageKey) and records one timeline entry naming the step, the
// target and the people, with the timer key in its note: an ack step as
// incident.EntryEscalation, a deadline as incident.EntryDeadline. Firing
// the same timer again pages nobody twice and records nothing twice. An
// error means "try again later"; it is safe to.
func (e *Escalator) Fire(ctx context.Context, t Timer) error {
	defer e.lock(t.Incident)()
	log := e.log.With("incident", t.Incident, "timer", t.Key)
	inc, err := e.inc.Get(ctx, t.Incident)
	if errors.Is(err, incident.ErrNotFound) {
		log.WarnContext(ctx, "timer of an unknown incident dropped")
		return nil
	}
	if err != nil {
		return fmt.Errorf("fire %s: %w", t.Key, err)
	}
	now := e.now()
	dir, ps, err := e.rosters.Load(ctx, now)
	if err != nil {
		return fmt.Errorf("fire %s: %w", t.Key, err)
	}
	p, err := PolicyFor(ps, inc.Level)
	if err != nil {
		return fmt.Errorf("fire %s: %w", t.Key, err)
	}
	plan, err := PlanIncident(inc, ps)
	if err != nil {
		return fmt.Errorf("fire %s: %w", t.Key, err)
	}
	i := slices.IndexFunc(plan, func(x Timer) bool { return x.Key == t.Key })
	if i < 0 {
		log.DebugContext(ctx, "timer no longer planned; nothing to do")
		return nil
	}
	t = plan[i] // as planned now: the same key means the same timer

	step, people, skipped := ResolveChain(p, t.Step, dir, now)
	var paged, already []string
	for _, person := range people {
		m := e.message(inc, t, p, step, person, dir, now)
		n, err := e.out.Enqueue(ctx, m)
		if err != nil {
			return fmt.Errorf("fire %s: %w", t.Key, err)
		}
		if n > 0 {
			paged = append(paged, person)
		} else {
			already = append(already, person)
		}
	}
	if step == 0 {
		log.ErrorContext(ctx, "nobody left in the escalation chain", "step", t.Step)
	}

	kind, note := incident.EntryEscalation, ""
	if t.Kind == TimerDeadline {
		kind = incident.EntryDeadline
		note = fmt.Sprintf("%s deadline missed (%s for %s); ", t.Deadline, deadlineOf(p, t.Deadline), p.Level)
	}
	note += ChainNote(p, t.Kind, step, skipped, paged, already) + TimerTag(t.Key)
	if Recorded(inc, kind, t.Key) {
		return nil
	}
	// The people paged (roster ids are usernames) take part from now on:
	// they may see, acknowledge and assess what they were paged for.
	join := append(append([]string(nil), paged...), already...)
	if _, err := e.inc.Record(ctx, inc.ID, incident.Entry{Actor: incident.System, Kind: kind, Note: note}, join...); err != nil {
		return fmt.Errorf("fire %s: %w", t.Key, err)
	}
	log.InfoContext(ctx, "escalation timer fired", "step", step, "paged", len(paged), "skipped", len(skipped))
	return nil
}

// TimerTag is the suffix of a timeline note that names the timer which
// recorded it.
func TimerTag(key string) string { return " [timer " + key + "]" }

// Recorded reports whether inc's timeline has an entry of kind recorded by
// the timer key (see TimerTag).
func Recorded(inc *incident.Incident, kind incident.EntryKind, key string) bool {
	tag := TimerTag(key)
	return slices.ContainsFunc(inc.Timeline, func(en incident.Entry) bool {
		return en.Kind == kind && strings.HasSuffix(en.Note, tag)
	})
}

// ChainNote describes, for the timeline, a firing that started at a step
// of p's chain, passed over skipped and reached step (0: none left), whose
// people were paged now or already before:
//
//	step 2 (on-call of assessment): nobody on call for team assessment — escalated to step 3 (lead of assessment): paged carol
func ChainNote(p Policy, kind TimerKind, step int, skipped []Skip, paged, already []string) string {
	verb, infinitive := "paged", "page"
	if kind == TimerDeadline {
		verb, infinitive = "notified", "notify"
	}
	var parts []string
	for _, s := range skipped {
		parts = append(parts, fmt.Sprintf("step %d (%s): %s", s.Step, stepTarget(p, s.Step), s.Reason))
	}
	if step == 0 {
		return strings.Join(parts, " — escalated to ") + " — nobody left in the chain to " + infinitive
	}
	var who []string
	if len(paged) > 0 {
		who = append(who, verb+" "+strings.Join(paged, ", "))
	}
	if len(already) > 0 {
		who = append(who, "already "+verb+": "+strings.Join(already, ", "))
	}
	parts = append(parts, fmt.Sprintf("step %d (%s): %s", step, stepTarget(p, step), strings.Join(who, "; ")))
	return strings.Join(parts, " — escalated to ")
}

func stepTarget(p Policy, step int) string {
	if step < 1 || step > len(p.Steps) {
		return "?"
	}
	return p.Steps[step-1].Target.String()
}

func deadlineOf(p Policy, n DeadlineName) Duration {
	switch n {
	case DeadlineConfirm:
		return p.Deadlines.Confirm
	case DeadlineDispatch:
		return p.Deadlines.Dispatch
	case DeadlineHandle:
		return p.Deadlines.Handle
	}
	return 0
}

// message is the notification of timer t to person, who was reached at
// step (which is t.Step unless the chain moved past empty steps).
func (e *Escalator) message(inc *incident.Incident, t Timer, p Policy, step int, person string, dir Directory, now time.Time) notify.Message {
	pr, _ := dir.Person(person)
	key := t.PageKey(person)
	if t.Kind == TimerAckStep && step != t.Step {
		key = PageKey(t.Incident, step, 0, person) // as ResolveChain says: that step's own first page is this one
	}
	lvl, _ := inc.Level.Info()
	subject := fmt.Sprintf("%s %s (%s): %s", inc.Number, lvl.NameEN, lvl.NameZH, inc.Title)
	if inc.Drill {
		subject = "[DRILL 演练] " + subject
	}
	reported := localTime(inc.CreatedAt, pr.TimeZone)
	target := stepTarget(p, step)
	var body string
	kind := notify.KindPage
	switch t.Kind {
	case TimerDeadline:
		kind = notify.KindDeadline
		stage := t.Stage.Info()
		subject = "Deadline missed 超时: " + subject
		body = fmt.Sprintf("The %s deadline of %s (%s for a %s incident, reported %s) has passed without it reaching the %s stage. "+
			"You are told as step %d of its escalation chain (%s).\n\n"+
			"事件 %s（%s，接报于 %s）未能在时限 %s 内进入“%s”阶段。您是其升级链第 %d 步（%s）。",
			t.Deadline, inc.Number, deadlineOf(p, t.Deadline), p.Level, reported, stage.NameEN, step, target,
			inc.Number, lvl.NameZH, reported, deadlineOf(p, t.Deadline), stage.NameZH, step, target)
	default:
		subject = "Please acknowledge 请确认受理: " + subject
		body = fmt.Sprintf("%s (%s, reported %s) has not been acknowledged. You are paged as step %d of its escalation chain (%s). "+
			"Acknowledge it in Tocsin to stop further pages.\n\n"+
			"事件 %s（%s，接报于 %s）尚未确认受理。您是其升级链第 %d 步（%s）。请在 Tocsin 中确认受理以停止后续通知。",
			inc.Number, p.Level, reported, step, target, inc.Number, lvl.NameZH, reported, step, target)
	}
	m := notify.Message{Key: key, Kind: kind, Incident: inc.Number, Recipient: person, Channel: channelFor(pr),
		Subject: subject, Body: body, CreatedAt: now}
	if inc.Restricted {
		m = notify.Redact(m, notify.IncidentLink(e.baseURL, inc.Number))
	}
	return m
}

// channelFor is the first of p's contacts that a message can be delivered
// through (a phone number is for people to call), or the log.
func channelFor(p Person) notify.Channel {
	for _, c := range p.Contacts {
		switch c.Kind {
		case ContactSlack, ContactWeCom, ContactDingTalk, ContactFeishu, ContactEmail:
			return notify.Channel(c.Kind)
		}
	}
	return notify.ChannelLog
}

// localTime shows t in the zone named zone, or UTC.
func localTime(t time.Time, zone string) string {
	if loc, err := loadZone(zone); err == nil {
		t = t.In(loc)
	} else {
		t = t.UTC()
	}
	return t.Format("2006-01-02 15:04 MST")
}

// --- roster jobs ---

// HandoverPrompts asks the outgoing person of every change of on-call duty
// in (from, to] for a handover note. A cron job calls it with a window
// ahead of now; windows may overlap, since each prompt is keyed by team,
// hand-off time and person and enqueued once.
func (e *Escalator) HandoverPrompts(ctx context.Context, from, to time.Time) error {
	teams, err := e.rosters.Teams(ctx)
	if err != nil {
		return fmt.Errorf("handover prompts: %w", err)
	}
	people, err := e.rosters.People(ctx)
	if err != nil {
		return fmt.Errorf("handover prompts: %w", err)
	}
	ovs, err := e.rosters.Overrides(ctx, from, to.Add(time.Millisecond))
	if err != nil {
		return fmt.Errorf("handover prompts: %w", err)
	}
	dir := NewRoster(people, teams, ovs)
	now := e.now()
	var msgs []notify.Message
	for _, team := range teams {
		for _, h := range HandoffsBetween(team, ovs, from, to) {
			for _, out := range h.From {
				msgs = append(msgs, handoverMessage(team, h, out, dir, now))
			}
		}
	}
	n, err := e.out.Enqueue(ctx, msgs...)
	if err != nil {
		return fmt.Errorf("handover prompts: %w", err)
	}
	e.log.InfoContext(ctx, "handover prompts", "handoffs", len(msgs), "enqueued", n)
	return nil
}

// HandoffsBetween returns team's changes of duty in (from, to].
func HandoffsBetween(team Team, overrides []Override, from, to time.Time) []Handoff {
	const batch = 16
	var out []Handoff
	for cursor := from; ; {
		hs := NextHandoffs(team, overrides, cursor, batch)
		for _, h := range hs {
			if h.At.After(to) {
				return out
			}
			out = append(out, h)
			cursor = h.At
		}
		if len(hs) < batch {
			return out
		}
	}
}

func handoverMessage(team Team, h Handoff, person string, dir Directory, now time.Time) notify.Message {
	pr, _ := dir.Person(person)
	at := localTime(h.At, pr.TimeZone)
	next := "nobody (the duty will be uncovered)"
	nextZH := "无人（值班将出现空缺）"
	if len(h.To) > 0 {
		next = strings.Join(h.To, ", ")
		nextZH = next
	}
	return notify.Message{
		Key:       "handover/" + keyEscaper.Replace(team.ID) + "/" + keyTime(h.At) + "/" + keyEscaper.Replace(person),
		Kind:      notify.KindHandover,
		Recipient: person,
		Channel:   channelFor(pr),
		Subject:   fmt.Sprintf("Handover note for %s at %s 交接班记录", team.Name, at),
		Body: fmt.Sprintf("Your on-call duty for %s ends at %s; %s takes over. Please record a handover note in Tocsin (open incidents, work in progress, anything to watch).\n\n"+
			"您在 %s 的值班将于 %s 结束，由 %s 接班。请在 Tocsin 中填写交接班记录（未结事件、进行中的工作、需关注事项）。",
			team.Name, at, next, team.Name, at, nextZH),
		CreatedAt: now,
	}
}

// CoverageWarnings checks the critical teams for gaps in on-call coverage
// over the next CoverageHorizon and warns every person with the
// coordinator role of each gap, once per gap per day (the key carries the
// UTC date of now; a gap already running is keyed "now" rather than by its
// start, so it is one gap however often the job runs that day).
func (e *Escalator) CoverageWarnings(ctx context.Context, now time.Time) error {
	teams, err := e.rosters.Teams(ctx)
	if err != nil {
		return fmt.Errorf("coverage warnings: %w", err)
	}
	people, err := e.rosters.People(ctx)
	if err != nil {
		return fmt.Errorf("coverage warnings: %w", err)
	}
	end := now.Add(CoverageHorizon)
	ovs, err := e.rosters.Overrides(ctx, now, end)
	if err != nil {
		return fmt.Errorf("coverage warnings: %w", err)
	}
	gaps := CheckCoverage(teams, ovs, now, end)
	if len(gaps) == 0 {
		return nil
	}
	var coordinators []Person
	for _, p := range people {
		if p.HasRole(RoleCoordinator) {
			coordinators = append(coordinators, p)
		}
	}
	if len(coordinators) == 0 {
		e.log.WarnContext(ctx, "coverage gaps but no coordinator to warn", "gaps", len(gaps))
		return nil
	}
	names := map[string]string{}
	for _, t := range teams {
		names[t.ID] = t.Name
	}
	var msgs []notify.Message
	day := now.UTC().Format("20060102")
	for _, g := range gaps {
		start := keyTime(g.Start)
		if !g.Start.After(now) {
			start = "now"
		}
		for _, c := range coordinators {
			from, to := localTime(g.Start, c.TimeZone), localTime(g.End, c.TimeZone)
			msgs = append(msgs, notify.Message{
				Key:       "coverage/" + keyEscaper.Replace(g.Team) + "/" + day + "/" + start + "/" + keyEscaper.Replace(c.ID),
				Kind:      notify.KindCoverage,
				Recipient: c.ID,
				Channel:   channelFor(c),
				Subject:   fmt.Sprintf("Coverage gap: nobody on call for %s from %s 值班空缺", names[g.Team], from),
				Body: fmt.Sprintf("Nobody is on call for %s (a critical duty) from %s to %s. Add an override or change the rotation.\n\n"+
					"%s（关键值班）在 %s 至 %s 期间无人值班。请安排替班或调整轮换。",
					names[g.Team], from, to, names[g.Team], from, to),
				CreatedAt: now,
			})
		}
	}
	n, err := e.out.Enqueue(ctx, msgs...)
	if err != nil {
		return fmt.Errorf("coverage warnings: %w", err)
	}
	e.log.InfoContext(ctx, "coverage warnings", "gaps", len(gaps), "enqueued", n)
	return nil
}
