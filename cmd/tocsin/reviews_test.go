package main

import (
	"slices"
	"testing"

	"github.com/tocsin-hub/tocsin/notify"
)

func TestParseManagerReports(t *testing.T) {
	for v, want := range map[string][]notify.Period{
		"weekly,monthly": {notify.Weekly, notify.Monthly},
		" monthly ":      {notify.Monthly},
		"weekly,weekly":  {notify.Weekly},
		"off":            nil,
	} {
		var c Config
		if err := parseReports(&c, v); err != nil || !slices.Equal(c.ManagerReports, want) {
			t.Errorf("%q: %v, %v; want %v", v, c.ManagerReports, err, want)
		}
	}
	var c Config
	if err := parseReports(&c, "daily"); err == nil {
		t.Error("daily accepted")
	}
}
