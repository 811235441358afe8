package probes

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

const (
	mib      = 1 << 20
	pageSize = 4096
)

// allocated keeps every chunk reachable for the life of the process, so the
// garbage collector can never give the memory back.
var (
	allocMu   sync.Mutex
	allocated [][]byte
)

// allocProbe grows resident memory by stepMb MiB at a time until limitMb is
// reached (limitMb > 0) or forever (limitMb == 0, until the host kills the
// process for exceeding the memory limit).
func allocProbe(_ context.Context, args []byte) ([]byte, error) {
	a := struct {
		StepMb  int     `json:"stepMb"`
		LimitMb int     `json:"limitMb"`
		PauseMs float64 `json:"pauseMs"`
	}{StepMb: 8, PauseMs: 1}
	if err := decodeArgs("alloc", args, &a); err != nil {
		return nil, err
	}
	if a.StepMb <= 0 || a.LimitMb < 0 {
		return nil, fmt.Errorf("probe: alloc: stepMb must be > 0 and limitMb >= 0 (got %d, %d)", a.StepMb, a.LimitMb)
	}
	total := 0
	for a.LimitMb == 0 || total < a.LimitMb {
		step := a.StepMb
		if a.LimitMb > 0 {
			step = min(step, a.LimitMb-total) // end exactly on limitMb
		}
		chunk := make([]byte, step*mib)
		// Fresh allocations this large are untouched zero pages; writing one
		// byte per page makes the kernel back them, so RSS really grows.
		for i := 0; i < len(chunk); i += pageSize {
			chunk[i] = 1
		}
		allocMu.Lock()
		allocated = append(allocated, chunk)
		allocMu.Unlock()
		total += step
		time.Sleep(millis(a.PauseMs))
	}
	return json.Marshal(struct {
		AllocatedMb int `json:"allocatedMb"`
	}{total})
}
