package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// The test binary doubles as the user binary: with GO1X_TEST_CHILD set it serves aws-lambda-go's RPC protocol
// (it is built without lambda.norpc), like the probes the kit deploys.
func TestMain(m *testing.M) {
	if os.Getenv("GO1X_TEST_CHILD") != "" {
		fmt.Println("child init stdout")
		fmt.Fprintln(os.Stderr, "child init stderr")
		lambda.Start(lambda.NewHandler(testHandler))
		return
	}
	os.Exit(m.Run())
}

// testHandler's command is the whole payload.
func testHandler(ctx context.Context, payload json.RawMessage) (any, error) {
	var cmd string
	_ = json.Unmarshal(payload, &cmd)
	switch {
	case cmd == "pid":
		return os.Getpid(), nil
	case cmd == "error":
		return nil, errors.New("test: plain error")
	case cmd == "panic":
		panic("test: panic")
	case strings.HasPrefix(cmd, "exit:"):
		code, _ := strconv.Atoi(strings.TrimPrefix(cmd, "exit:"))
		fmt.Fprintf(os.Stderr, "test: exiting with %d\n", code)
		os.Exit(code)
	case cmd == "log":
		os.Stdout.WriteString("log 1 stdout\n")
		os.Stderr.WriteString("log 2 stderr\n")
		os.Stdout.WriteString("log 3 stdout\n")
		return "logged", nil
	case cmd == "context":
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		return map[string]any{"requestId": lc.AwsRequestID, "arn": lc.InvokedFunctionArn, "cognito": lc.Identity.CognitoIdentityID,
			"custom": lc.ClientContext.Custom, "deadlineMs": deadline.UnixMilli(), "trace": ctx.Value("x-amzn-trace-id"),
			"port": os.Getenv("_LAMBDA_SERVER_PORT") != ""}, nil
	}
	return payload, nil
}

// fakeRuntimeAPI hands out a fixed list of events, records what the host posts, and answers the next GET /next
// after the list with 500 so the host's loop ends.
type fakeRuntimeAPI struct {
	mu      sync.Mutex
	events  []string
	n       int
	results map[string]result
	tooBig  int
}

type result struct {
	kind string // "response" or "error"
	body string
}

func (f *fakeRuntimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := strings.TrimPrefix(r.URL.Path, "/2018-06-01/runtime/")
	switch {
	case p == "invocation/next":
		if f.n >= len(f.events) {
			http.Error(w, "no more events", http.StatusInternalServerError)
			return
		}
		id := fmt.Sprintf("req-%d", f.n)
		w.Header().Set(headerRequestID, id)
		w.Header().Set(headerDeadlineMs, strconv.FormatInt(time.Now().Add(5*time.Second).UnixMilli(), 10))
		w.Header().Set(headerFunctionArn, "arn:aws:lambda:us-east-1:000000000000:function:f")
		w.Header().Set(headerTraceID, "Root=1-test")
		w.Header().Set(headerClientContext, `{"custom":{"marker":"cc"}}`)
		w.Header().Set(headerCognitoIdentity, `{"cognitoIdentityId":"cog-id","cognitoIdentityPoolId":"cog-pool"}`)
		io.WriteString(w, f.events[f.n])
		f.n++
	case strings.HasSuffix(p, "/response") || strings.HasSuffix(p, "/error"):
		body, _ := io.ReadAll(r.Body)
		id := strings.Split(p, "/")[1]
		kind := p[strings.LastIndex(p, "/")+1:]
		if f.tooBig > 0 && kind == "response" && len(body) > f.tooBig {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			io.WriteString(w, `{"errorType":"RequestEntityTooLarge"}`)
			f.results[id] = result{"too-large", ""}
			return
		}
		f.results[id] = result{kind, string(body)}
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"OK"}`)
	default:
		http.NotFound(w, r)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runHost runs the host against the fake API until the events run out, with the test binary as user binary.
func runHost(t *testing.T, events []string, toggles map[string]string, tooBig int) (map[string]result, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GO1X_TEST_CHILD", "1")
	t.Setenv("LAMBDA_TASK_ROOT", filepath.Dir(exe))
	t.Setenv("_HANDLER", filepath.Base(exe))
	for k, v := range toggles {
		t.Setenv(k, v)
	}
	api := &fakeRuntimeAPI{events: events, results: map[string]result{}, tooBig: tooBig}
	srv := httptest.NewServer(api)
	defer srv.Close()
	out := &syncBuffer{}
	logs, err := newRelay(out)
	if err != nil {
		t.Fatal(err)
	}
	h := &host{cfg: configFromEnv(os.Getenv), api: newRuntimeAPI(strings.TrimPrefix(srv.URL, "http://")), logs: logs}
	done := make(chan int)
	go func() { done <- h.run() }()
	select {
	case code := <-done:
		if code != 1 {
			t.Errorf("host exit code %d, want 1 (the fake API's 500 ends it)", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("host did not finish")
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	return api.results, out.String()
}

func TestHostEndToEnd(t *testing.T) {
	events := []string{`"pid"`, `{"echo":"bytes \u2028 & <>"}`, `"error"`, `"panic"`, `"pid"`, `"log"`, `"context"`, `"exit:3"`, `"pid"`}
	results, logs := runHost(t, events, nil, 0)
	get := func(i int) result { return results[fmt.Sprintf("req-%d", i)] }

	if r := get(0); r.kind != "response" {
		t.Fatalf("pid: %+v\nlogs:\n%s", r, logs)
	}
	firstPid := get(0).body
	if r := get(1); r.kind != "response" || r.body != events[1] {
		t.Errorf("echo must pass bytes through: %+v", r)
	}
	if r := get(2); r.kind != "error" || r.body != `{"errorMessage":"test: plain error","errorType":"errorString"}` {
		t.Errorf("returned error: %+v", r)
	}
	var panicked struct {
		Message    string `json:"errorMessage"`
		Type       string `json:"errorType"`
		StackTrace []struct {
			Path  string `json:"path"`
			Line  int    `json:"line"`
			Label string `json:"label"`
		} `json:"stackTrace"`
	}
	if r := get(3); r.kind != "error" || json.Unmarshal([]byte(r.body), &panicked) != nil || panicked.Type != "string" || panicked.Message != "test: panic" || len(panicked.StackTrace) == 0 {
		t.Errorf("panic: %+v", get(3))
	}
	if r := get(4); r.body != firstPid {
		t.Errorf("ShouldExit is ignored by default: the same process serves on (pid %s, then %s)", firstPid, r.body)
	}
	if !strings.Contains(logs, "log 1 stdout\nlog 2 stderr\nlog 3 stdout\n") {
		t.Errorf("stdout and stderr out of order:\n%s", logs)
	}
	var c struct {
		RequestID, Arn, Cognito, Trace string
		Custom                         map[string]string
		DeadlineMs                     int64
		Port                           bool
	}
	if err := json.Unmarshal([]byte(get(6).body), &c); err != nil || c.RequestID != "req-6" || c.Cognito != "cog-id" || c.Custom["marker"] != "cc" || c.Trace != "Root=1-test" || !c.Port || c.DeadlineMs == 0 {
		t.Errorf("context: %+v (%v) from %s", c, err, get(6).body)
	}
	if r := get(7); r.kind != "error" || r.body != `{"errorMessage":"RequestId: req-7 Process exited before completing request"}` {
		t.Errorf("exit: %+v", r)
	}
	if !strings.Contains(logs, "test: exiting with 3\nRequestId: req-7 Process exited before completing request\n") {
		t.Errorf("the exit is not logged after the process's last words:\n%s", logs)
	}
	if r := get(8); r.kind != "response" || r.body == firstPid {
		t.Errorf("after the exit a new process serves: %+v (first pid %s)", r, firstPid)
	}
	if n := strings.Count(logs, "child init stdout\nchild init stderr\n"); n != 2 {
		t.Errorf("init output seen %d times, want 2 (first start, restart after the exit):\n%s", n, logs)
	}
	if !strings.Contains(logs, "test: plain error: errorString\nnull\n") || !strings.Contains(logs, "test: panic: string\n[{\"path\":") {
		t.Errorf("errors are not logged the go1.x way:\n%s", logs)
	}
}

func TestHostToggles(t *testing.T) {
	events := []string{`"pid"`, `"panic"`, `"pid"`, `"exit:0"`}
	results, logs := runHost(t, events, map[string]string{envExitOnShouldExit: "1", envLambciErrors: "1"}, 0)
	get := func(i int) result { return results[fmt.Sprintf("req-%d", i)] }
	if get(0).kind != "response" || get(2).kind != "response" || get(0).body == get(2).body {
		t.Errorf("GO1X_EXIT_ON_SHOULD_EXIT: the panic must replace the process (pids %s, %s)\n%s", get(0).body, get(2).body, logs)
	}
	var p struct {
		StackTrace []string `json:"stackTrace"`
	}
	if err := json.Unmarshal([]byte(get(1).body), &p); err != nil || len(p.StackTrace) == 0 || !strings.Contains(p.StackTrace[0], ".go:") {
		t.Errorf("GO1X_LAMBCI_ERRORS: frames as strings: %s", get(1).body)
	}
	if r := get(3); r.kind != "error" || r.body != `{"errorMessage":"RequestId: req-3 Error: unexpected EOF","errorType":"exitError"}` {
		t.Errorf("GO1X_LAMBCI_ERRORS: a dead process: %+v", r)
	}
}

func TestHostSurvivesAnOversizedResponse(t *testing.T) {
	big := `"` + strings.Repeat("x", 2000) + `"`
	results, logs := runHost(t, []string{big, `"pid"`}, nil, 1000)
	if results["req-0"].kind != "too-large" || results["req-1"].kind != "response" {
		t.Errorf("results %+v\nlogs:\n%s", results, logs)
	}
	if strings.Contains(logs, "go1x-rpc host:") && !strings.Contains(logs, "no more events") {
		t.Errorf("a 413 is the platform's to report; the host logged:\n%s", logs)
	}
}

func TestHostReportsAMissingBinaryPerInvoke(t *testing.T) {
	t.Setenv("LAMBDA_TASK_ROOT", "/nonexistent-task-root")
	api := &fakeRuntimeAPI{events: []string{`{}`, `{}`}, results: map[string]result{}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	out := &syncBuffer{}
	logs, _ := newRelay(out)
	t.Setenv("_HANDLER", "main")
	h := &host{cfg: configFromEnv(os.Getenv), api: newRuntimeAPI(strings.TrimPrefix(srv.URL, "http://")), logs: logs}
	h.run()
	want := `{"errorMessage":"fork/exec /nonexistent-task-root/main: no such file or directory","errorType":"PathError"}`
	for _, id := range []string{"req-0", "req-1"} {
		if r := api.results[id]; r.kind != "error" || r.body != want {
			t.Errorf("%s: %+v, want %s", id, r, want)
		}
	}
	if !strings.Contains(out.String(), "fork/exec /nonexistent-task-root/main: no such file or directory: PathError\nnull\n") {
		t.Errorf("log:\n%s", out.String())
	}
}

func TestRelayKeepsWriteOrderAcrossStreams(t *testing.T) {
	out := &syncBuffer{}
	l, err := newRelay(out)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i := 0; i < 200; i++ {
		line := fmt.Sprintf("line %d\n", i)
		want.WriteString(line)
		if _, err := l.w.WriteString(line); err != nil {
			t.Fatal(err)
		}
	}
	l.Printf("host line")
	want.WriteString("host line\n")
	if got := out.String(); got != want.String() {
		t.Errorf("relay output differs:\n%s", got)
	}
}
