package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
)

// Runtime API headers on the GET /next response (lambda-behavior.md §1.2).
const (
	headerRequestID       = "Lambda-Runtime-Aws-Request-Id"
	headerDeadlineMs      = "Lambda-Runtime-Deadline-Ms"
	headerFunctionArn     = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID         = "Lambda-Runtime-Trace-Id"
	headerClientContext   = "Lambda-Runtime-Client-Context"
	headerCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
)

// invocation is one event as the Runtime API hands it out.
type invocation struct {
	requestID     string
	deadlineMs    string
	functionArn   string
	traceID       string
	clientContext string
	cognito       string
	payload       []byte
}

// runtimeAPI is a minimal client of the Lambda Runtime API (lambda-behavior.md §1.1). Like aws-lambda-go's,
// its HTTP client has no timeout: GET /next is a long poll that may span a freeze.
type runtimeAPI struct {
	base      string
	client    *http.Client
	userAgent string
}

// statusError is a Runtime API answer other than the one the call expects.
type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: unexpected status %d: %s", e.method, e.path, e.status, e.body)
}

func newRuntimeAPI(address string) *runtimeAPI {
	return &runtimeAPI{
		base:      "http://" + address + "/2018-06-01/runtime/",
		client:    &http.Client{},
		userAgent: "go1x-rpc-host/" + runtime.Version(),
	}
}

// next blocks until the platform hands out the next event.
func (a *runtimeAPI) next() (*invocation, error) {
	req, err := http.NewRequest(http.MethodGet, a.base+"invocation/next", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", a.userAgent)
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the event: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &statusError{"GET", "invocation/next", resp.StatusCode, string(body)}
	}
	h := resp.Header
	return &invocation{
		requestID:     h.Get(headerRequestID),
		deadlineMs:    h.Get(headerDeadlineMs),
		functionArn:   h.Get(headerFunctionArn),
		traceID:       h.Get(headerTraceID),
		clientContext: h.Get(headerClientContext),
		cognito:       h.Get(headerCognitoIdentity),
		payload:       body,
	}, nil
}

func (a *runtimeAPI) respond(requestID string, payload []byte) error {
	return a.post("invocation/"+url.PathEscape(requestID)+"/response", payload, "")
}

func (a *runtimeAPI) fail(requestID string, body []byte) error {
	return a.post("invocation/"+url.PathEscape(requestID)+"/error", body, "application/json")
}

func (a *runtimeAPI) post(path string, body []byte, contentType string) error {
	req, err := http.NewRequest(http.MethodPost, a.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", a.userAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64*1024))
	if resp.StatusCode != http.StatusAccepted {
		return &statusError{"POST", path, resp.StatusCode, string(answer)}
	}
	return nil
}
