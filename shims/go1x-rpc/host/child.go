package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// pollInterval is how often the host retries a refused dial and a failed Function.Ping
// (lambci go1.x/run/aws-lambda-mock.go; go-shims.md §2.2 item 2).
const pollInterval = 5 * time.Millisecond

// child is one run of the user binary, serving aws-lambda-go's RPC protocol on _LAMBDA_SERVER_PORT.
type child struct {
	cmd       *exec.Cmd
	addr      string
	ownGroup  bool
	client    *rpc.Client   // set once Function.Ping has answered
	done      chan struct{} // closed when the process has exited and been reaped
	exitState *os.ProcessState
	waitErr   error
}

// exitedError: the user process ended before it was ready.
type exitedError struct{ state string }

func (e *exitedError) Error() string {
	return "the function process exited before serving RPC: " + e.state
}

// notReadyError: the bound ran out before the user process answered Function.Ping.
type notReadyError struct{ cause error }

func (e *notReadyError) Error() string {
	return fmt.Sprintf("the function process did not answer Function.Ping in time: %v", e.cause)
}

// freePort asks the kernel for a free TCP port for _LAMBDA_SERVER_PORT.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// startChild launches the user binary with its output on the relay's pipe. An error here is the exec failure
// itself (e.g. *fs.PathError "fork/exec /var/task/main: no such file or directory").
func startChild(cfg config, out *os.File) (*child, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(cfg.handlerPath)
	cmd.Env = childEnv(os.Environ(), port, cfg)
	cmd.Stdout = out // one pipe for both streams keeps their write order (relay.go)
	cmd.Stderr = out
	if cfg.ownProcessGroup {
		// What go1.x and lambci did. No Pdeathsig: Lambda refused prctl(PR_SET_PDEATHSIG) with EPERM
		// (hashicorp/terraform-exec#172, chromedp/chromedp#720).
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, addr: net.JoinHostPort("localhost", port), ownGroup: cfg.ownProcessGroup, done: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		c.exitState = cmd.ProcessState
		close(c.done)
	}()
	return c, nil
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// describeExit is the process's end as Go's os.ProcessState prints it ("exit status 3", "signal: killed").
func (c *child) describeExit() string {
	if c.exitState != nil {
		return c.exitState.String()
	}
	if c.waitErr != nil {
		return c.waitErr.Error()
	}
	return "unknown"
}

// waitReady dials the port every 5 ms while the connection is refused, then calls Function.Ping every 5 ms until
// it answers (go-shims.md §2.2 item 2). It gives up when the process exits or ctx ends, or on a dial error that
// is not a network failure (retryableDial).
func (c *child) waitReady(ctx context.Context) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	wait := func() error {
		select {
		case <-c.done:
			return &exitedError{c.describeExit()}
		case <-ctx.Done():
			return &notReadyError{ctx.Err()}
		case <-tick.C:
			return nil
		}
	}
	for {
		if c.exited() {
			return &exitedError{c.describeExit()}
		}
		d := net.Dialer{Timeout: time.Second}
		conn, err := d.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			if ctx.Err() != nil {
				return &notReadyError{err}
			}
			if !retryableDial(err) {
				return err
			}
			if err := wait(); err != nil {
				return err
			}
			continue
		}
		client := rpc.NewClient(conn)
		for {
			call := client.Go("Function.Ping", messages.PingRequest{}, &messages.PingResponse{}, make(chan *rpc.Call, 1))
			var err error
			select {
			case <-call.Done:
				err = call.Error
			case <-c.done:
				client.Close()
				return &exitedError{c.describeExit()}
			case <-ctx.Done():
				client.Close()
				return &notReadyError{ctx.Err()}
			}
			if err == nil {
				c.client = client
				return nil
			}
			if brokenConnection(err) {
				client.Close()
				break // dial again
			}
			if err := wait(); err != nil {
				client.Close()
				return err
			}
		}
		if err := wait(); err != nil {
			return err
		}
	}
}

// retryableDial reports whether a dial error means "not listening yet". A refusal is the expected case; like
// lambci's mock, which retries every *net.OpError of op "dial", other dial failures are retried too (for example
// "localhost" resolving to ::1 first on a host whose IPv6 loopback is down), still bounded by the process exiting
// and by ctx.
func retryableDial(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// brokenConnection reports whether an RPC error means the connection is gone (as opposed to an error string the
// server sent back, rpc.ServerError).
func brokenConnection(err error) bool {
	var se rpc.ServerError
	return err != nil && !errors.As(err, &se)
}

// invoke calls Function.Invoke on the persistent connection. A reply decodes into a fresh InvokeResponse every
// time: gob leaves fields that are zero on the wire untouched, so a reused value would keep the last payload.
// There is no timeout here: the platform ends an invoke that runs past its deadline by killing the sandbox.
func (c *child) invoke(req *messages.InvokeRequest) (*messages.InvokeResponse, error) {
	var reply messages.InvokeResponse
	if err := c.client.Call("Function.Invoke", req, &reply); err != nil {
		return nil, err
	}
	return &reply, nil
}

// awaitExit waits up to grace for the process to end (it normally has: the connection breaks when it exits),
// then kills it.
func (c *child) awaitExit(grace time.Duration) {
	select {
	case <-c.done:
	case <-time.After(grace):
		c.kill()
	}
}

// kill ends the process (its whole group when it has one of its own) and waits until it is reaped.
func (c *child) kill() {
	if c.client != nil {
		c.client.Close()
	}
	if c.exited() {
		return
	}
	if c.ownGroup {
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	} else {
		_ = c.cmd.Process.Kill()
	}
	<-c.done
}
