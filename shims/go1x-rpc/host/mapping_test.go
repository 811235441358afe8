package main

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

func TestDeadlineFromHeader(t *testing.T) {
	cases := map[string]messages.InvokeRequest_Timestamp{
		"1542409706888": {Seconds: 1542409706, Nanos: 888_000_000},
		"1542409706000": {Seconds: 1542409706, Nanos: 0},
		"1542409706001": {Seconds: 1542409706, Nanos: 1_000_000},
		"999":           {Seconds: 0, Nanos: 999_000_000},
		"":              {},
		"yolo":          {},
		"1.5e12":        {},
	}
	for in, want := range cases {
		if got := deadlineFromHeader(in); got != want {
			t.Errorf("deadlineFromHeader(%q) = %+v, want %+v", in, got, want)
		}
	}
	// aws-lambda-go reads it back with time.Unix(Seconds, Nanos): the same instant, to the millisecond.
	ms := time.Now().Add(3 * time.Second).UnixMilli()
	ts := deadlineFromHeader(strconv.FormatInt(ms, 10))
	if back := time.Unix(ts.Seconds, ts.Nanos).UnixMilli(); back != ms {
		t.Errorf("round trip: got %d, want %d", back, ms)
	}
}

func TestParseCognito(t *testing.T) {
	id, pool, err := parseCognito(`{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}`)
	if err != nil || id != "id-1" || pool != "pool-1" {
		t.Errorf("Runtime API spelling: %q %q %v", id, pool, err)
	}
	id, pool, err = parseCognito(`{"identity_id":"id-2","identity_pool_id":"pool-2"}`)
	if err != nil || id != "id-2" || pool != "pool-2" {
		t.Errorf("lambci spelling: %q %q %v", id, pool, err)
	}
	_, _, err = parseCognito(`{"cognitoIdentityId":`)
	if err == nil || !strings.HasPrefix(err.Error(), "failed to unmarshal cognito identity json: ") || typeName(err) != "errorString" {
		t.Errorf("malformed header: %v (%s)", err, typeName(err))
	}
}

func TestBuildRequest(t *testing.T) {
	inv := &invocation{
		requestID: "req-1", deadlineMs: "1700000000123", functionArn: "arn:aws:lambda:us-east-1:000000000000:function:f",
		traceID: "Root=1-abc", clientContext: `{"custom":{"k":"v"}}`, cognito: `{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}`,
		payload: []byte(`{"a":1}`),
	}
	req, err := buildRequest(inv)
	if err != nil {
		t.Fatal(err)
	}
	want := messages.InvokeRequest{
		Payload: []byte(`{"a":1}`), RequestId: "req-1", XAmznTraceId: "Root=1-abc",
		Deadline:           messages.InvokeRequest_Timestamp{Seconds: 1700000000, Nanos: 123_000_000},
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:f", CognitoIdentityId: "i", CognitoIdentityPoolId: "p",
		ClientContext: []byte(`{"custom":{"k":"v"}}`),
	}
	if got, _ := json.Marshal(req); string(got) != string(mustJSON(want)) {
		t.Errorf("request:\n got %s\nwant %s", got, mustJSON(want))
	}
	req, _ = buildRequest(&invocation{requestID: "r"})
	if req.ClientContext != nil || req.CognitoIdentityId != "" {
		t.Errorf("absent headers must stay empty: %+v", req)
	}
}

var frames = []*messages.InvokeResponse_Error_StackFrame{
	{Path: "github.com/aws/aws-lambda-go@v1.55.1/lambda/errors.go", Line: 39, Label: "lambdaPanicResponse"},
	{Path: "go-handlers/probes/panic.go", Line: 12, Label: "panicProbe"},
}

func TestFunctionErrorBody(t *testing.T) {
	cases := []struct {
		name   string
		in     messages.InvokeResponse_Error
		lambci bool
		want   string
	}{
		{"returned error", messages.InvokeResponse_Error{Message: "probe: plain error", Type: "errorString"}, false,
			`{"errorMessage":"probe: plain error","errorType":"errorString"}`},
		{"panic, frames as objects", messages.InvokeResponse_Error{Message: "boom", Type: "string", StackTrace: frames, ShouldExit: true}, false,
			`{"errorMessage":"boom","errorType":"string","stackTrace":[{"path":"github.com/aws/aws-lambda-go@v1.55.1/lambda/errors.go","line":39,"label":"lambdaPanicResponse"},{"path":"go-handlers/probes/panic.go","line":12,"label":"panicProbe"}]}`},
		{"empty type kept", messages.InvokeResponse_Error{Message: "m"}, false, `{"errorMessage":"m","errorType":""}`},
		{"lambci: frames as strings", messages.InvokeResponse_Error{Message: "boom", Type: "string", StackTrace: frames}, true,
			`{"errorMessage":"boom","errorType":"string","stackTrace":["github.com/aws/aws-lambda-go@v1.55.1/lambda/errors.go:39 lambdaPanicResponse","go-handlers/probes/panic.go:12 panicProbe"]}`},
		{"lambci: empty type left out", messages.InvokeResponse_Error{Message: "m"}, true, `{"errorMessage":"m"}`},
	}
	for _, c := range cases {
		if got := string(functionErrorBody(&c.in, c.lambci)); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestCrashBody(t *testing.T) {
	if got, want := string(crashBody("id-9", errors.New("unexpected EOF"), false)), `{"errorMessage":"RequestId: id-9 Process exited before completing request"}`; got != want {
		t.Errorf("default: got %s, want %s", got, want)
	}
	if got, want := string(crashBody("id-9", errors.New("unexpected EOF"), true)), `{"errorMessage":"RequestId: id-9 Error: unexpected EOF","errorType":"exitError"}`; got != want {
		t.Errorf("lambci: got %s, want %s", got, want)
	}
}

func TestHostErrorBodyForAMissingBinary(t *testing.T) {
	err := exec.Command("/nonexistent-task-root/main").Start()
	if err == nil {
		t.Fatal("starting a missing binary succeeded")
	}
	want := `{"errorMessage":"fork/exec /nonexistent-task-root/main: no such file or directory","errorType":"PathError"}`
	if got := string(hostErrorBody(err, false)); got != want {
		t.Errorf("got %s, want %s (aws/aws-lambda-go#333)", got, want)
	}
}

func TestErrorLogLines(t *testing.T) {
	if got, want := errorLogLines("fork/exec /var/task/bin/ping: no such file or directory", "PathError", nil),
		"fork/exec /var/task/bin/ping: no such file or directory: PathError\nnull"; got != want {
		t.Errorf("got %q, want %q (serverless/serverless#4710)", got, want)
	}
	got := errorLogLines("boom", "string", frames[:1])
	if want := `boom: string` + "\n" + `[{"path":"github.com/aws/aws-lambda-go@v1.55.1/lambda/errors.go","line":39,"label":"lambdaPanicResponse"}]`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTypeName(t *testing.T) {
	type named struct{}
	cases := map[string]any{"errorString": errors.New("x"), "named": named{}, "": nil}
	cases["named "] = &named{}
	for want, v := range cases {
		if got := typeName(v); got != strings.TrimSpace(want) {
			t.Errorf("typeName(%T) = %q, want %q", v, got, want)
		}
	}
}

func TestChildEnv(t *testing.T) {
	host := []string{
		"PATH=/usr/bin", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001", "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=SECRET",
		"AWS_SESSION_TOKEN=TOKEN", "_LAMBDA_SERVER_PORT=1", "_HANDLER=main",
	}
	env := childEnv(host, "40000", config{})
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := m[k]; dup {
			t.Errorf("%s appears twice", k)
		}
		m[k] = v
	}
	want := map[string]string{
		"_LAMBDA_SERVER_PORT": "40000", "AWS_ACCESS_KEY": "AKID", "AWS_SECRET_KEY": "SECRET", "AWS_SECURITY_TOKEN": "TOKEN",
		"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_ACCESS_KEY_ID": "AKID", "_HANDLER": "main", "PATH": "/usr/bin",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	if _, ok := m["AWS_EXECUTION_ENV"]; ok {
		t.Error("AWS_EXECUTION_ENV set by default")
	}
	env = childEnv(host, "40000", config{hideRuntimeAPI: true, executionEnv: true})
	joined := strings.Join(env, "\n")
	if strings.Contains(joined, "AWS_LAMBDA_RUNTIME_API=") || !strings.Contains(joined, "AWS_EXECUTION_ENV=AWS_Lambda_go1.x") {
		t.Errorf("toggles not applied:\n%s", joined)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"LAMBDA_TASK_ROOT": "/var/task", "_HANDLER": "main", envExitOnShouldExit: "1", envLambciErrors: "true", envHideRuntimeAPI: "no"}
	cfg := configFromEnv(func(k string) string { return env[k] })
	if cfg.handlerPath != "/var/task/main" || !cfg.exitOnShouldExit || !cfg.lambciErrors || cfg.hideRuntimeAPI || cfg.ownProcessGroup {
		t.Errorf("config: %+v", cfg)
	}
	if cfg := configFromEnv(func(string) string { return "" }); cfg.handlerPath != "/var/task/main" {
		t.Errorf("defaults: %+v", cfg)
	}
}
