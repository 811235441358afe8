package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// readinessGrace is how long past the invoke deadline a restart may keep waiting for Function.Ping. The platform
// ends the invoke at the deadline, so this only matters where nothing enforces timeouts.
const readinessGrace = 2 * time.Second

// exitGrace is how long the host waits for a user process whose RPC connection broke to finish exiting.
const exitGrace = 2 * time.Second

// launchError: the user binary could not be executed at all.
type launchError struct{ err error }

func (e *launchError) Error() string { return e.err.Error() }
func (e *launchError) Unwrap() error { return e.err }

// host is the go1.x runtime: a Runtime API client that serves each event by calling Function.Invoke on the user
// process, over one persistent connection, one call at a time.
type host struct {
	cfg   config
	api   *runtimeAPI
	logs  *relay
	child *child // the running, ready user process, or nil
}

// run is the runtime's life: start the user process during init, then serve events until the Runtime API fails.
func (h *host) run() int {
	// Init. A failure here is not an init error: the host asks for the first event anyway, starts the user
	// process again for it and reports what went wrong as that invoke's error, as go1.x reported a missing
	// handler binary (aws/aws-lambda-go#333, serverless/serverless#4710). A process that never listens keeps
	// init waiting until the platform's init limit ends it.
	_ = h.ensureChild(context.Background())
	h.logs.Sync()
	for {
		inv, err := h.api.next()
		if err != nil {
			h.logs.Printf("go1x-rpc host: %v", err)
			if h.child != nil {
				h.child.kill()
			}
			return 1
		}
		h.serve(inv)
	}
}

// ensureChild makes sure a ready user process exists, starting one if needed.
func (h *host) ensureChild(ctx context.Context) error {
	if h.child != nil {
		if !h.child.exited() {
			return nil
		}
		// It died between invokes (only possible in the moment before the freeze): start a new one.
		h.child.kill()
		h.child = nil
	}
	c, err := startChild(h.cfg, h.logs.w)
	if err != nil {
		return &launchError{err}
	}
	if err := c.waitReady(ctx); err != nil {
		c.kill()
		return err
	}
	h.child = c
	return nil
}

// readinessContext bounds a restart by the invoke's deadline (go-shims.md §2.2 item 2).
func readinessContext(deadlineMs string) (context.Context, context.CancelFunc) {
	ms, err := strconv.ParseInt(deadlineMs, 10, 64)
	if err != nil || ms <= 0 {
		return context.WithCancel(context.Background())
	}
	return context.WithDeadline(context.Background(), time.UnixMilli(ms).Add(readinessGrace))
}

// serve handles one event end to end.
func (h *host) serve(inv *invocation) {
	req, err := buildRequest(inv)
	if err != nil {
		h.failWithHostError(inv, err)
		return
	}
	ctx, cancel := readinessContext(inv.deadlineMs)
	err = h.ensureChild(ctx)
	cancel()
	if err != nil {
		h.failToStart(inv, err)
		return
	}
	reply, err := h.child.invoke(req)
	if err != nil {
		if !brokenConnection(err) {
			// An error string from the RPC server itself (rpc.ServerError), not from the handler.
			h.failWithHostError(inv, err)
			return
		}
		h.failWithCrash(inv, err)
		return
	}
	// Everything the user process wrote before replying is in the pipe: log it before the result.
	h.logs.Sync()
	if e := reply.Error; e != nil {
		h.logs.Printf("%s", errorLogLines(e.Message, e.Type, e.StackTrace))
		h.post(h.api.fail(inv.requestID, functionErrorBody(e, h.cfg.lambciErrors)))
		if e.ShouldExit && h.cfg.exitOnShouldExit {
			h.child.kill()
			h.child = nil
			h.logs.Sync()
		}
		return
	}
	h.post(h.api.respond(inv.requestID, reply.Payload))
}

// failWithCrash answers an invoke whose user process died before replying, and forgets the process so the next
// invoke starts a new one. The host itself stays: the environment stays warm.
func (h *host) failWithCrash(inv *invocation, rpcErr error) {
	if h.child != nil {
		h.child.awaitExit(exitGrace)
		h.child.kill()
		h.child = nil
	}
	h.logs.Sync()
	body := crashBody(inv.requestID, rpcErr, h.cfg.lambciErrors)
	if h.cfg.lambciErrors {
		h.logs.Printf("RequestId: %s Error: %v", inv.requestID, rpcErr)
	} else {
		h.logs.Printf("%s", crashMessage(inv.requestID))
	}
	h.post(h.api.fail(inv.requestID, body))
}

// failToStart answers an invoke for which no user process could be made ready.
func (h *host) failToStart(inv *invocation, err error) {
	h.logs.Sync()
	var exited *exitedError
	var launch *launchError
	switch {
	case errors.As(err, &exited):
		// The process ended before it served RPC: to the caller, a process that exited before completing the
		// request.
		h.failWithCrash(inv, err)
	case errors.As(err, &launch):
		h.failWithHostError(inv, launch.err)
	default:
		h.failWithHostError(inv, err)
	}
}

// failWithHostError answers an invoke with a Go error of the host's own, logged the way go1.x logged errors.
func (h *host) failWithHostError(inv *invocation, err error) {
	h.logs.Printf("%s", errorLogLines(err.Error(), typeName(err), nil))
	h.post(h.api.fail(inv.requestID, hostErrorBody(err, h.cfg.lambciErrors)))
}

// post reports a Runtime API POST that was not accepted, and carries on. A 413 on /response is the platform
// refusing an oversized result: it reports Function.ResponseSizeTooLarge to the caller itself, and the host,
// unlike aws-lambda-go's runtime client, stays alive.
func (h *host) post(err error) {
	if err == nil {
		return
	}
	var se *statusError
	if errors.As(err, &se) && se.status == http.StatusRequestEntityTooLarge {
		return
	}
	h.logs.Printf("go1x-rpc host: %v", err)
}
