package probes

import (
	"os"
	"strconv"
	"sync"
	"time"
)

// extraDelay is PROBE_DELAY_MS: every invoke sleeps this long before it
// returns. It stands in for a slower shim in the latency regression gate's
// self-test (a run "slowed on purpose by a few milliseconds"). Unset, empty,
// or not a non-negative number: no delay.
var extraDelay = sync.OnceValue(func() time.Duration {
	return parseDelay(os.Getenv("PROBE_DELAY_MS"))
})

func parseDelay(raw string) time.Duration {
	ms, err := strconv.ParseFloat(raw, 64)
	if err != nil || ms <= 0 || ms > 60_000 {
		return 0
	}
	return time.Duration(ms * float64(time.Millisecond))
}
