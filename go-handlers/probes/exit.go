package probes

import (
	"context"
	"fmt"
	"os"
)

// exitProbe ends the process mid-invoke with os.Exit (no deferred calls, no
// response), to check how the target reports a function that just vanishes.
func exitProbe(_ context.Context, args []byte) ([]byte, error) {
	a := struct {
		Code int `json:"code"`
	}{Code: 1}
	if err := decodeArgs("exit", args, &a); err != nil {
		return nil, err
	}
	// One unbuffered write, so the line is out before the process is gone.
	_, _ = os.Stderr.WriteString(fmt.Sprintf("probe: exiting with status %d\n", a.Code))
	os.Exit(a.Code)
	return nil, nil // unreachable
}
