package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// BenchmarkReports measures GET /api/v1/stats and GET /reports with
// 10,000 and 100,000 incidents in the embedded store, the default and
// the slower of the two (every list is a full scan there). The data set is
// generated as in the statistics test and inserted in bulk through the
// store.
//
//	go test ./web/ -run '^$' -bench BenchmarkReports -benchtime 3x -timeout 60m
func BenchmarkReports(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("incidents=%d", n), func(b *testing.B) {
			if n > 10_000 && testing.Short() {
				b.Skip("-short: the 100,000-incident data set takes minutes to load")
			}
			e := newReviewEnvWith(b, true)
			incs := genIncidents(uint64(n), n, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 540)
			start := time.Now()
			if err := e.db.Incidents().InsertMany(context.Background(), incs); err != nil {
				b.Fatal(err)
			}
			b.Logf("inserted %d incidents in %s", n, time.Since(start).Round(time.Millisecond))
			e.clock.Set(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
			paths := []string{"/api/v1/stats", "/reports", "/api/v1/stats?from=2026-01-01&to=2026-03-31&level=serious"}
			run := func(mode string) {
				for _, path := range paths {
					b.Run(mode+path, func(b *testing.B) {
						for b.Loop() {
							status, body := e.call(b, "GET", path, e.tokens["chen.jie"], nil)
							if status != http.StatusOK {
								b.Fatalf("%s: %d %s", path, status, body)
							}
						}
					})
				}
			}
			// Before the cache is loaded, reports read the store (a
			// projection, scanned); that is also how they run on MongoDB.
			run("store")
			start = time.Now()
			e.loadStats(b)
			b.Logf("statistics cache loaded in %s", time.Since(start).Round(time.Millisecond))
			run("cache")
		})
	}
}
