package probes

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// initAtUs is the wall clock (unix µs) at which RunInitHooks started, i.e. the
// start of this process's init phase; 0 until then.
var initAtUs atomic.Int64

// initHook is one parsed PROBE_INIT entry.
type initHook struct {
	name string // log, sleep, exit or panic
	n    float64
}

// parseInitHooks parses a comma-separated PROBE_INIT value. Blank entries are
// skipped. The whole list is checked before any hook runs, so a typo does not
// leave the init phase half done.
func parseInitHooks(spec string) ([]initHook, error) {
	var hooks []initHook
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, arg, hasArg := strings.Cut(item, ":")
		switch {
		case (name == "log" || name == "panic") && !hasArg:
			hooks = append(hooks, initHook{name: name})
		case name == "sleep" && hasArg:
			ms, err := strconv.ParseFloat(arg, 64)
			if err != nil || ms < 0 {
				return nil, fmt.Errorf("probe: PROBE_INIT: bad sleep milliseconds in %q", item)
			}
			hooks = append(hooks, initHook{name: name, n: ms})
		case name == "exit" && hasArg:
			code, err := strconv.Atoi(arg)
			if err != nil {
				return nil, fmt.Errorf("probe: PROBE_INIT: bad exit status in %q", item)
			}
			hooks = append(hooks, initHook{name: name, n: float64(code)})
		default:
			return nil, fmt.Errorf("probe: PROBE_INIT: unknown hook %q; known: log, sleep:<ms>, exit:<n>, panic", item)
		}
	}
	return hooks, nil
}

// RunInitHooks records the init time and runs the hooks listed in PROBE_INIT,
// in order. It returns an error only for a malformed PROBE_INIT; the exit and
// panic hooks end the process on purpose. Shims call it once per process,
// before the first invoke.
func RunInitHooks() error {
	initAtUs.Store(time.Now().UnixMicro())
	hooks, err := parseInitHooks(os.Getenv("PROBE_INIT"))
	if err != nil {
		return err
	}
	for _, h := range hooks {
		switch h.name {
		case "log":
			// One write per stream, stdout first, so the kit can check that
			// init output from both streams reaches the function's log.
			_, _ = os.Stdout.Write([]byte("probe-init stdout\n"))
			_, _ = os.Stderr.Write([]byte("probe-init stderr\n"))
		case "sleep":
			time.Sleep(millis(h.n))
		case "exit":
			os.Exit(int(h.n))
		case "panic":
			panic("probe: init panic")
		}
	}
	return nil
}

// initTime returns the recorded init time, or the process start if
// RunInitHooks was never called (a shim that only uses Invoke).
func initTime() int64 {
	if us := initAtUs.Load(); us != 0 {
		return us
	}
	return processStart.UnixMicro()
}
