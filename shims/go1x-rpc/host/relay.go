package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// relay is the "extra hop" of the go1.x log path (aws-lambda-go#318): the user process's stdout and stderr are
// both the write end of ONE pipe, and the host copies what arrives to its own stderr, which the platform
// captures as the function log.
//
// One pipe, not two: the kernel keeps the bytes of a single pipe in the order of the write(2) calls, so a
// stdout line followed by a stderr line arrives in that order. With a pipe per stream, two readers would race
// and the relative order of stdout and stderr would depend on scheduling.
//
// The copy is synchronous with the protocol: before the host posts an invoke's result it calls Sync, which
// copies everything already in the pipe. The user process writes its output before it sends the RPC reply,
// so every line of an invoke reaches the log before the host's POST, that is, before the platform's END line.
type relay struct {
	mu  sync.Mutex
	r   *os.File        // read end, non-blocking, owned by the host
	w   *os.File        // write end, handed to every user process as fd 1 and fd 2
	rc  syscall.RawConn // r's poller-aware handle
	out io.Writer       // the host's stderr
	buf []byte
}

func newRelay(out io.Writer) (*relay, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	rc, err := r.SyscallConn()
	if err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	l := &relay{r: r, w: w, rc: rc, out: out, buf: make([]byte, 64*1024)}
	go l.run()
	return l, nil
}

// drainLocked copies what the pipe holds now. It reports whether the pipe would block (more may come later)
// and whether it is finished (every write end closed, or a read error).
func (l *relay) drainLocked(fd uintptr) (wouldBlock, finished bool) {
	for {
		n, err := syscall.Read(int(fd), l.buf)
		if n > 0 {
			// A failed write to our own stderr has nowhere to be reported; keep relaying.
			_, _ = l.out.Write(l.buf[:n])
			continue
		}
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return true, false
		default: // n == 0: end of file; or a read error
			return false, true
		}
	}
}

// run copies output as it arrives, so a user process never blocks on a full pipe.
func (l *relay) run() {
	for {
		finished := false
		err := l.rc.Read(func(fd uintptr) bool {
			l.mu.Lock()
			defer l.mu.Unlock()
			wouldBlock, done := l.drainLocked(fd)
			finished = done
			return !wouldBlock // false: wait until the pipe is readable, then call again
		})
		if err != nil || finished {
			return
		}
	}
}

// Sync copies everything written to the pipe so far to the host's stderr before it returns.
func (l *relay) Sync() {
	_ = l.rc.Control(func(fd uintptr) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.drainLocked(fd)
	})
}

// Printf writes one line of the host's own to the function log, after everything the user process wrote
// before it.
func (l *relay) Printf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if len(line) == 0 || line[len(line)-1] != '\n' {
		line += "\n"
	}
	_ = l.rc.Control(func(fd uintptr) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.drainLocked(fd)
		_, _ = io.WriteString(l.out, line)
	})
}
