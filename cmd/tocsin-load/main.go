// Command tocsin-load measures a running hub.
//
//	tocsin-load -url http://127.0.0.1:8080 -token T -c 16 -n 5000
//
// posts n reports from c workers and prints the throughput and latency
// percentiles of POST /api/v1/incidents.
//
//	tocsin-load -mode list -url ... -token T -seed 10000 -user admin -password P
//
// first seeds the hub with incidents (through the API, in parallel) until it
// holds at least -seed of them, then measures the incident lists of the API
// and, given an account to sign in with, the board page.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	url, token, mode string
	c, n, seed, reqs int
	user, password   string
	idempotency      bool
	dedup            string
	timeout          time.Duration
	categories       []string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tocsin-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	o := options{categories: []string{"malicious_program", "cyber_attack", "data_security", "equipment_failure", "rule_violation", "abnormal_behaviour"}}
	fs := flag.NewFlagSet("tocsin-load", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "base URL of the hub")
	fs.StringVar(&o.token, "token", getenv("TOCSIN_BOOTSTRAP_TOKEN"), "API token or bootstrap token (default $TOCSIN_BOOTSTRAP_TOKEN)")
	fs.StringVar(&o.mode, "mode", "intake", "intake: post reports; list: seed, then measure lists and the board")
	fs.IntVar(&o.c, "c", 16, "concurrent workers")
	fs.IntVar(&o.n, "n", 5000, "intake: reports to post")
	fs.IntVar(&o.seed, "seed", 1000, "list: incidents the hub must hold before measuring")
	fs.IntVar(&o.reqs, "requests", 200, "list: requests per measured endpoint")
	fs.StringVar(&o.user, "user", "admin", "list: account to sign in with for the board")
	fs.StringVar(&o.password, "password", getenv("TOCSIN_LOAD_PASSWORD"), "list: its password (default $TOCSIN_LOAD_PASSWORD); empty skips the board")
	fs.BoolVar(&o.idempotency, "idempotency-key", false, "intake: send a unique Idempotency-Key with each report")
	fs.StringVar(&o.dedup, "dedup-key", "", "intake: send a dedup_key with each report: unique (a new one each: every report creates an incident) or shared (one for the run: the reports after the first attach to its incident)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of one request")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	o.url = strings.TrimRight(o.url, "/")
	if o.token == "" {
		return errors.New("-token is required (an admin API token or the bootstrap token)")
	}
	if o.c < 1 || o.n < 1 || o.reqs < 1 {
		return errors.New("-c, -n and -requests must be positive")
	}
	if o.dedup != "" && o.dedup != "unique" && o.dedup != "shared" {
		return fmt.Errorf("-dedup-key %q: want unique or shared", o.dedup)
	}
	client := &http.Client{Timeout: o.timeout, Transport: &http.Transport{MaxIdleConnsPerHost: o.c * 2, MaxConnsPerHost: o.c * 2}}
	switch o.mode {
	case "intake":
		fmt.Fprintf(out, "intake: %d reports, %d workers, %s\n", o.n, o.c, o.url)
		name := "POST /api/v1/incidents"
		if o.idempotency {
			name += " (Idempotency-Key)"
		}
		if o.dedup != "" {
			name += " (dedup_key " + o.dedup + ")"
		}
		s := post(ctx, client, o, o.n, "load")
		s.print(out, name)
		return s.err()
	case "list":
		return list(ctx, client, o, out)
	}
	return fmt.Errorf("unknown -mode %q: want intake or list", o.mode)
}

// stats collects the latencies and failures of one measured operation.
type stats struct {
	mu        sync.Mutex
	latencies []time.Duration
	statuses  map[int]int
	failures  int
	firstErr  error
	elapsed   time.Duration
}

func (s *stats) add(d time.Duration, status int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.statuses == nil {
		s.statuses = map[int]int{}
	}
	if err != nil {
		s.failures++
		if s.firstErr == nil {
			s.firstErr = err
		}
		return
	}
	s.statuses[status]++
	s.latencies = append(s.latencies, d)
}

func (s *stats) err() error {
	if s.failures > 0 {
		return fmt.Errorf("%d requests failed, the first with: %w", s.failures, s.firstErr)
	}
	for code := range s.statuses {
		if code >= 300 {
			return fmt.Errorf("unexpected answers: %v", s.statuses)
		}
	}
	return nil
}

func (s *stats) print(w io.Writer, name string) {
	lat := slices.Clone(s.latencies)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		i := int(math.Ceil(p/100*float64(len(lat)))) - 1
		return lat[max(0, min(i, len(lat)-1))]
	}
	rate := float64(len(lat)) / s.elapsed.Seconds()
	fmt.Fprintf(w, "%-44s n=%-6d %8.1f req/s  p50 %-9s p90 %-9s p99 %-9s max %-9s statuses %v failures %d\n",
		name, len(lat), rate, ms(pct(50)), ms(pct(90)), ms(pct(99)), ms(pct(100)), s.statuses, s.failures)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// post sends n reports from o.c workers.
func post(ctx context.Context, client *http.Client, o options, n int, prefix string) *stats {
	s := &stats{}
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.c {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1))
				if i > n {
					return
				}
				report := map[string]any{
					"title":           fmt.Sprintf("%s report %d from worker %d", prefix, i, w),
					"description":     "Generated by tocsin-load. 负载测试生成的事件报告，用于测量接报吞吐量。",
					"category":        o.categories[i%len(o.categories)],
					"suggested_level": []string{"ordinary", "serious", "special"}[i%3],
					"affected_assets": []string{fmt.Sprintf("HOST-%04d", i%500)},
				}
				switch o.dedup {
				case "unique":
					report["dedup_key"] = fmt.Sprintf("%s-%d-%d", prefix, start.UnixNano(), i)
				case "shared":
					report["dedup_key"] = fmt.Sprintf("%s-%d-shared", prefix, start.UnixNano())
				}
				body, _ := json.Marshal(report)
				var headers []string
				if o.idempotency {
					headers = []string{"Idempotency-Key", fmt.Sprintf("%s-%d-%d", prefix, start.UnixNano(), i)}
				}
				t0 := time.Now()
				status, err := do(ctx, client, http.MethodPost, o.url+"/api/v1/incidents", o.token, body, headers...)
				s.add(time.Since(t0), status, err)
			}
		})
	}
	wg.Wait()
	s.elapsed = time.Since(start)
	return s
}

// do sends one request with extra headers as name, value pairs, and reads
// the whole answer.
func do(ctx context.Context, client *http.Client, method, u, token string, body []byte, headers ...string) (int, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// count is the number of incidents the hub holds, by paging through the
// list, and the number of the newest one. A pageSize of 1 reads only the
// newest.
func count(ctx context.Context, client *http.Client, o options, pageSize int) (n int, newest string, err error) {
	cursor := ""
	for {
		u := fmt.Sprintf("%s/api/v1/incidents?limit=%d", o.url, pageSize)
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+o.token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		var page struct {
			Items []struct {
				Number string `json:"number"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return 0, "", fmt.Errorf("count incidents: status %d: %v", resp.StatusCode, err)
		}
		if n == 0 && len(page.Items) > 0 {
			newest = page.Items[0].Number
		}
		n += len(page.Items)
		if page.NextCursor == "" || pageSize == 1 {
			return n, newest, nil
		}
		cursor = page.NextCursor
	}
}

func list(ctx context.Context, client *http.Client, o options, out io.Writer) error {
	have, _, err := count(ctx, client, o, 500)
	if err != nil {
		return err
	}
	if missing := o.seed - have; missing > 0 {
		fmt.Fprintf(out, "seeding: the hub has %d incidents; posting %d with %d workers\n", have, missing, o.c)
		s := post(ctx, client, o, missing, "seed")
		s.print(out, "seed: POST /api/v1/incidents")
		if err := s.err(); err != nil {
			return err
		}
		have += missing
	}
	_, newest, err := count(ctx, client, o, 1)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "measuring with %d incidents, %d requests per endpoint, %d workers\n", have, o.reqs, o.c)
	type endpoint struct {
		name, path string
		cookies    bool
	}
	endpoints := []endpoint{
		{"GET /api/v1/incidents?limit=50", "/api/v1/incidents?limit=50", false},
		{"GET /api/v1/incidents?stage=receive&limit=50", "/api/v1/incidents?stage=receive&limit=50", false},
		{"GET /api/v1/incidents/{number}", "/api/v1/incidents/" + newest, false},
	}
	var board *http.Client
	if o.password != "" {
		board, err = signIn(ctx, client, o)
		if err != nil {
			return fmt.Errorf("sign in for the board: %w", err)
		}
		endpoints = append(endpoints, endpoint{"GET /board (signed in as " + o.user + ")", "/board", true})
	} else {
		fmt.Fprintln(out, "no -password: the board is not measured")
	}
	var failed error
	for _, e := range endpoints {
		c, token := client, o.token
		if e.cookies {
			c, token = board, ""
		}
		s := measure(ctx, c, o, e.path, token)
		s.print(out, e.name)
		if err := s.err(); err != nil && failed == nil {
			failed = fmt.Errorf("%s: %w", e.name, err)
		}
	}
	return failed
}

// measure sends o.reqs GET requests to path from o.c workers.
func measure(ctx context.Context, client *http.Client, o options, path, token string) *stats {
	s := &stats{}
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range o.c {
		wg.Go(func() {
			for ctx.Err() == nil && int(next.Add(1)) <= o.reqs {
				t0 := time.Now()
				status, err := do(ctx, client, http.MethodGet, o.url+path, token, nil)
				s.add(time.Since(t0), status, err)
			}
		})
	}
	wg.Wait()
	s.elapsed = time.Since(start)
	return s
}

var csrfInputRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signIn logs in through the sign-in form and returns a client that carries
// the session cookie. The form is protected by a double-submit token: the
// tocsin_login_csrf cookie, echoed in the csrf_token field.
func signIn(ctx context.Context, base *http.Client, o options) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Timeout: base.Timeout, Transport: base.Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.url+"/login", nil)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInputRE.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		return nil, fmt.Errorf("GET /login: status %d, no csrf_token field", resp.StatusCode)
	}
	form := url.Values{"username": {o.user}, "password": {o.password}, "csrf_token": {string(m[1])}, "next": {"/board"}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, o.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = c.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("POST /login: status %d (wrong password?)", resp.StatusCode)
	}
	status, err := do(ctx, c, http.MethodGet, o.url+"/board", "", nil)
	if err != nil || status != http.StatusOK {
		return nil, fmt.Errorf("GET /board after signing in: status %d: %v", status, err)
	}
	return c, nil
}
