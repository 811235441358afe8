package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// post sends one proxied event to the handler, as index.js does.
func post(t *testing.T, path, body string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	newHandler().ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.String()
}

const ctxJSON = `{"awsRequestId":"r-1","invokeid":"r-1","logGroupName":"/aws/lambda/f","logStreamName":"s","functionName":"f","memoryLimitInMB":"128","functionVersion":"$LATEST","invokedFunctionArn":"arn:aws:lambda:us-east-1:000000000000:function:f"}`

func TestSuccessIsExactlyApplicationJSON(t *testing.T) {
	code, h, body := post(t, "/echo", `{"event":{"a": 1},"context":`+ctxJSON+`}`)
	if code != 200 || h.Get("Content-Type") != "application/json" || body != `{"a": 1}` {
		t.Fatalf("got %d %q %q", code, h.Get("Content-Type"), body)
	}
}

func TestDispatchPath(t *testing.T) {
	code, _, body := post(t, "/dispatch", `{"event":{"probe":"echo","args":[1,2]},"context":{}}`)
	if code != 200 || body != `[1,2]` {
		t.Fatalf("got %d %q", code, body)
	}
}

func TestPanicIs400WithGoSyntaxAndNoTrace(t *testing.T) {
	cases := map[string]string{
		"string":    `Lambda handler panic: &errors.errorString{s:"probe: panic string"}` + "\n",
		"error":     `Lambda handler panic: &errors.errorString{s:"probe: panic error"}` + "\n",
		"custom":    `Lambda handler panic: &errors.errorString{s:"{42}"}` + "\n",
		"int":       `Lambda handler panic: &errors.errorString{s:"42"}` + "\n",
		"nil-deref": `Lambda handler panic: "invalid memory address or nil pointer dereference"` + "\n",
	}
	for value, want := range cases {
		code, h, body := post(t, "/dispatch", `{"event":{"probe":"panic","args":{"value":"`+value+`"}},"context":{}}`)
		if code != http.StatusBadRequest || body != want {
			t.Errorf("%s: got %d %q, want 400 %q", value, code, body, want)
		}
		if !strings.HasPrefix(h.Get("Content-Type"), "text/plain") || strings.Contains(body, "goroutine") {
			t.Errorf("%s: content type %q, body %q", value, h.Get("Content-Type"), body)
		}
	}
}

func TestErrorIs500WithErrorText(t *testing.T) {
	code, _, body := post(t, "/error", `{"event":{"kind":"wrapped"},"context":{}}`)
	if code != http.StatusInternalServerError || body != "probe: wrapped: probe: inner\n" {
		t.Fatalf("got %d %q", code, body)
	}
}

func TestBadRequests(t *testing.T) {
	if code, _, body := post(t, "/echo", `not json`); code != 400 || !strings.HasPrefix(body, "Failed to decode proxy request: ") {
		t.Errorf("undecodable: %d %q", code, body)
	}
	if code, _, body := post(t, "/nope", `{"event":{},"context":{}}`); code != 400 || body != "Unsupported path: nope\n" {
		t.Errorf("unknown path: %d %q", code, body)
	}
}

func TestNoDeadlineNoLambdaContext(t *testing.T) {
	_, _, body := post(t, "/deadline", `{"event":{},"context":`+ctxJSON+`}`)
	if !strings.Contains(body, `"hasDeadline":false`) {
		t.Errorf("deadline: %s", body)
	}
	_, _, body = post(t, "/context", `{"event":{},"context":`+ctxJSON+`}`)
	if !strings.HasPrefix(body, `{"lambdaContext":null,"traceIdFromContext":""`) {
		t.Errorf("context: %.200s", body)
	}
}

// The default order binds the socket before signalling, so a client that connects the moment the signal
// arrives is never refused.
func TestSignalAfterListen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	ready := make(chan os.Signal, 1)
	signal.Notify(ready, syscall.SIGUSR2)
	defer signal.Stop(ready)
	go func() { _ = execute(port, os.Getpid(), false) }()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("no SIGUSR2")
	}
	resp, err := http.Post("http://127.0.0.1:"+strconv.Itoa(port)+"/echo", "application/json", strings.NewReader(`{"event":"x","context":{}}`))
	if err != nil {
		t.Fatalf("request right after the signal: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `"x"` {
		t.Fatalf("got %q", b)
	}
}
