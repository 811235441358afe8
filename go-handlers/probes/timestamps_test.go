package probes

import (
	"testing"
	"time"
)

func TestParseClockSkew(t *testing.T) {
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	s, err := parseClockSkew(env(nil))
	if err != nil || s != (clockSkew{}) {
		t.Errorf("unset: %+v, %v", s, err)
	}
	s, err = parseClockSkew(env(map[string]string{"PROBE_CLOCK_OFFSET_MS": "-12.5", "PROBE_CLOCK_DRIFT_PPM": "40"}))
	if err != nil || s != (clockSkew{offsetMs: -12.5, driftPpm: 40}) {
		t.Errorf("set: %+v, %v", s, err)
	}
	for _, bad := range []string{"x", "NaN", "Inf", "1ms"} {
		if _, err := parseClockSkew(env(map[string]string{"PROBE_CLOCK_DRIFT_PPM": bad})); err == nil {
			t.Errorf("PROBE_CLOCK_DRIFT_PPM=%q accepted", bad)
		}
	}
}

func TestClockSkewApply(t *testing.T) {
	start := time.UnixMicro(1_700_000_000_000_000)
	later := start.Add(1000 * time.Second) // 1e9 µs after start
	tests := []struct {
		skew clockSkew
		t    time.Time
		want int64
	}{
		{clockSkew{}, later, later.UnixMicro()},
		{clockSkew{offsetMs: 250}, later, later.UnixMicro() + 250_000},
		{clockSkew{offsetMs: -0.5}, start, start.UnixMicro() - 500},
		{clockSkew{driftPpm: 100}, later, later.UnixMicro() + 100_000}, // 100 ppm of 1e9 µs
		{clockSkew{driftPpm: 100}, start, start.UnixMicro()},
		{clockSkew{offsetMs: 5, driftPpm: -20}, later, later.UnixMicro() + 5000 - 20_000},
	}
	for _, tt := range tests {
		if got := tt.skew.apply(tt.t, start); got != tt.want {
			t.Errorf("%+v.apply(start+%v) = %d, want %d (diff %d)", tt.skew, tt.t.Sub(start), got, tt.want, got-tt.want)
		}
	}
}
