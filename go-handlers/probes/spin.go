package probes

import (
	"context"
	"sync/atomic"
)

// spinCount is updated by spinProbe. An atomic add on a package variable is a
// visible side effect, so the compiler cannot drop the loop.
var spinCount atomic.Uint64

// spinProbe burns CPU forever and never looks at ctx: the only way out is for
// the host to kill the process (timeout handling of a busy function).
func spinProbe(context.Context, []byte) ([]byte, error) {
	for {
		spinCount.Add(1)
	}
}
