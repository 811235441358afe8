package probes

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The background ticker is process-wide: started once, never stopped.
var (
	bgOnce    sync.Once
	bgStarted atomic.Bool
	bgCount   atomic.Int64
)

// backgroundProbe starts (once per process) a goroutine that ticks every
// intervalMs, and reads its counter. Comparing counts across invokes shows
// whether background work runs between invokes (AWS freezes the sandbox).
func backgroundProbe(_ context.Context, args []byte) ([]byte, error) {
	a := struct {
		Action     string  `json:"action"`
		IntervalMs float64 `json:"intervalMs"`
	}{Action: "start", IntervalMs: 10}
	if err := decodeArgs("background", args, &a); err != nil {
		return nil, err
	}
	switch a.Action {
	case "start":
		interval := millis(a.IntervalMs)
		if interval <= 0 {
			return nil, fmt.Errorf("probe: background: intervalMs must be > 0, got %v", a.IntervalMs)
		}
		bgOnce.Do(func() {
			bgStarted.Store(true)
			go func() {
				// A ticker drops ticks it cannot deliver, so a frozen process
				// gains at most one tick when thawed.
				for range time.Tick(interval) {
					bgCount.Add(1)
				}
			}()
		})
	case "read":
	default:
		return nil, fmt.Errorf("probe: background: unknown action %q; known: start, read", a.Action)
	}
	return json.Marshal(struct {
		Started bool  `json:"started"`
		Count   int64 `json:"count"`
		NowMs   int64 `json:"nowMs"`
	}{bgStarted.Load(), bgCount.Load(), time.Now().UnixMilli()})
}
