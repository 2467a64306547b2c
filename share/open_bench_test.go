package share_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tocsin-hub/tocsin/audit"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
	"github.com/tocsin-hub/tocsin/store/storetest"
)

// BenchmarkOpen measures one access to a shared view on the embedded
// store: the decision (the requester's grants and the rules read), the
// access log and audit record written, the rate count, and the masked
// view built; with the access log already holding a number of other
// accesses, since the rate and strike counts read it.
//
//	go test ./share -run '^$' -bench Open -benchtime 200x
func BenchmarkOpen(b *testing.B) {
	for _, logged := range []int{0, 1000, 10000} {
		b.Run(fmt.Sprintf("log=%d", logged), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.New(b)
			now := day0
			clock := func() time.Time { return now }
			trail := audit.NewTrail(db.Audit(), clock, discard())
			rctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go func() { _ = trail.Run(rctx) }()
			m, err := share.NewMasker(share.MaskConfig{})
			if err != nil {
				b.Fatal(err)
			}
			svc := share.NewService(db.Shares(), db.Incidents(), m, nil, trail, clock, discard())
			inc := &incident.Incident{Number: "INC-2026-000001", Title: "Phishing wave", Category: incident.CyberAttack,
				Level: incident.Serious, Stage: incident.Handle, Source: "web", CreatedAt: now, UpdatedAt: now,
				Description: "Reported by Zhang Wei, 13812345678, zhang.wei@example.cn; mail relay 10.1.2.3 affected.",
				Reporter:    incident.Actor{ID: "u-rep", Name: "Zhang Wei"}}
			if err := db.Incidents().Insert(ctx, inc); err != nil {
				b.Fatal(err)
			}
			g, err := svc.Submit(ctx, share.Request{Kind: share.Application, Purpose: "joint investigation",
				Incidents: []string{inc.Number}, Sections: []share.Section{share.Description, share.Timeline},
				From: now, Until: now.AddDate(1, 0, 0), RatePerHour: share.MaxRate}, alice)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.Decide(ctx, g.ID, g.Version, share.Decision{Action: share.ActApprove}, mgr); err != nil {
				b.Fatal(err)
			}
			for i := range logged {
				if err := db.Shares().LogAccess(ctx, &share.Access{At: now.Add(-time.Duration(i) * time.Second), Requester: mgr,
					Incident: inc.Number, Action: share.AccessView, Allowed: true, Basis: share.ByRule, By: "SR-other"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				now = now.Add(2 * time.Second) // within the grant's rate
				if _, _, err := svc.Open(ctx, aliceWeb, inc.Number); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
