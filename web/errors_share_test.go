package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

// TestShareErrors: each error of the sharing service answers its status
// with a message in the caller's language, and the service's field
// errors answer 422 with field messages in both languages.
func TestShareErrors(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	invalid := &incident.InvalidError{Fields: map[string]incident.Message{
		"until": {EN: "an emergency grant lasts at most 14 days", ZH: "应急授权最长 14 天"}}}
	refused := &share.RefusedError{EN: "only a pending request can be approved", ZH: "只有待审批的申请才能批准"}
	cases := []struct {
		name   string
		err    error
		status int
		en, zh string // in the error message
		field  string // a field message expected, in both languages
	}{
		{"invalid", unprocessable(fmt.Errorf("submit: %w", invalid)), http.StatusUnprocessableEntity, "invalid input", "输入有误", "until"},
		{"refused", fmt.Errorf("approve: %w", refused), http.StatusUnprocessableEntity, "only a pending", "待审批", ""},
		{"conflict", fmt.Errorf("grant SG-1: %w", share.ErrConflict), http.StatusConflict, "changed by someone else", "已被他人修改", ""},
		{"forbidden", share.ErrForbidden, http.StatusForbidden, "may not take this decision", "无权", ""},
		{"not found", fmt.Errorf("grant SG-1: %w", share.ErrNotFound), http.StatusNotFound, "no such grant", "没有该授权", ""},
		{"denied", fmt.Errorf("INC-2026-000001: %w: rate", share.ErrDenied), http.StatusNotFound, "not shared with you", "未向您共享", ""},
		{"suspended", share.ErrSuspended, http.StatusLocked, "suspended", "中止", ""},
		{"not built", errNoShare, http.StatusServiceUnavailable, "not available", "未启用", ""},
		// Outside sharing, a domain validation error stays 400.
		{"incident invalid", invalid, http.StatusBadRequest, "invalid input", "输入有误", "until"},
	}
	for _, tc := range cases {
		for _, l := range []string{"en", "zh"} {
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest("GET", "/api/v1/grants", nil)
			c.Request.Header.Set("Accept-Language", l)
			s.fail(c, tc.err)
			if w.Code != tc.status {
				t.Errorf("%s (%s): %d, want %d", tc.name, l, w.Code, tc.status)
			}
			var body apiError
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			want := tc.en
			if l == "zh" {
				want = tc.zh
			}
			if !strings.Contains(body.Error, want) {
				t.Errorf("%s (%s): %q, want it to say %q", tc.name, l, body.Error, want)
			}
			if tc.field != "" {
				m := body.Fields[tc.field]
				if m == "" || (l == "zh") != strings.ContainsFunc(m, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
					t.Errorf("%s (%s): field %s: %q", tc.name, l, tc.field, m)
				}
			}
		}
	}
	// A denial says nothing of why: the same body for every reason.
	bodies := map[string]bool{}
	for _, err := range []error{share.ErrDenied, fmt.Errorf("x: %w: rate", share.ErrDenied), fmt.Errorf("unknown: %w", share.ErrDenied)} {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest("GET", "/api/v1/shared/incidents/x", nil)
		s.fail(c, err)
		bodies[w.Body.String()] = true
	}
	if len(bodies) != 1 {
		t.Errorf("denials differ: %v", bodies)
	}
	if !errors.Is(sharedErr(share.ErrNotFound), share.ErrDenied) || !errors.Is(sharedErr(incident.ErrNotFound), share.ErrDenied) {
		t.Error("an unknown incident or copy must answer like one not shared")
	}
}
