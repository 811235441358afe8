package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// deadlineFromHeader turns Lambda-Runtime-Deadline-Ms (unix milliseconds) into the RPC timestamp
// {Seconds, Nanos} that aws-lambda-go's Function.Invoke reads with time.Unix(Seconds, Nanos).
// A missing or malformed header gives the zero timestamp, as in lambci's mock (it ignores the parse error);
// the user code then sees an already expired context (aws-lambda-go#361, #564).
func deadlineFromHeader(v string) messages.InvokeRequest_Timestamp {
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return messages.InvokeRequest_Timestamp{}
	}
	return messages.InvokeRequest_Timestamp{Seconds: ms / 1000, Nanos: (ms % 1000) * int64(time.Millisecond)}
}

// cognitoIdentity reads the Lambda-Runtime-Cognito-Identity header. The Runtime API sends
// {"cognitoIdentityId","cognitoIdentityPoolId"} (lambda-behavior.md §1.2); lambci's go1.x mock read
// {"identity_id","identity_pool_id"}. Both spellings are accepted.
type cognitoIdentity struct {
	CognitoIdentityID     string `json:"cognitoIdentityId"`
	CognitoIdentityPoolID string `json:"cognitoIdentityPoolId"`
	IdentityID            string `json:"identity_id"`
	IdentityPoolID        string `json:"identity_pool_id"`
}

func parseCognito(header string) (id, pool string, err error) {
	var c cognitoIdentity
	if err := json.Unmarshal([]byte(header), &c); err != nil {
		// aws-lambda-go's own wording for the same failure (lambda/invoke_loop.go).
		return "", "", fmt.Errorf("failed to unmarshal cognito identity json: %v", err)
	}
	id, pool = c.CognitoIdentityID, c.CognitoIdentityPoolID
	if id == "" {
		id = c.IdentityID
	}
	if pool == "" {
		pool = c.IdentityPoolID
	}
	return id, pool, nil
}

// buildRequest fills the RPC request from one Runtime API event (go-shims.md §2.2 item 3).
func buildRequest(inv *invocation) (*messages.InvokeRequest, error) {
	req := &messages.InvokeRequest{
		Payload:            inv.payload,
		RequestId:          inv.requestID,
		XAmznTraceId:       inv.traceID,
		Deadline:           deadlineFromHeader(inv.deadlineMs),
		InvokedFunctionArn: inv.functionArn,
	}
	if inv.clientContext != "" {
		// Raw JSON bytes; aws-lambda-go decodes them into lambdacontext.ClientContext.
		req.ClientContext = []byte(inv.clientContext)
	}
	if inv.cognito != "" {
		id, pool, err := parseCognito(inv.cognito)
		if err != nil {
			return nil, err
		}
		req.CognitoIdentityId, req.CognitoIdentityPoolId = id, pool
	}
	return req, nil
}

// typeName is a value's dynamic type name with one pointer level removed: the errorType rule shared by
// aws-lambda-go (lambda/errors.go) and lambci's mock.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// awsError is the body AWS's go1.x returned for a function error: aws-lambda-go's own error JSON, stack frames
// as {"path","line","label"} objects, no stackTrace key when there are none (lambda/messages).
type awsError struct {
	Message    string                                      `json:"errorMessage"`
	Type       string                                      `json:"errorType"`
	StackTrace []*messages.InvokeResponse_Error_StackFrame `json:"stackTrace,omitempty"`
}

// lambciError is the body lambci's go1.x mock posted: frames rendered as "path:line label" strings, errorType
// left out when empty (go1.x/run/aws-lambda-mock.go, lambdaError and convertInvokeResponseError).
type lambciError struct {
	Message    string   `json:"errorMessage"`
	Type       string   `json:"errorType,omitempty"`
	StackTrace []string `json:"stackTrace,omitempty"`
}

// crashError is the legacy runtimes' answer when the process exits mid-invoke: a message and nothing else.
type crashError struct {
	Message string `json:"errorMessage"`
}

func frameStrings(frames []*messages.InvokeResponse_Error_StackFrame) []string {
	var out []string
	for _, f := range frames {
		if f != nil {
			out = append(out, fmt.Sprintf("%s:%d %s", f.Path, f.Line, f.Label))
		}
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only strings, numbers and slices of them: cannot fail.
		panic(err)
	}
	return b
}

// functionErrorBody is the /error body for an error the user process reported in its reply.
func functionErrorBody(e *messages.InvokeResponse_Error, lambci bool) []byte {
	if lambci {
		return mustJSON(lambciError{Message: e.Message, Type: e.Type, StackTrace: frameStrings(e.StackTrace)})
	}
	return mustJSON(awsError{Message: e.Message, Type: e.Type, StackTrace: e.StackTrace})
}

// hostErrorBody is the /error body for a Go error of the host's own (the user binary cannot be started, a bad
// Cognito header): message and type name, as go1.x reported a missing handler binary
// ({"errorMessage":"fork/exec /var/task/main: no such file or directory","errorType":"PathError"},
// aws/aws-lambda-go#333, serverless/serverless#4710).
func hostErrorBody(err error, lambci bool) []byte {
	if lambci {
		return mustJSON(lambciError{Message: err.Error(), Type: typeName(err)})
	}
	return mustJSON(awsError{Message: err.Error(), Type: typeName(err)})
}

// crashMessage is what go1.x answered when the user process died before replying: the legacy runtimes' wording
// (go-shims.md §2.2 item 4).
func crashMessage(requestID string) string {
	return "RequestId: " + requestID + " Process exited before completing request"
}

// crashBody is the /error body for a user process that died before replying. lambci's mock meant to produce
// the message above, but its toLambdaError tests the type name of its own wrapper, so it actually posts
// errorType "exitError" and "RequestId: <id> Error: <rpc error>" (go-shims.md §2.2 item 4).
func crashBody(requestID string, rpcErr error, lambci bool) []byte {
	if lambci {
		return mustJSON(lambciError{Message: "RequestId: " + requestID + " Error: " + rpcErr.Error(), Type: "exitError"})
	}
	return mustJSON(crashError{Message: crashMessage(requestID)})
}

// errorLogLines is how go1.x wrote a function error into the function log: "<errorMessage>: <errorType>",
// then the stack trace as JSON, or null (serverless/serverless#4710 shows
// "fork/exec /var/task/bin/ping: no such file or directory: PathError" then "null" between START and END;
// aws/aws-xray-sdk-go#153 shows the frames as {"path","line","label"} objects).
func errorLogLines(message, errType string, frames []*messages.InvokeResponse_Error_StackFrame) string {
	stack := []byte("null")
	if len(frames) > 0 {
		stack = mustJSON(frames)
	}
	return message + ": " + errType + "\n" + string(stack)
}
