package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
)

// ctxJSON is a context as handler.py sends it (eawsy's field names).
const ctxJSON = `{"function_name":"fn","function_version":"$LATEST","invoked_function_arn":"arn:aws:lambda:us-east-1:000000000000:function:fn",` +
	`"aws_request_id":"req-1","log_group_name":"/aws/lambda/fn","log_stream_name":"s","memory_limit_in_mb":"256",` +
	`"identity":{"cognito_identity_id":"id-1","cognito_identity_pool_id":"pool-1"},` +
	`"client_context":{"client":{"installation_id":"inst","app_title":"t","app_version_name":null,"app_version_code":"7","app_package_name":"p"},` +
	`"custom":{"marker":"m"},"env":{"locale":"en"}},"remaining_time_in_millis":2999}`

func init() { probe = "dispatch" }

func TestHandleReturnsCompactJSON(t *testing.T) {
	// Python's json.dumps puts spaces after separators; the result is encoded as
	// a json.RawMessage would have been by eawsy's json.Marshal: compacted.
	out, err := handle([]byte(`{"probe": "echo", "args": {"a": [1, 2], "s": "<&>"}}`), []byte(ctxJSON), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `{"a":[1,2],"s":"\u003c\u0026\u003e"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestHandleRejectsResultsThatAreNotJSON(t *testing.T) {
	old := probe
	probe = "echo"
	defer func() { probe = old }()
	_, err := handle([]byte(`not json`), []byte(ctxJSON), []byte(`{}`))
	if err == nil || errorType(err) != "MarshalerError" {
		t.Fatalf("got %v (%s), want a MarshalerError", err, errorType(err))
	}
}

func TestErrorTypeNames(t *testing.T) {
	// The names aws-lambda-go gives the probes' errors (go-handlers README).
	want := map[string]string{"new": "errorString", "custom": "ProbeError", "pointer": "ProbePointerError", "wrapped": "wrapError"}
	for kind, typ := range want {
		_, err := handle([]byte(fmt.Sprintf(`{"probe": "error", "args": {"kind": %q}}`, kind)), []byte(ctxJSON), []byte(`{}`))
		if err == nil {
			t.Fatalf("%s: no error", kind)
		}
		var p struct{ ErrorMessage, ErrorType string }
		if e := json.Unmarshal(errorPayload(err), &p); e != nil {
			t.Fatal(e)
		}
		if p.ErrorType != typ || p.ErrorMessage != err.Error() {
			t.Errorf("%s: payload %+v, want errorType %s", kind, p, typ)
		}
	}
	type wrapped struct{ error }
	if got := errorType(&wrapped{errors.New("x")}); got != "wrapped" {
		t.Errorf("*wrapped: got %q, want the pointer removed", got)
	}
}

func TestContextMapsToLambdacontextWithoutDeadline(t *testing.T) {
	out, err := handle([]byte(`{"probe": "context"}`), []byte(ctxJSON), []byte(`{"_X_AMZN_TRACE_ID": "Root=1-test"}`))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		LambdaContext struct {
			AwsRequestID       string `json:"awsRequestId"`
			InvokedFunctionArn string `json:"invokedFunctionArn"`
			Identity           struct {
				CognitoIdentityID string `json:"cognitoIdentityId"`
			} `json:"identity"`
			ClientContext struct {
				Client struct {
					InstallationID string `json:"installationId"`
				} `json:"client"`
				Custom map[string]string `json:"custom"`
			} `json:"clientContext"`
		} `json:"lambdaContext"`
		TraceIDFromContext string            `json:"traceIdFromContext"`
		Env                map[string]string `json:"env"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	lc := r.LambdaContext
	if lc.AwsRequestID != "req-1" || lc.InvokedFunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:fn" ||
		lc.Identity.CognitoIdentityID != "id-1" || lc.ClientContext.Client.InstallationID != "inst" || lc.ClientContext.Custom["marker"] != "m" {
		t.Errorf("lambdacontext: %+v", lc)
	}
	// eawsy: the trace id reaches Go as a variable only (cb82716), never as a context value.
	if r.TraceIDFromContext != "" || r.Env["_X_AMZN_TRACE_ID"] != "Root=1-test" {
		t.Errorf("trace id: context %q, env %q", r.TraceIDFromContext, r.Env["_X_AMZN_TRACE_ID"])
	}
	os.Unsetenv("_X_AMZN_TRACE_ID")

	out, err = handle([]byte(`{"probe": "deadline"}`), []byte(ctxJSON), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ HasDeadline bool }
	if err := json.Unmarshal(out, &d); err != nil || d.HasDeadline {
		t.Errorf("deadline: %s (%v); eawsy gave Go no deadline", out, err)
	}
}

func TestBadContextIsAnError(t *testing.T) {
	_, err := handle([]byte(`{"probe": "state"}`), []byte(`{"memory_limit_in_mb": 256}`), []byte(`{}`))
	if err == nil {
		t.Fatal("a non-string memory_limit_in_mb decoded without error")
	}
}
