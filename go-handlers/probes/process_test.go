package probes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The test binary doubles as a probe process, so behaviour that ends or
// writes to the process (Main, init hooks, exit, log) can be checked from
// outside without any Lambda runtime.
const helperEnv = "PROBES_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "main":
		Main() // exits
	case "invoke":
		_, err := Invoke(context.Background(), os.Getenv("HELPER_PROBE"), []byte(os.Getenv("HELPER_ARGS")))
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type procResult struct {
	code           int
	stdout, stderr string
	combined       string // both streams through one pipe, in write order
}

// cleanProbeEnv is the host environment without the variables a probe process reads.
func cleanProbeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == helperEnv || k == "AWS_LAMBDA_RUNTIME_API" || k == "_LAMBDA_SERVER_PORT" || strings.HasPrefix(k, "PROBE") || strings.HasPrefix(k, "HELPER_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// runHelper runs this test binary in helper mode with a clean probe
// environment plus env, twice: once with separate streams, once with both
// on one pipe to see the interleaving.
func runHelper(t *testing.T, mode string, env ...string) procResult {
	t.Helper()
	base := append([]string{helperEnv + "=" + mode}, cleanProbeEnv()...)
	run := func(stdout, stderr *bytes.Buffer) int {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(base, env...)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		err := cmd.Run()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return exitErr.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	var r procResult
	var out, errOut, both bytes.Buffer
	r.code = run(&out, &errOut)
	r.stdout, r.stderr = out.String(), errOut.String()
	if code := run(&both, &both); code != r.code {
		t.Fatalf("exit status %d, then %d", r.code, code)
	}
	r.combined = both.String()
	return r
}

func TestMainRejectsUnknownProbe(t *testing.T) {
	for _, probe := range []string{"", "bogus"} {
		r := runHelper(t, "main", "PROBE="+probe)
		if r.code != 64 || !strings.HasPrefix(r.stderr, `probe: unknown PROBE "`+probe+`"; known: alloc, `) {
			t.Errorf("PROBE=%q: exit %d, stderr %q", probe, r.code, r.stderr)
		}
	}
}

func TestMainNeedsRuntimeAPI(t *testing.T) {
	r := runHelper(t, "main", "PROBE=echo")
	if r.code != 1 || !strings.Contains(r.stderr, "expected AWS Lambda environment variables") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestInitHooks(t *testing.T) {
	r := runHelper(t, "main", "PROBE=echo", "PROBE_INIT=log,sleep:1,exit:7")
	if r.code != 7 || r.stdout != "probe-init stdout\n" || r.stderr != "probe-init stderr\n" ||
		r.combined != "probe-init stdout\nprobe-init stderr\n" {
		t.Errorf("log,exit:7: %+v", r)
	}
	r = runHelper(t, "main", "PROBE=echo", "PROBE_INIT=panic")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "panic: probe: init panic\n") {
		t.Errorf("panic: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runHelper(t, "main", "PROBE=echo", "PROBE_INIT=log,bogus")
	if r.code != 64 || r.stdout != "" || !strings.Contains(r.stderr, `unknown hook "bogus"`) {
		t.Errorf("bogus hook ran or was accepted: %+v", r)
	}
	// Init hooks run before PROBE is looked at.
	r = runHelper(t, "main", "PROBE=bogus", "PROBE_INIT=exit:0")
	if r.code != 0 {
		t.Errorf("exit:0 with bad PROBE: exit %d", r.code)
	}
}

func TestExitProbe(t *testing.T) {
	for _, tt := range []struct {
		args string
		code int
	}{{`{"code":3}`, 3}, {`{"code":0}`, 0}, {`{}`, 1}} {
		r := runHelper(t, "invoke", "HELPER_PROBE=exit", "HELPER_ARGS="+tt.args)
		if want := fmt.Sprintf("probe: exiting with status %d\n", tt.code); r.code != tt.code || r.stderr != want || r.stdout != "" {
			t.Errorf("exit %s: %+v", tt.args, r)
		}
	}
}

func TestGoroutinePanicProbe(t *testing.T) {
	r := runHelper(t, "invoke", "HELPER_PROBE=goroutine-panic", `HELPER_ARGS={"delayMs":5}`)
	if r.code != 2 || !strings.HasPrefix(r.stderr, "panic: probe: goroutine panic\n") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestLogProbeOrder(t *testing.T) {
	r := runHelper(t, "invoke", "HELPER_PROBE=log", `HELPER_ARGS={"marker":"m-1"}`)
	stamp := `\d{4}/\d\d/\d\d \d\d:\d\d:\d\d `
	if r.code != 0 ||
		r.stdout != "probe-log 1 stdout m-1\nprobe-log 3 stdout m-1\nprobe-log 4 multi m-1\nline two\nline three\n" ||
		!regexp.MustCompile(`^probe-log 2 stderr m-1\n`+stamp+`probe-log 5 log\.Print m-1\n$`).MatchString(r.stderr) {
		t.Errorf("separate streams: %+v", r)
	}
	want := `^probe-log 1 stdout m-1\nprobe-log 2 stderr m-1\nprobe-log 3 stdout m-1\n` +
		`probe-log 4 multi m-1\nline two\nline three\n` + stamp + `probe-log 5 log\.Print m-1\n$`
	if !regexp.MustCompile(want).MatchString(r.combined) {
		t.Errorf("combined stream out of order: %q", r.combined)
	}
}
