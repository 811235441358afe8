package probes

import (
	"context"
	"encoding/json"
	"time"
)

// deadlineProbe reports the deadline the shim put on ctx, to compare it with
// the configured timeout and the target's clock.
func deadlineProbe(ctx context.Context, _ []byte) ([]byte, error) {
	var r struct {
		HasDeadline bool  `json:"hasDeadline"`
		DeadlineMs  int64 `json:"deadlineMs"`
		NowMs       int64 `json:"nowMs"`
		RemainingMs int64 `json:"remainingMs"`
	}
	deadline, ok := ctx.Deadline()
	r.NowMs = time.Now().UnixMilli()
	if ok {
		r.HasDeadline = true
		r.DeadlineMs = deadline.UnixMilli()
		r.RemainingMs = time.Until(deadline).Milliseconds()
	}
	return json.Marshal(r)
}
