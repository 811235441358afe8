package probes

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func TestNames(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names() not sorted: %v", names)
	}
	if slices.Contains(names, DispatchProbe) {
		t.Errorf("Names() contains %q", DispatchProbe)
	}
	if len(names) != 17 {
		t.Errorf("got %d probes, want 17: %v", len(names), names)
	}
}

func TestNewRawHandler(t *testing.T) {
	for _, name := range append(Names(), DispatchProbe) {
		if _, err := NewRawHandler(name); err != nil {
			t.Errorf("NewRawHandler(%q): %v", name, err)
		}
	}
	for _, name := range []string{"", "bogus", "Echo"} {
		_, err := NewRawHandler(name)
		if err == nil {
			t.Fatalf("NewRawHandler(%q) succeeded", name)
		}
		want := `probe: unknown PROBE "` + name + `"; known: alloc, background, batch, bytes, context, deadline, echo, error, event-shape, exit, goroutine-panic, log, panic, sleep, spin, state, timestamps, dispatch`
		if err.Error() != want {
			t.Errorf("NewRawHandler(%q) error\n got: %s\nwant: %s", name, err, want)
		}
	}
}

func TestParseDispatch(t *testing.T) {
	tests := []struct {
		payload, probe, args string
	}{
		{`{"probe":"echo","args":{"a":1}}`, "echo", `{"a":1}`},
		{`{"probe":"echo"}`, "echo", `{}`},
		{`{"probe":"echo","args":null}`, "echo", `null`},
		// The exact source bytes of args survive: inner whitespace, escapes,
		// number spelling, key order and duplicates.
		{`{"args":  { "b" : 1.50e1 , "a":"\u00e9\/" ,"a":2 }  ,"probe":"echo"}`, "echo", `{ "b" : 1.50e1 , "a":"\u00e9\/" ,"a":2 }`},
		{`{"probe":"sleep","args":[1,2]}`, "sleep", `[1,2]`},
		{`{"probe":"x","args":"str"}`, "x", `"str"`},
		{`{"args":{}}`, "", `{}`},
		{` {"probe":"echo","args":12345678901234567890123} `, "echo", `12345678901234567890123`},
	}
	for _, tt := range tests {
		probe, args, err := parseDispatch([]byte(tt.payload))
		if err != nil {
			t.Errorf("parseDispatch(%s): %v", tt.payload, err)
			continue
		}
		if probe != tt.probe || string(args) != tt.args {
			t.Errorf("parseDispatch(%s) = %q, %s; want %q, %s", tt.payload, probe, args, tt.probe, tt.args)
		}
	}
	for _, bad := range []string{``, `not json`, `[1]`, `{"probe":1}`, `{"probe":"echo"`} {
		if _, _, err := parseDispatch([]byte(bad)); err == nil {
			t.Errorf("parseDispatch(%q) succeeded", bad)
		}
	}
}

func TestDispatchEchoIsByteExact(t *testing.T) {
	payload := []byte(`{"probe":"echo","args":{"x" :[1, 2.0,"\ud83d\ude00"],	"y":null}}`)
	out, err := Invoke(context.Background(), DispatchProbe, payload)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"x" :[1, 2.0,"\ud83d\ude00"],	"y":null}`; string(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
}

// The bytes a raw handler returns must come out of aws-lambda-go's handler
// wrapper unchanged: lambda.NewHandler applies the same wrapping as
// lambda.Start (newHandler → reflectHandler).
func TestEchoThroughLibraryWrapperIsByteExact(t *testing.T) {
	h, err := NewRawHandler("echo")
	if err != nil {
		t.Fatal(err)
	}
	wrapped := lambda.NewHandler(h)
	payloads := [][]byte{
		[]byte(`{"b":2,  "a":1}` + "\n"),
		[]byte(`"\u003chtml\u003e & <html>"`),
		[]byte("not json at all \x00\xff\xfe"),
		bytes.Repeat([]byte("x"), 1<<20),
		{},
	}
	for _, p := range payloads {
		out, err := wrapped.Invoke(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, p) {
			t.Errorf("echo changed %d bytes into %d bytes: %.40q", len(p), len(out), out)
		}
	}
}

func TestUnknownProbe(t *testing.T) {
	for _, tt := range []struct{ probe, payload, msg string }{
		{DispatchProbe, `{"probe":"bogus"}`, `probe: unknown probe "bogus"`},
		{DispatchProbe, `{"args":{}}`, `probe: unknown probe ""`},
		{DispatchProbe, `{"probe":"dispatch","args":{}}`, `probe: unknown probe "dispatch"`},
		{"bogus", `{}`, `probe: unknown probe "bogus"`},
	} {
		_, err := Invoke(context.Background(), tt.probe, []byte(tt.payload))
		if err == nil {
			t.Fatalf("Invoke(%q, %s) succeeded", tt.probe, tt.payload)
		}
		if err.Error() != tt.msg || lambdaErrorType(err) != "errorString" {
			t.Errorf("Invoke(%q, %s): %s (%s), want %s (errorString)", tt.probe, tt.payload, err, lambdaErrorType(err), tt.msg)
		}
	}
}

func TestDecodeArgsDefaults(t *testing.T) {
	for _, args := range []string{``, `  `, `null`, `{}`, `{"other":true}`} {
		a := struct {
			Ms float64 `json:"ms"`
		}{Ms: 100}
		if err := decodeArgs("t", []byte(args), &a); err != nil || a.Ms != 100 {
			t.Errorf("decodeArgs(%q) = %v, ms %v; want defaults", args, err, a.Ms)
		}
	}
	a := struct {
		Ms float64 `json:"ms"`
	}{}
	for _, bad := range []string{`[`, `"x"`, `{"ms":"1"}`} {
		if err := decodeArgs("t", []byte(bad), &a); err == nil || !strings.HasPrefix(err.Error(), "probe: t: invalid args: ") {
			t.Errorf("decodeArgs(%q) = %v", bad, err)
		}
	}
}

func TestInvocationCounterAndState(t *testing.T) {
	before := invocations.Load()
	out, err := Invoke(context.Background(), "state", nil)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Pid         int   `json:"pid"`
		Invocations int64 `json:"invocations"`
		InitAtUs    int64 `json:"initAtUs"`
		ColdStart   bool  `json:"coldStart"`
	}
	mustUnmarshalStrict(t, out, &st)
	if st.Invocations != before+1 || st.ColdStart != (before == 0) || st.Pid <= 0 || st.InitAtUs <= 0 {
		t.Errorf("state = %s (counter was %d)", out, before)
	}
	// A raw handler invoke counts too, and sees its own number.
	h, _ := NewRawHandler(DispatchProbe)
	out, err = h.Invoke(context.Background(), []byte(`{"probe":"timestamps"}`))
	if err != nil {
		t.Fatal(err)
	}
	var ts struct {
		ReceivedAtUs   int64 `json:"receivedAtUs"`
		SentAtUs       int64 `json:"sentAtUs"`
		Invocation     int64 `json:"invocation"`
		ProcessStartUs int64 `json:"processStartUs"`
	}
	mustUnmarshalStrict(t, out, &ts)
	if ts.Invocation != before+2 || ts.ReceivedAtUs <= 0 || ts.SentAtUs < ts.ReceivedAtUs || ts.ProcessStartUs <= 0 || ts.ProcessStartUs > ts.ReceivedAtUs {
		t.Errorf("timestamps = %s (counter was %d)", out, before)
	}
}

func TestSimpleProbes(t *testing.T) {
	tests := []struct{ probe, args, want string }{
		{"sleep", `{"ms":1}`, `{"sleptMs":1}`},
		{"sleep", `{"ms":0.5}`, `{"sleptMs":0.5}`},
		{"alloc", `{"stepMb":3,"limitMb":7,"pauseMs":0}`, `{"allocatedMb":7}`},
		{"echo", `[1, 2]`, `[1, 2]`},
	}
	for _, tt := range tests {
		out, err := Invoke(context.Background(), tt.probe, []byte(tt.args))
		if err != nil || string(out) != tt.want {
			t.Errorf("%s %s = %s, %v; want %s", tt.probe, tt.args, out, err, tt.want)
		}
	}
	for _, tt := range []struct{ probe, args string }{
		{"alloc", `{"stepMb":0}`},
		{"panic", `{"value":"bogus"}`},
		{"error", `{"kind":"bogus"}`},
		{"background", `{"action":"bogus"}`},
		{"background", `{"intervalMs":0}`},
		{"sleep", `"x"`},
	} {
		if _, err := Invoke(context.Background(), tt.probe, []byte(tt.args)); err == nil {
			t.Errorf("%s %s succeeded", tt.probe, tt.args)
		}
	}
}

func TestDeadlineProbe(t *testing.T) {
	deadline := time.Now().Add(3 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	out, err := Invoke(ctx, "deadline", nil)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		HasDeadline bool  `json:"hasDeadline"`
		DeadlineMs  int64 `json:"deadlineMs"`
		NowMs       int64 `json:"nowMs"`
		RemainingMs int64 `json:"remainingMs"`
	}
	mustUnmarshalStrict(t, out, &r)
	if !r.HasDeadline || r.DeadlineMs != deadline.UnixMilli() || r.RemainingMs <= 2000 || r.RemainingMs > 3000 {
		t.Errorf("deadline = %s", out)
	}
	out, _ = Invoke(context.Background(), "deadline", nil)
	mustUnmarshalStrict(t, out, &r)
	if r.HasDeadline || r.DeadlineMs != 0 || r.RemainingMs != 0 || r.NowMs <= 0 {
		t.Errorf("deadline without one = %s", out)
	}
}

func TestBackgroundProbe(t *testing.T) {
	type bg struct {
		Started bool  `json:"started"`
		Count   int64 `json:"count"`
		NowMs   int64 `json:"nowMs"`
	}
	var r bg
	out, err := Invoke(context.Background(), "background", []byte(`{"action":"read"}`))
	if err != nil {
		t.Fatal(err)
	}
	mustUnmarshalStrict(t, out, &r)
	if r.Started != bgStarted.Load() || (!r.Started && r.Count != 0) {
		t.Errorf("read before start = %s", out)
	}
	out, _ = Invoke(context.Background(), "background", []byte(`{"intervalMs":1}`))
	mustUnmarshalStrict(t, out, &r)
	if !r.Started {
		t.Errorf("start = %s", out)
	}
	time.Sleep(50 * time.Millisecond)
	out, _ = Invoke(context.Background(), "background", []byte(`{"action":"read"}`))
	mustUnmarshalStrict(t, out, &r)
	if !r.Started || r.Count == 0 {
		t.Errorf("read after start = %s", out)
	}
}

func TestContextProbeWithoutLambdaContext(t *testing.T) {
	t.Setenv("PROBE_TEST_VAR", "a=b")
	out, err := Invoke(context.Background(), "context", nil)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]json.RawMessage
	mustUnmarshalStrict(t, out, &r)
	if got := string(r["lambdaContext"]); got != "null" {
		t.Errorf("lambdaContext = %s, want null", got)
	}
	if got := string(r["traceIdFromContext"]); got != `""` {
		t.Errorf("traceIdFromContext = %s", got)
	}
	var env map[string]string
	mustUnmarshalStrict(t, r["env"], &env)
	if env["PROBE_TEST_VAR"] != "a=b" {
		t.Errorf("env[PROBE_TEST_VAR] = %q", env["PROBE_TEST_VAR"])
	}
	var g map[string]any
	mustUnmarshalStrict(t, r["globals"], &g)
	keys := slices.Sorted(maps.Keys(g))
	if want := []string{"functionName", "functionVersion", "logGroupName", "logStreamName", "memoryLimitInMB"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("globals keys = %v", keys)
	}
}

func mustUnmarshalStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
}
