package probes

import (
	"context"
	"time"
)

// goroutinePanicProbe panics in a goroutine the handler started. No recover
// in aws-lambda-go can catch that, so the Go runtime prints the panic and
// exits with status 2 while the handler is still blocked: a crash the runtime
// client never gets to report.
func goroutinePanicProbe(_ context.Context, args []byte) ([]byte, error) {
	a := struct {
		DelayMs float64 `json:"delayMs"`
	}{}
	if err := decodeArgs("goroutine-panic", args, &a); err != nil {
		return nil, err
	}
	go func() {
		time.Sleep(millis(a.DelayMs))
		panic("probe: goroutine panic")
	}()
	select {}
}
