package probes

import (
	"context"
	"encoding/json"
	"time"
)

// sleepProbe sleeps for ms milliseconds without watching ctx, so a sleep past
// the deadline shows how the target enforces the function timeout.
func sleepProbe(_ context.Context, args []byte) ([]byte, error) {
	a := struct {
		Ms float64 `json:"ms"`
	}{Ms: 100}
	if err := decodeArgs("sleep", args, &a); err != nil {
		return nil, err
	}
	time.Sleep(millis(a.Ms))
	return json.Marshal(struct {
		SleptMs float64 `json:"sleptMs"`
	}{a.Ms})
}
