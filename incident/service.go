package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on report fields; the web layer states the same ones to users.
const (
	MaxTitle       = 200
	MaxDescription = 20000
	MaxAssets      = 50
	MaxAsset       = 200
	MaxKey         = 200
	MaxNote        = 20000
)

// EventKind names what happened to an incident, for observers.
type EventKind string

// Event kinds.
const (
	EventReported   EventKind = "reported"
	EventOccurrence EventKind = "occurrence"
	EventStage      EventKind = "stage"
	EventLevel      EventKind = "level"
	EventAck        EventKind = "acknowledged"
	EventRecord     EventKind = "record" // an entry added by the system (escalations)
)

// Event tells observers that an incident changed; Incident is its new state.
type Event struct {
	Kind     EventKind
	Incident *Incident
}

// Observer is told of every change the Service has stored. It must not block.
type Observer interface {
	IncidentChanged(ctx context.Context, ev Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(ctx context.Context, ev Event)

// IncidentChanged calls f.
func (f ObserverFunc) IncidentChanged(ctx context.Context, ev Event) { f(ctx, ev) }

// Service applies commands to incidents.
type Service struct {
	store     Store
	now       func() time.Time
	observers []Observer
}

// NewService returns a Service over st that reads time from now.
func NewService(st Store, now func() time.Time, observers ...Observer) *Service {
	return &Service{store: st, now: now, observers: observers}
}

func (s *Service) emit(ctx context.Context, kind EventKind, inc *Incident) {
	for _, o := range s.observers {
		o.IncidentChanged(ctx, Event{Kind: kind, Incident: inc})
	}
}

// Get returns an incident by id or number.
func (s *Service) Get(ctx context.Context, ref string) (*Incident, error) {
	return s.store.Get(ctx, ref)
}

// List returns a page of incidents matching f.
func (s *Service) List(ctx context.Context, f ListFilter) (Page, error) {
	return s.store.List(ctx, f)
}

// ReportInput is a new report as the reporter gave it.
type ReportInput struct {
	Title          string
	Description    string
	Category       Category
	SuggestedLevel Level
	Scope          Scope
	AffectedAssets []string
	OccurredAt     *time.Time
	DedupKey       string
	Drill          bool
	Source         string
	// IdempotencyKey, when set, makes a retried request return the incident
	// of the first one. Callers scope it to the requester.
	IdempotencyKey string
	// RequestHash fingerprints the request, so reusing a key for a different
	// report is refused instead of silently answered with the old incident.
	RequestHash string
}

// Outcome says what a report did.
type Outcome string

// Report outcomes.
const (
	Created  Outcome = "created"  // a new incident
	Attached Outcome = "attached" // another occurrence of an open incident with the same dedup key
	Replayed Outcome = "replayed" // a retry of a request already answered
)

// ReportResult is the incident a report created or joined.
type ReportResult struct {
	Incident *Incident
	Outcome  Outcome
}

// DefaultLevel is the level of a report whose reporter suggested none: it is
// treated as serious until the assessment group confirms, so an unrated
// report is looked at within the serious deadlines rather than the slowest.
const DefaultLevel = Serious

func (in *ReportInput) validate(now time.Time) error {
	var e *InvalidError
	in.Title = strings.TrimSpace(in.Title)
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		invalid(&e, "title", "title is required", "标题为必填项")
	case n > MaxTitle:
		invalid(&e, "title", fmt.Sprintf("title must be at most %d characters", MaxTitle), fmt.Sprintf("标题最多 %d 个字符", MaxTitle))
	}
	switch n := utf8.RuneCountInString(in.Description); {
	case strings.TrimSpace(in.Description) == "":
		invalid(&e, "description", "description is required", "描述为必填项")
	case n > MaxDescription:
		invalid(&e, "description", fmt.Sprintf("description must be at most %d characters", MaxDescription), fmt.Sprintf("描述最多 %d 个字符", MaxDescription))
	}
	if in.Category != "" && !in.Category.Valid() {
		invalid(&e, "category", "unknown category", "未知的事件类别")
	}
	if in.SuggestedLevel != "" && !in.SuggestedLevel.Valid() {
		invalid(&e, "suggested_level", "level must be ordinary, serious or special", "级别必须是 ordinary、serious 或 special")
	}
	if in.Scope != "" && !in.Scope.Valid() {
		invalid(&e, "scope", "scope must be local or global", "范围必须是 local 或 global")
	}
	if len(in.AffectedAssets) > MaxAssets {
		invalid(&e, "affected_assets", fmt.Sprintf("at most %d affected assets", MaxAssets), fmt.Sprintf("受影响资产最多 %d 项", MaxAssets))
	}
	assets := in.AffectedAssets[:0:0]
	for _, a := range in.AffectedAssets {
		a = strings.TrimSpace(a)
		if utf8.RuneCountInString(a) > MaxAsset {
			invalid(&e, "affected_assets", fmt.Sprintf("each asset must be at most %d characters", MaxAsset), fmt.Sprintf("每项资产最多 %d 个字符", MaxAsset))
		}
		if a != "" {
			assets = append(assets, a)
		}
	}
	in.AffectedAssets = assets
	if in.OccurredAt != nil && in.OccurredAt.After(now.Add(5*time.Minute)) {
		invalid(&e, "occurred_at", "occurred_at cannot be in the future", "发生时间不能晚于当前时间")
	}
	if len(in.DedupKey) > MaxKey {
		invalid(&e, "dedup_key", fmt.Sprintf("dedup_key must be at most %d bytes", MaxKey), fmt.Sprintf("去重键最多 %d 字节", MaxKey))
	}
	if e != nil {
		return e
	}
	return nil
}

// Report records a new report. With a dedup key that matches an open
// incident it attaches the report to that incident instead; with an
// idempotency key already seen it returns the earlier result.
func (s *Service) Report(ctx context.Context, in ReportInput, by Actor) (ReportResult, error) {
	if err := in.validate(s.now()); err != nil {
		return ReportResult{}, err
	}
	// Each pass either finishes or lost a race to a concurrent request that
	// changed what the next pass will find; a few passes always suffice.
	for range 8 {
		if in.IdempotencyKey != "" {
			inc, err := s.store.FindByIdempotencyKey(ctx, in.IdempotencyKey)
			switch {
			case err == nil:
				if inc.IdempotencyKey == in.IdempotencyKey && inc.RequestHash != in.RequestHash {
					return ReportResult{}, ErrIdempotencyMismatch
				}
				return ReportResult{Incident: inc, Outcome: Replayed}, nil
			case !errors.Is(err, ErrNotFound):
				return ReportResult{}, fmt.Errorf("report: %w", err)
			}
		}
		if in.DedupKey != "" {
			entry := Entry{At: s.now().UTC(), Actor: by, Kind: EntryOccurrence,
				Note: fmt.Sprintf("reported again via %s: %s", in.Source, in.Title)}
			inc, err := s.store.AddOccurrence(ctx, in.DedupKey, in.IdempotencyKey, entry)
			switch {
			case err == nil:
				s.emit(ctx, EventOccurrence, inc)
				return ReportResult{Incident: inc, Outcome: Attached}, nil
			case !errors.Is(err, ErrNotFound):
				return ReportResult{}, fmt.Errorf("report: %w", err)
			}
			// No open incident holds the key, or a concurrent copy of this
			// very request was just attached: look for that before creating.
			if in.IdempotencyKey != "" {
				if inc, err := s.store.FindByIdempotencyKey(ctx, in.IdempotencyKey); err == nil {
					return ReportResult{Incident: inc, Outcome: Replayed}, nil
				}
			}
		}
		now := s.now().UTC()
		seq, err := s.store.NextNumber(ctx, now.Year())
		if err != nil {
			return ReportResult{}, fmt.Errorf("allocate number: %w", err)
		}
		inc := newIncident(in, by, now, FormatNumber(now.Year(), seq))
		err = s.store.Insert(ctx, inc)
		if errors.Is(err, ErrDuplicateKey) {
			continue
		}
		if err != nil {
			return ReportResult{}, fmt.Errorf("record %s: %w", inc.Number, err)
		}
		s.emit(ctx, EventReported, inc)
		return ReportResult{Incident: inc, Outcome: Created}, nil
	}
	return ReportResult{}, fmt.Errorf("report: %w", ErrConflict)
}

func newIncident(in ReportInput, by Actor, now time.Time, number string) *Incident {
	level := in.SuggestedLevel
	if level == "" {
		level = DefaultLevel
	}
	return &Incident{
		Number:         number,
		Version:        1,
		Title:          in.Title,
		Description:    in.Description,
		Category:       in.Category,
		SuggestedLevel: in.SuggestedLevel,
		Level:          level,
		Scope:          in.Scope,
		AffectedAssets: in.AffectedAssets,
		OccurredAt:     in.OccurredAt,
		Drill:          in.Drill,
		Source:         in.Source,
		Reporter:       by,
		Stage:          Receive,
		StageEnteredAt: map[Stage]time.Time{Receive: now},
		CreatedAt:      now,
		UpdatedAt:      now,
		DedupKey:       in.DedupKey,
		Occurrences:    1,
		IdempotencyKey: in.IdempotencyKey,
		RequestHash:    in.RequestHash,
		Timeline: []Entry{{
			At: now, Actor: by, Kind: EntryReported, To: string(Receive),
			Note: "reported via " + in.Source,
		}},
	}
}

// TransitionInput asks to move an incident to another stage, carrying the
// fields that the target stage needs.
type TransitionInput struct {
	To      Stage
	Version int64 // the version the requester saw
	Reason  string
	Note    string

	// Entering confirm.
	Level          Level
	Category       Category
	Scope          Scope
	Nature         Nature
	AssessmentNote string
	// Entering plan or dispatch.
	Measures string
	// Entering dispatch or handle.
	Assignees []Assignee
	// Closing.
	ReviewSummary string
	RootCause     string
	Lessons       string
	// Rejecting.
	RejectReason RejectReason
	RejectNote   string
	DuplicateOf  string
}

// Transition moves an incident to another stage.
func (s *Service) Transition(ctx context.Context, ref string, in TransitionInput, by Actor) (*Incident, error) {
	inc, err := s.store.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	return s.TransitionLoaded(ctx, inc, in, by)
}

// TransitionLoaded is Transition for an incident the caller has just read
// (to check access, say), so it is not read twice. The version check still
// guards against changes made since.
func (s *Service) TransitionLoaded(ctx context.Context, inc *Incident, in TransitionInput, by Actor) (*Incident, error) {
	var err error
	if in.Version != inc.Version {
		return nil, fmt.Errorf("%s is at version %d, not %d: %w", inc.Number, inc.Version, in.Version, ErrConflict)
	}
	var original *Incident
	if in.To == Rejected && in.RejectReason == Duplicate && strings.TrimSpace(in.DuplicateOf) != "" {
		original, err = s.store.Get(ctx, strings.TrimSpace(in.DuplicateOf))
		switch {
		case errors.Is(err, ErrNotFound):
			return nil, &InvalidError{Fields: map[string]Message{"duplicate_of": {"no incident with this number", "没有此编号的事件"}}}
		case err != nil:
			return nil, err
		case original.ID == inc.ID:
			return nil, &InvalidError{Fields: map[string]Message{"duplicate_of": {"an incident cannot duplicate itself", "事件不能与自身重复"}}}
		}
		in.DuplicateOf = original.Number
	}
	next, err := Decide(inc, in, by, s.now().UTC())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", inc.Number, err)
	}
	if err := s.store.Update(ctx, next, inc.Version); err != nil {
		return nil, fmt.Errorf("%s: %w", inc.Number, err)
	}
	s.emit(ctx, EventStage, next)
	if original != nil {
		s.merge(ctx, original.ID, next, by)
	}
	return next, nil
}

// merge records a rejected duplicate on its original: its reports count as
// occurrences of the original. It retries on conflicting writes; the
// duplicate's own rejection is already stored, and this note is secondary.
func (s *Service) merge(ctx context.Context, originalID string, dup *Incident, by Actor) {
	for range 5 {
		orig, err := s.store.Get(ctx, originalID)
		if err != nil {
			return
		}
		now := s.now().UTC()
		next := orig.Clone()
		next.Version++
		next.UpdatedAt = now
		next.Occurrences += dup.Occurrences
		next.Timeline = append(next.Timeline, Entry{
			At: now, Actor: by, Kind: EntryMerged,
			Note: fmt.Sprintf("%s (%s) merged as a duplicate", dup.Number, dup.Title),
			Changes: []FieldChange{{Field: "occurrences",
				Before: fmt.Sprint(orig.Occurrences), After: fmt.Sprint(next.Occurrences)}},
		})
		if err := s.store.Update(ctx, next, orig.Version); err == nil {
			s.emit(ctx, EventOccurrence, next)
			return
		}
	}
}

// ChangeLevel sets the level in force, with a reason. Everything that
// depends on the level follows the new one.
func (s *Service) ChangeLevel(ctx context.Context, ref string, version int64, level Level, reason string, by Actor) (*Incident, error) {
	inc, err := s.store.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	return s.ChangeLevelLoaded(ctx, inc, version, level, reason, by)
}

// ChangeLevelLoaded is ChangeLevel for an incident the caller has just read.
func (s *Service) ChangeLevelLoaded(ctx context.Context, inc *Incident, version int64, level Level, reason string, by Actor) (*Incident, error) {
	if version != inc.Version {
		return nil, fmt.Errorf("%s is at version %d, not %d: %w", inc.Number, inc.Version, version, ErrConflict)
	}
	var e *InvalidError
	if !level.Valid() {
		invalid(&e, "level", "level must be ordinary, serious or special", "级别必须是 ordinary、serious 或 special")
	} else if level == inc.Level {
		invalid(&e, "level", "the incident already has this level", "事件已经是该级别")
	}
	if strings.TrimSpace(reason) == "" {
		invalid(&e, "reason", "a reason is required to change the level", "更改级别需要说明原因")
	}
	if !inc.Stage.Open() {
		return nil, fmt.Errorf("%s is %s: %w", inc.Number, inc.Stage, ErrNotAllowed)
	}
	if e != nil {
		return nil, e
	}
	now := s.now().UTC()
	next := inc.Clone()
	next.Version++
	next.UpdatedAt = now
	next.Level = level
	next.Timeline = append(next.Timeline, Entry{
		At: now, Actor: by, Kind: EntryLevel, From: string(inc.Level), To: string(level), Reason: reason,
	})
	if err := s.store.Update(ctx, next, inc.Version); err != nil {
		return nil, fmt.Errorf("%s: %w", inc.Number, err)
	}
	s.emit(ctx, EventLevel, next)
	return next, nil
}

// ErrAlreadyAcked is returned when acknowledging an acknowledged incident.
var ErrAlreadyAcked = errors.New("incident is already acknowledged")

// Acknowledge records that by has taken the incident on, which stops its
// acknowledgement chain. Stage deadlines keep running.
func (s *Service) Acknowledge(ctx context.Context, ref string, by Actor) (*Incident, error) {
	for range 8 {
		inc, err := s.store.Get(ctx, ref)
		if err != nil {
			return nil, err
		}
		if inc.AckedAt != nil {
			return inc, fmt.Errorf("%s by %s: %w", inc.Number, inc.AckedBy.Name, ErrAlreadyAcked)
		}
		if !inc.Stage.Open() {
			return nil, fmt.Errorf("%s is %s: %w", inc.Number, inc.Stage, ErrNotAllowed)
		}
		now := s.now().UTC()
		next := inc.Clone()
		next.Version++
		next.UpdatedAt = now
		next.AckedAt, next.AckedBy = &now, &by
		if !slices.Contains(next.Participants, by.ID) {
			next.Participants = append(next.Participants, by.ID) // who takes it on works it
		}
		next.Timeline = append(next.Timeline, Entry{At: now, Actor: by, Kind: EntryAck})
		err = s.store.Update(ctx, next, inc.Version)
		if errors.Is(err, ErrConflict) {
			continue // a concurrent change unrelated to acknowledging: try on the new version
		}
		if err != nil {
			return nil, fmt.Errorf("acknowledge %s: %w", inc.Number, err)
		}
		s.emit(ctx, EventAck, next)
		return next, nil
	}
	return nil, fmt.Errorf("acknowledge %s: %w", ref, ErrConflict)
}

// Record appends a system entry (an escalation page, a missed deadline) to
// an incident's timeline in one atomic update, so concurrent records and
// human changes never lose one another. The people in join become
// participants: those paged for an incident may see what they were paged
// for.
func (s *Service) Record(ctx context.Context, id string, e Entry, join ...string) (*Incident, error) {
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	inc, err := s.store.AppendEntry(ctx, id, e, join)
	if err != nil {
		return nil, fmt.Errorf("record on %s: %w", id, err)
	}
	s.emit(ctx, EventRecord, inc)
	return inc, nil
}
