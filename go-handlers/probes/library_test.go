//go:build !lambda.norpc

package probes

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

// These tests run the probes through aws-lambda-go's own invoke code. The
// go1.x RPC entry point, lambda.Function (only in builds without the
// lambda.norpc tag), is the library's one exported path that turns errors
// and panics into the InvokeResponse_Error the runtime API client also
// sends (same lambdaErrorResponse / lambdaPanicResponse helpers).
func rpcInvoke(t *testing.T, probe, payload string, req messages.InvokeRequest) messages.InvokeResponse {
	t.Helper()
	h, err := NewRawHandler(probe)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	req.Payload = []byte(payload)
	req.Deadline = messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())}
	var resp messages.InvokeResponse
	if err := lambda.NewFunction(h).Invoke(&req, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestLibraryErrorResponses(t *testing.T) {
	tests := []struct {
		payload, typ, msg string
		panics            bool
	}{
		{`{"probe":"error","args":{"kind":"new"}}`, "errorString", "probe: plain error", false},
		{`{"probe":"error","args":{"kind":"custom"}}`, "ProbeError", "probe: custom error 7", false},
		{`{"probe":"error","args":{"kind":"pointer"}}`, "ProbePointerError", "probe: pointer error", false},
		{`{"probe":"error","args":{"kind":"wrapped"}}`, "wrapError", "probe: wrapped: probe: inner", false},
		{`{"probe":"bogus"}`, "errorString", `probe: unknown probe "bogus"`, false},
		{`{"probe":"panic","args":{"value":"string"}}`, "string", "probe: panic string", true},
		{`{"probe":"panic","args":{"value":"error"}}`, "errorString", "probe: panic error", true},
		{`{"probe":"panic","args":{"value":"custom"}}`, "ProbePanic", "{42}", true},
		{`{"probe":"panic","args":{"value":"int"}}`, "int", "42", true},
		{`{"probe":"panic","args":{"value":"nil-deref"}}`, "errorString", "runtime error: invalid memory address or nil pointer dereference", true},
		{`{"probe":"panic","args":{"value":"index"}}`, "boundsError", "runtime error: index out of range [3] with length 3", true},
		{`{"probe":"panic","args":{"value":"type-assert"}}`, "TypeAssertionError", "interface conversion: interface {} is string, not int", true},
	}
	for _, tt := range tests {
		resp := rpcInvoke(t, DispatchProbe, tt.payload, messages.InvokeRequest{})
		e := resp.Error
		if e == nil {
			t.Errorf("%s: no error, payload %s", tt.payload, resp.Payload)
			continue
		}
		if e.Type != tt.typ || e.Message != tt.msg || e.ShouldExit != tt.panics || (len(e.StackTrace) > 0) != tt.panics {
			t.Errorf("%s: got %s %q exit=%v frames=%d; want %s %q exit=%v", tt.payload, e.Type, e.Message, e.ShouldExit, len(e.StackTrace), tt.typ, tt.msg, tt.panics)
		}
	}
}

func TestLibraryContext(t *testing.T) {
	resp := rpcInvoke(t, "context", `{}`, messages.InvokeRequest{
		RequestId:             "req-1",
		InvokedFunctionArn:    "arn:aws:lambda:us-east-1:000000000000:function:f",
		XAmznTraceId:          "Root=1-00000000-000000000000000000000000",
		CognitoIdentityId:     "cid",
		CognitoIdentityPoolId: "pool",
		ClientContext:         []byte(`{"Client":{"installation_id":"i","app_title":"t","app_version_code":"v","app_package_name":"p"},"env":{"e":"1"},"custom":{"c":"2"}}`),
	})
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	var r struct {
		LambdaContext      json.RawMessage `json:"lambdaContext"`
		TraceIDFromContext string          `json:"traceIdFromContext"`
	}
	if err := json.Unmarshal(resp.Payload, &r); err != nil {
		t.Fatal(err)
	}
	want := `{"awsRequestId":"req-1","invokedFunctionArn":"arn:aws:lambda:us-east-1:000000000000:function:f",` +
		`"identity":{"cognitoIdentityId":"cid","cognitoIdentityPoolId":"pool"},` +
		`"clientContext":{"client":{"installationId":"i","appTitle":"t","appVersionCode":"v","appPackageName":"p"},"env":{"e":"1"},"custom":{"c":"2"}}}`
	if string(r.LambdaContext) != want {
		t.Errorf("lambdaContext\n got: %s\nwant: %s", r.LambdaContext, want)
	}
	if r.TraceIDFromContext != "Root=1-00000000-000000000000000000000000" {
		t.Errorf("traceIdFromContext = %q", r.TraceIDFromContext)
	}
}
