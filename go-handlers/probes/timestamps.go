package probes

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync"
	"time"
)

// clockSkew simulates a function clock that is off by a fixed offset and
// drifts at a fixed rate, so the latency suite can check that it recovers
// both. Only the timestamps probe applies it.
type clockSkew struct {
	offsetMs float64
	driftPpm float64
}

// loadClockSkew reads PROBE_CLOCK_OFFSET_MS and PROBE_CLOCK_DRIFT_PPM once, on
// first use (shims embedding the package may set the environment late).
var loadClockSkew = sync.OnceValues(func() (clockSkew, error) {
	return parseClockSkew(os.Getenv)
})

// parseClockSkew reads the two settings through getenv; unset or empty means 0.
func parseClockSkew(getenv func(string) string) (clockSkew, error) {
	var s clockSkew
	for _, v := range []struct {
		name string
		dst  *float64
	}{{"PROBE_CLOCK_OFFSET_MS", &s.offsetMs}, {"PROBE_CLOCK_DRIFT_PPM", &s.driftPpm}} {
		raw := getenv(v.name)
		if raw == "" {
			continue
		}
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return clockSkew{}, fmt.Errorf("probe: %s=%q is not a number", v.name, raw)
		}
		*v.dst = f
	}
	return s, nil
}

// apply returns t as the skewed clock would report it, in unix µs:
// true + offset + drift·(true − processStart)/1e6.
func (s clockSkew) apply(t, start time.Time) int64 {
	trueUs := float64(t.UnixMicro())
	elapsedUs := float64(t.UnixMicro() - start.UnixMicro())
	return int64(math.Round(trueUs + s.offsetMs*1000 + s.driftPpm*elapsedUs/1e6))
}

// timestampsProbe reports when the function received the event (read first
// thing in the entry point) and when it is about to return, for one-way
// latency estimates.
func timestampsProbe(ctx context.Context, _ []byte) ([]byte, error) {
	info := invokeInfoFrom(ctx)
	skew, err := loadClockSkew()
	if err != nil {
		return nil, err
	}
	sentAt := time.Now()
	return json.Marshal(struct {
		ReceivedAtUs int64 `json:"receivedAtUs"`
		SentAtUs     int64 `json:"sentAtUs"`
		Invocation   int64 `json:"invocation"`
		// ProcessStartUs is the true (unskewed) wall clock at process start,
		// the origin of the simulated drift, so a test can compute the truth.
		ProcessStartUs int64 `json:"processStartUs"`
	}{skew.apply(info.receivedAt, processStart), skew.apply(sentAt, processStart), info.number, processStart.UnixMicro()})
}
