package notify_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
)

// directory is a SlackDirectory over fixed people and teams.
type directory struct {
	people map[string]string   // person → Slack id
	teams  map[string][]string // team → person ids
	fail   string              // a person whose lookup fails
}

func (d directory) SlackID(_ context.Context, person string) (string, error) {
	if person == d.fail {
		return "", errors.New("roster unavailable")
	}
	return d.people[person], nil
}

func (d directory) TeamMembers(_ context.Context, team string) ([]string, error) {
	return d.teams[team], nil
}

var dir = directory{
	people: map[string]string{"u-li": "U0LI", "li.na": "U0LI", "chen": "U0CHEN", "u-rep": "U0REP", "net1": "U0NET1", "net2": "U0NET2"},
	teams:  map[string][]string{"Network operations": {"net1", "li.na", "zhao", "net2"}},
}

// refMap is what the outbox worker records of sent messages: key → Ref.
type refMap struct {
	mu   sync.Mutex
	refs map[string]string
}

func newRefs(kv ...string) *refMap {
	r := &refMap{refs: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		r.refs[kv[i]] = kv[i+1]
	}
	return r
}

func (r *refMap) Ref(_ context.Context, key string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refs[key], nil
}

func (r *refMap) set(key, ref string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refs[key] = ref
}

func keys(msgs []notify.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Key)
	}
	return out
}

// changed applies a change to inc as the service would: version, time and
// timeline entries at that time.
func changed(inc *incident.Incident, at time.Time, entries ...incident.Entry) *incident.Incident {
	next := inc.Clone()
	next.Version++
	next.UpdatedAt = at
	for _, e := range entries {
		e.At = at
		next.Timeline = append(next.Timeline, e)
	}
	return next
}

func TestSlackPlan(t *testing.T) {
	ctx := context.Background()
	li := incident.Actor{ID: "u-li", Name: "Li Na"}
	fresh := newIncident()
	acked := changed(fresh, reported.Add(5*time.Minute), incident.Entry{Actor: li, Kind: incident.EntryAck})
	acked.Participants = []string{"u-li"}
	confirmed := changed(acked, reported.Add(20*time.Minute),
		incident.Entry{Actor: li, Kind: incident.EntryStage, From: "receive", To: "confirm"})
	confirmed.Stage = incident.Confirm
	raised := changed(confirmed, reported.Add(30*time.Minute),
		incident.Entry{Actor: li, Kind: incident.EntryLevel, From: "serious", To: "special", Reason: "servers hit"})
	raised.Level = incident.Special
	raised.Assignees = []incident.Assignee{{Kind: "team", Name: "Network operations"}, {Kind: "person", Name: "chen"}, {Kind: "vendor", Name: "Acme"}}
	specialReport := newIncident()
	specialReport.Level = incident.Special
	specialReport.Participants = []string{"u-rep", "nobody-on-slack"}
	n := fresh.Number

	tests := []struct {
		name string
		ev   incident.Event
		refs notify.Refs
		want []string
	}{
		{"a report posts the card", incident.Event{Kind: incident.EventReported, Incident: fresh}, nil,
			[]string{n + "/slack/card"}},
		{"a special report opens its channel too", incident.Event{Kind: incident.EventReported, Incident: specialReport}, nil,
			[]string{n + "/slack/card", n + "/slack/channel", n + "/slack/invite/U0REP"}},
		{"acknowledging edits the card and adds a thread line", incident.Event{Kind: incident.EventAck, Incident: acked}, nil,
			[]string{n + "/slack/card/v2", n + "/slack/thread/0001"}},
		{"a stage change", incident.Event{Kind: incident.EventStage, Incident: confirmed}, nil,
			[]string{n + "/slack/card/v3", n + "/slack/thread/0002"}},
		{"raised to special: channel, invites of participants and dispatched people, the line in the channel",
			incident.Event{Kind: incident.EventLevel, Incident: raised}, nil,
			[]string{n + "/slack/card/v4", n + "/slack/thread/0003", n + "/slack/channel",
				n + "/slack/invite/U0LI", n + "/slack/invite/U0NET1", n + "/slack/invite/U0NET2", n + "/slack/invite/U0CHEN",
				n + "/slack/update/0003"}},
		{"a channel opened on request gets the lines and invites", incident.Event{Kind: incident.EventStage, Incident: confirmed},
			newRefs(n+"/slack/channel", "C0NEW0001"),
			[]string{n + "/slack/card/v3", n + "/slack/thread/0002", n + "/slack/invite/U0LI", n + "/slack/update/0002"}},
		{"a channel requested but not opened yet", incident.Event{Kind: incident.EventStage, Incident: confirmed}, newRefs(),
			[]string{n + "/slack/card/v3", n + "/slack/thread/0002"}},
		{"a reconciliation replays the post, the last edit and every line", incident.Event{Kind: notify.EventReconcile, Incident: confirmed}, nil,
			[]string{n + "/slack/card", n + "/slack/card/v3", n + "/slack/thread/0001", n + "/slack/thread/0002"}},
		{"a reconciliation of a new report", incident.Event{Kind: notify.EventReconcile, Incident: fresh}, nil,
			[]string{n + "/slack/card"}},
		{"no incident", incident.Event{Kind: incident.EventStage}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := notify.NewSlackPlanner(dir, tt.refs)
			msgs, err := p.Plan(ctx, tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(msgs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("keys\n got %q\nwant %q", got, tt.want)
			}
			again, _ := p.Plan(ctx, tt.ev)
			if !reflect.DeepEqual(keys(again), keys(msgs)) {
				t.Errorf("planning twice gave other keys: %q", keys(again))
			}
			for _, m := range msgs {
				if m.Channel != notify.ChannelSlack || m.Incident != n || m.Kind == "" {
					t.Errorf("message %s: %+v", m.Key, m)
				}
				if len(m.Subject) > notify.MaxSubject || len(m.Body) > notify.MaxBody || !utf8.ValidString(m.Subject) {
					t.Errorf("message %s is over the outbox limits", m.Key)
				}
				if m.Kind == notify.KindInvite && (m.Address == "" || m.Recipient == "") {
					t.Errorf("invite %s names nobody: %+v", m.Key, m)
				}
				if (m.Kind == notify.KindThread || m.Kind == notify.KindUpdate) && m.Body == "" {
					t.Errorf("line %s is empty", m.Key)
				}
			}
			// Lines sort by key in timeline order, even past entry 9.
			for _, kind := range []string{"/thread/", "/update/"} {
				var lines []string
				for _, k := range keys(msgs) {
					if strings.Contains(k, kind) {
						lines = append(lines, k)
					}
				}
				if !slices.IsSorted(lines) {
					t.Errorf("lines out of order: %q", lines)
				}
			}
		})
	}
}

func TestSlackPlanThreadLineIsTheEntry(t *testing.T) {
	li := incident.Actor{ID: "u-li", Name: "Li Na <!channel>"}
	inc := changed(newIncident(), reported.Add(time.Minute), incident.Entry{Actor: li, Kind: incident.EntryAck})
	msgs, err := notify.NewSlackPlanner(nil, nil).Plan(context.Background(), incident.Event{Kind: incident.EventAck, Incident: inc})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("Plan = %v, %v", keys(msgs), err)
	}
	if got, want := msgs[1].Body, notify.ThreadLine(inc.Timeline[1]); got != want || strings.Contains(got, "<!channel>") {
		t.Errorf("thread line %q, want %q", got, want)
	}
}

// TestSlackPlanDirectoryFailure: a lookup that fails is reported, and the
// rest is planned anyway.
func TestSlackPlanDirectoryFailure(t *testing.T) {
	inc := newIncident()
	inc.Level = incident.Special
	inc.Participants = []string{"broken", "chen"}
	d := dir
	d.fail = "broken"
	msgs, err := notify.NewSlackPlanner(d, nil).OpenChannel(context.Background(), inc)
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("error %v, want the failed lookup", err)
	}
	if got := keys(msgs); !reflect.DeepEqual(got, []string{inc.Number + "/slack/channel", inc.Number + "/slack/invite/U0CHEN"}) {
		t.Errorf("keys %q", got)
	}
}

func TestChannelName(t *testing.T) {
	for _, tt := range []struct{ number, title, want string }{
		{"INC-2026-000042", "Finance PCs encrypting files!", "inc-2026-000042-finance-pcs-encrypting-files"},
		{"INC-2026-000042", "财务部终端疑似勒索软件", "inc-2026-000042"},
		{"INC-2026-000042", "VPN 网关 CVE-2026-1234 被利用", "inc-2026-000042-vpn-cve-2026-1234"},
		{"INC-2026-000042", "Réseau coupé à l'Überlandwerk — façade", "inc-2026-000042-reseau-coupe-a-l-uberlandwerk-facade"},
		{"INC-2026-000042", "<!channel> *bold* <https://x|y>", "inc-2026-000042-channel-bold-https-x-y"},
		{"INC-2026-000042", "snake_case_name", "inc-2026-000042-snake_case_name"},
		{"INC-2026-000042", strings.Repeat("lateral movement ", 10), "inc-2026-000042-lateral-movement-lateral-movement-lateral-movement-lateral"},
	} {
		got := notify.ChannelName(tt.number, tt.title)
		if got != tt.want {
			t.Errorf("ChannelName(%q) = %q, want %q", tt.title, got, tt.want)
		}
		if len(got) > 80 || strings.Trim(got, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Errorf("%q breaks Slack's rules", got)
		}
	}
}

// TestSlackPlanLongTimeline: lines past the tenth keep timeline order by
// key, which is how messages enqueued together are delivered.
func TestSlackPlanLongTimeline(t *testing.T) {
	inc := newIncident()
	for i := range 11 {
		inc = changed(inc, reported.Add(time.Duration(i+1)*time.Minute), incident.Entry{Actor: incident.System, Kind: incident.EntryEscalation})
	}
	msgs, err := notify.NewSlackPlanner(nil, nil).Plan(context.Background(), incident.Event{Kind: notify.EventReconcile, Incident: inc})
	if err != nil {
		t.Fatal(err)
	}
	got := keys(msgs)
	if len(got) != 13 || got[len(got)-1] != inc.Number+"/slack/thread/0011" || !slices.IsSorted(got[2:]) {
		t.Errorf("keys %q", got)
	}
}
