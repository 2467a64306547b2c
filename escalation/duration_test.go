package escalation

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"90s", 90 * time.Second, false},
		{"15m", 15 * time.Minute, false},
		{"4h", 4 * time.Hour, false},
		{"1h30m", 90 * time.Minute, false},
		{"336h", 14 * 24 * time.Hour, false},
		{"14d", 14 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{" 2d ", 48 * time.Hour, false},
		{"0s", 0, false},
		{"", 0, true},
		{"15", 0, true},
		{"d", 0, true},
		{"1.5d", 0, true},
		{"-1d", 0, true},
		{"1d-2h", 0, true},
		{"fortnight", 0, true},
		{"100000d2562047h", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.err || got.Std() != tt.want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s, error %v", tt.in, got.Std(), err, tt.want, tt.err)
		}
	}
}

func TestDurationString(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 90 * time.Second: "1m30s", 15 * time.Minute: "15m", 4 * time.Hour: "4h",
		90 * time.Minute: "1h30m", 14 * 24 * time.Hour: "336h", time.Hour + time.Second: "1h0m1s",
	} {
		if got := Duration(d).String(); got != want {
			t.Errorf("Duration(%s).String() = %q, want %q", d, got, want)
		}
		back, err := ParseDuration(want)
		if err != nil || back.Std() != d {
			t.Errorf("ParseDuration(%q) = %s, %v; does not round-trip", want, back.Std(), err)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(Deadlines{Ack: Duration(5 * time.Minute), Confirm: Duration(15 * time.Minute), Dispatch: Duration(30 * time.Minute), Handle: Duration(14 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Ack":"5m","Confirm":"15m","Dispatch":"30m","Handle":"336h"}`; string(b) != want {
		t.Fatalf("json = %s, want %s", b, want)
	}
	var d Deadlines
	if err := json.Unmarshal([]byte(`{"ack":"90s","confirm":"4h","dispatch":"1d","handle":"14d"}`), &d); err != nil {
		t.Fatal(err)
	}
	if d.Ack.Std() != 90*time.Second || d.Confirm.Std() != 4*time.Hour || d.Dispatch.Std() != 24*time.Hour || d.Handle.Std() != 336*time.Hour {
		t.Fatalf("unmarshalled %+v", d)
	}
	if err := json.Unmarshal([]byte(`{"ack":"soon"}`), &d); err == nil {
		t.Fatal("accepted a bad duration")
	}
	if err := json.Unmarshal([]byte(`{"ack":300}`), &d); err == nil {
		t.Fatal("accepted a bare number, which is ambiguous")
	}
}

// FuzzParseDuration: whatever parses prints back to something that parses
// to the same value.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90s", "15m", "4h", "14d", "1d12h", "-5m", "1.5h", "d", "9999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("%q → %s → %v, %v", s, d, back.Std(), err)
		}
	})
}
