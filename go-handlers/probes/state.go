package probes

import (
	"context"
	"encoding/json"
	"os"
)

// stateProbe identifies the process serving the invoke, to tell cold starts
// from warm ones and count how many invokes a sandbox has served.
func stateProbe(ctx context.Context, _ []byte) ([]byte, error) {
	n := invokeInfoFrom(ctx).number
	return json.Marshal(struct {
		Pid         int   `json:"pid"`
		Invocations int64 `json:"invocations"`
		InitAtUs    int64 `json:"initAtUs"`
		ColdStart   bool  `json:"coldStart"`
	}{os.Getpid(), n, initTime(), n == 1})
}
