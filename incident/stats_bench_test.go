package incident

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkCompute is the statistics' own cost, without store or HTTP,
// over n incidents each reaching a random number of stages:
//
//	go test ./incident/ -run '^$' -bench BenchmarkCompute -benchmem
func BenchmarkCompute(b *testing.B) {
	ds := map[Level]Deadlines{}
	for _, l := range []Level{Ordinary, Serious, Special} {
		ds[l] = Deadlines{Ack: 15 * time.Minute, Confirm: time.Hour, Dispatch: 2 * time.Hour, Handle: 72 * time.Hour}
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{10_000, 100_000} {
		r := rand.New(rand.NewPCG(uint64(n), 1))
		incs := make([]*Incident, n)
		stages := []Stage{Receive, Confirm, Plan, Dispatch, Handle, Review, Closed}
		for i := range incs {
			created := start.Add(time.Duration(r.IntN(540*24)) * time.Hour)
			inc := &Incident{Level: []Level{Ordinary, Serious, Special}[r.IntN(3)], Stage: stages[r.IntN(len(stages))],
				CreatedAt: created, StageEnteredAt: map[Stage]time.Time{Receive: created},
				Timeline: []Entry{{Kind: EntryEscalation}, {Kind: EntryDeadline}}}
			at := created
			for _, st := range stages[1 : 1+r.IntN(5)] {
				at = at.Add(time.Duration(r.IntN(600)) * time.Minute)
				inc.StageEnteredAt[st] = at
			}
			ack := created.Add(time.Duration(r.IntN(60)) * time.Minute)
			inc.AckedAt = &ack
			incs[i] = inc
		}
		now := start.AddDate(2, 0, 0)
		b.Run(fmt.Sprintf("incidents=%d", n), func(b *testing.B) {
			for b.Loop() {
				Compute(incs, ds, StatsFilter{}, now)
			}
		})
	}
}
