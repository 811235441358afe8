package probes

import (
	"testing"
	"time"
)

func TestParseDelay(t *testing.T) {
	for raw, want := range map[string]time.Duration{
		"":      0,
		"x":     0,
		"-1":    0,
		"3":     3 * time.Millisecond,
		"0.5":   500 * time.Microsecond,
		"1e9":   0, // beyond a minute: refused rather than hanging every invoke
		"60000": time.Minute,
	} {
		if got := parseDelay(raw); got != want {
			t.Errorf("parseDelay(%q) = %v, want %v", raw, got, want)
		}
	}
}
