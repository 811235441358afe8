// Package probes holds the Go functions the conformance kit deploys to a Lambda
// target. Each probe provokes one behaviour (echo, crash, timeout, memory
// growth, logging, ...) so the kit can observe how a shim and the target handle
// it. The probes are plain functions of (context, raw JSON args) so that every
// shim can drive the same code: Main for a normal bootstrap built on
// aws-lambda-go, Invoke and RunInitHooks for shims that bring their own loop.
package probes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// DispatchProbe is the PROBE value that selects the probe per invoke from a
// {"probe":"<name>","args":...} payload instead of fixing it for the process.
const DispatchProbe = "dispatch"

// probeFunc runs one probe. args is raw JSON (possibly empty); the returned
// bytes are sent back to the caller unchanged.
type probeFunc func(ctx context.Context, args []byte) ([]byte, error)

// registry maps probe names to implementations. It is never written after
// package initialisation, so concurrent reads need no lock.
var registry = map[string]probeFunc{
	"echo":            echoProbe,
	"sleep":           sleepProbe,
	"spin":            spinProbe,
	"alloc":           allocProbe,
	"panic":           panicProbe,
	"goroutine-panic": goroutinePanicProbe,
	"exit":            exitProbe,
	"error":           errorProbe,
	"bytes":           bytesProbe,
	"log":             logProbe,
	"deadline":        deadlineProbe,
	"context":         contextProbe,
	"background":      backgroundProbe,
	"timestamps":      timestampsProbe,
	"state":           stateProbe,
	"event-shape":     eventShapeProbe,
	"batch":           batchProbe,
}

// Names returns the probe names in sorted order (without DispatchProbe).
func Names() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

var (
	// processStart approximates the process start: package variables are
	// initialised before main runs. The clock-drift simulation is anchored here.
	processStart = time.Now()

	// invocations counts invokes in this process (all entry points).
	invocations atomic.Int64
)

// invokeInfo is what the entry point knows about the current invoke; it travels
// to the probes in the context so concurrent invokes do not see each other's.
type invokeInfo struct {
	receivedAt time.Time // wall clock read first thing in the entry point
	number     int64     // value of the invocation counter for this invoke
}

type invokeInfoKey struct{}

// invokeInfoFrom returns the entry point's data, or a best effort substitute
// when a probe is called without going through an entry point.
func invokeInfoFrom(ctx context.Context) invokeInfo {
	if info, ok := ctx.Value(invokeInfoKey{}).(invokeInfo); ok {
		return info
	}
	return invokeInfo{receivedAt: time.Now(), number: invocations.Load()}
}

// RawHandler implements aws-lambda-go's lambda.Handler interface. A value of
// this interface is used by the library as is: it hands over the request body
// and posts the returned bytes without any JSON decoding or re-encoding
// (lambda/handler.go, reflectHandler), which is what makes a byte-exact echo
// possible. A func(ctx, T) (U, error) handler would be JSON round-tripped.
type RawHandler struct {
	probe string
}

// NewRawHandler returns the handler for a probe name or DispatchProbe.
func NewRawHandler(probe string) (*RawHandler, error) {
	if _, ok := registry[probe]; !ok && probe != DispatchProbe {
		return nil, fmt.Errorf("probe: unknown PROBE %q; known: %s, %s",
			probe, strings.Join(Names(), ", "), DispatchProbe)
	}
	return &RawHandler{probe: probe}, nil
}

// Invoke runs the handler's probe with payload as its args (or dispatches).
func (h *RawHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	// Read the clock before anything else: the timestamps probe reports this as
	// the moment the function received the event.
	receivedAt := time.Now()
	return invoke(ctx, receivedAt, h.probe, payload)
}

// Invoke runs one probe by name, or DispatchProbe, as an invoke of this process
// (it counts towards the invocation counter). It is the entry point for shims
// that do not use lambda.Start. Panics are not recovered.
//
// The result may alias payload (echo): a caller that reuses its payload buffer
// must finish with the result first. aws-lambda-go does (it posts the response
// before recycling the buffer).
func Invoke(ctx context.Context, probe string, payload []byte) ([]byte, error) {
	receivedAt := time.Now()
	return invoke(ctx, receivedAt, probe, payload)
}

func invoke(ctx context.Context, receivedAt time.Time, probe string, payload []byte) ([]byte, error) {
	n := invocations.Add(1)
	ctx = context.WithValue(ctx, invokeInfoKey{}, invokeInfo{receivedAt: receivedAt, number: n})
	args := payload
	if probe == DispatchProbe {
		var err error
		if probe, args, err = parseDispatch(payload); err != nil {
			return nil, err
		}
	}
	run, ok := registry[probe]
	if !ok {
		return nil, errors.New(fmt.Sprintf("probe: unknown probe %q", probe))
	}
	out, err := run(ctx, args)
	if d := extraDelay(); d > 0 {
		time.Sleep(d)
	}
	return out, err
}

// emptyArgs stands in for an absent "args" member of a dispatch payload.
var emptyArgs = []byte("{}")

// parseDispatch splits a {"probe":"<name>","args":<any JSON>} payload.
// json.RawMessage keeps the exact bytes of args (whitespace and number
// spelling included), which the echo probe relies on.
func parseDispatch(payload []byte) (string, []byte, error) {
	var req struct {
		Probe string          `json:"probe"`
		Args  json.RawMessage `json:"args"`
	}
	if err := json.Unmarshal(payload, &req); err != nil {
		return "", nil, fmt.Errorf("probe: invalid dispatch payload: %w", err)
	}
	if req.Args == nil {
		return req.Probe, emptyArgs, nil
	}
	return req.Probe, req.Args, nil
}

// decodeArgs fills dst, which holds the defaults, from a probe's args. Empty
// args and JSON null keep the defaults; unknown fields are ignored so that any
// event object can be sent to a fixed PROBE.
func decodeArgs(probe string, args []byte, dst any) error {
	if len(bytes.TrimSpace(args)) == 0 {
		return nil
	}
	if err := json.Unmarshal(args, dst); err != nil {
		return fmt.Errorf("probe: %s: invalid args: %w", probe, err)
	}
	return nil
}

// millis converts a (possibly fractional) millisecond count to a Duration.
func millis(ms float64) time.Duration {
	return time.Duration(ms * float64(time.Millisecond))
}
