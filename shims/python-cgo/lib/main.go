// Command lib is the Go half of the python-cgo shim: the kit's probes built
// with -buildmode=c-shared into libprobe.so, which handler.py loads into the
// Python Lambda runtime with ctypes. It reproduces the design of eawsy's
// aws-lambda-go-shim (src/runtime.go, src/runtime.c @ 9269817, 2018-01):
//
//   - Open runs once, at import of the Python module, like eawsy's open(),
//     which plugin.Open'ed the user's code and so ran its init functions;
//   - Handle runs one invoke: the event, the Lambda context and a few
//     environment variables cross as JSON, the result goes back as JSON, and a
//     Go error goes back as {"errorMessage","errorType"} for Python to raise as
//     an exception class named after the Go type (eawsy errorf);
//   - panics are not recovered (eawsy never did): the Go runtime prints the
//     panic and exits the whole Python process with status 2;
//   - the Go log package writes through a callback into the Python context's
//     log method, with eawsy's flags; before the first invoke there is no
//     callback and log lines are dropped.
//
// See ../README.md for every choice, its source and the departures.
package main

/*
#include <stdlib.h>
#include "logbridge.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"reflect"
	"sync"
	"unsafe"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/go-lambda-conformance/go-handlers/probes"
)

// probe is the PROBE the functions of this process run, checked by Open.
var probe string

// callbackMu serialises calls into Python, as eawsy's lock did around
// runtime_log and runtime_rtm (src/runtime.go).
var callbackMu sync.Mutex

// pyLog is the log package's output: each record is handed to the log
// callback of the most recent Handle call (the Python context's log method).
type pyLog struct{}

func (pyLog) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	callbackMu.Lock()
	defer callbackMu.Unlock()
	// p holds no Go pointers and C does not keep it: allowed by cgo's rules.
	C.pcgo_log((*C.char)(unsafe.Pointer(&p[0])), C.int(len(p)))
	return len(p), nil
}

func init() {
	// eawsy src/runtime.go init(): date, time with microseconds, in UTC,
	// written through the Python callback instead of stderr.
	log.SetFlags(log.Ldate | log.Ltime | log.Lmicroseconds | log.LUTC)
	log.SetOutput(pyLog{})
}

// populate sets the variables Python passes with every call. Go copies the
// process environment when the library loads, so changes Python makes later
// (fresh credentials, the X-Ray trace id of each invoke) are invisible to
// os.Getenv unless re-injected (eawsy populate(), commits 81ecb52, cb82716).
func populate(raw []byte) error {
	env := make(map[string]string)
	if err := json.Unmarshal(raw, &env); err != nil {
		return err
	}
	for k, v := range env {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}

// cstring returns a malloc'd copy of s for Python to Free.
func cstring(s string) *C.char { return C.CString(s) }

// Open runs the init phase: the environment from Python, PROBE_INIT's hooks
// and the PROBE check. It returns NULL, or a malloc'd message that Python
// raises as ImportError (eawsy runtime.c runtime_open). A hook that exits or
// panics ends the Python process here, during the import of the handler.
//
//export Open
func Open(cenv *C.char, cenvLen C.int) *C.char {
	if err := populate(C.GoBytes(unsafe.Pointer(cenv), cenvLen)); err != nil {
		return cstring(err.Error())
	}
	if err := probes.RunInitHooks(); err != nil {
		return cstring(err.Error())
	}
	name := os.Getenv("PROBE")
	if _, err := probes.NewRawHandler(name); err != nil {
		return cstring(err.Error())
	}
	probe = name
	return nil
}

// lambdaContext is the Python context as JSON, with the field names of
// eawsy's runtime.Context (eawsy/aws-lambda-go-core
// service/lambda/runtime/context.go @ e26eed6).
type lambdaContext struct {
	FunctionName       string `json:"function_name"`
	FunctionVersion    string `json:"function_version"`
	InvokedFunctionARN string `json:"invoked_function_arn"`
	MemoryLimitInMB    int    `json:"memory_limit_in_mb,string"`
	AWSRequestID       string `json:"aws_request_id"`
	LogGroupName       string `json:"log_group_name"`
	LogStreamName      string `json:"log_stream_name"`
	Identity           *struct {
		IdentityID     string `json:"cognito_identity_id"`
		IdentityPoolID string `json:"cognito_identity_pool_id"`
	} `json:"identity,omitempty"`
	ClientContext *struct {
		Client *struct {
			InstallationID string `json:"installation_id"`
			AppTitle       string `json:"app_title"`
			AppVersionName string `json:"app_version_name"`
			AppVersionCode string `json:"app_version_code"`
			AppPackageName string `json:"app_package_name"`
		} `json:"client,omitempty"`
		Custom      map[string]string `json:"custom"`
		Environment map[string]string `json:"env"`
	} `json:"client_context,omitempty"`
	// RemainingTimeInMillis is the remaining time when Python made the call.
	// eawsy offered only this (as a callback into
	// context.get_remaining_time_in_millis); the Go context gets no deadline.
	RemainingTimeInMillis int64 `json:"remaining_time_in_millis"`
}

// goContext is what the probes receive: no deadline, no cancellation, no
// trace id value; lambdacontext filled from eawsy's context fields.
func (c *lambdaContext) goContext() context.Context {
	lc := &lambdacontext.LambdaContext{
		AwsRequestID:       c.AWSRequestID,
		InvokedFunctionArn: c.InvokedFunctionARN,
	}
	if c.Identity != nil {
		lc.Identity.CognitoIdentityID = c.Identity.IdentityID
		lc.Identity.CognitoIdentityPoolID = c.Identity.IdentityPoolID
	}
	if cc := c.ClientContext; cc != nil {
		if cl := cc.Client; cl != nil {
			lc.ClientContext.Client.InstallationID = cl.InstallationID
			lc.ClientContext.Client.AppTitle = cl.AppTitle
			lc.ClientContext.Client.AppVersionCode = cl.AppVersionCode
			lc.ClientContext.Client.AppPackageName = cl.AppPackageName
		}
		lc.ClientContext.Custom = cc.Custom
		lc.ClientContext.Env = cc.Environment
	}
	return lambdacontext.NewContext(context.Background(), lc)
}

// handle is eawsy's handle() for a probe: populate the environment, decode
// the context, call the probe, JSON-encode its result. The probes return raw
// JSON bytes; they are encoded as a json.RawMessage result would have been by
// eawsy's json.Marshal(res[0].Interface()): compacted, HTML-escaped, and an
// encoding error (bytes that are not JSON) if they are not valid JSON.
func handle(event, rawCtx, rawEnv []byte) ([]byte, error) {
	if err := populate(rawEnv); err != nil {
		return nil, err
	}
	var lc lambdaContext
	if err := json.Unmarshal(rawCtx, &lc); err != nil {
		return nil, err
	}
	out, err := probes.Invoke(lc.goContext(), probe, event)
	if err != nil {
		return nil, err
	}
	return json.Marshal(json.RawMessage(out))
}

// errorType names an error after its dynamic type with every pointer level
// removed (eawsy errorf; aws-lambda-go removes one level, the same for every
// error type the probes return).
func errorType(err error) string {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// errorPayload is a Go error as Python needs it to raise the exception.
// Marshalling two strings cannot fail (invalid UTF-8 is replaced).
func errorPayload(err error) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{err.Error(), errorType(err)})
	return b
}

// Handle runs one invoke. Every input is read by length and copied into Go
// memory first (C.GoBytes), so neither a NUL byte nor Python reusing its
// buffers can affect it. It returns a malloc'd buffer of *resultLen bytes:
// the JSON result, or with *isError = 1 the error payload. logFn becomes the
// Go log package's output until the next call (eawsy kept the last ctx.log
// the same way). Panics are not recovered.
//
//export Handle
func Handle(cevt *C.char, cevtLen C.int, cctx *C.char, cctxLen C.int, cenv *C.char, cenvLen C.int,
	logFn C.pcgo_log_fn, resultLen *C.int, isError *C.int) *C.char {
	callbackMu.Lock()
	C.pcgo_set_log(logFn)
	callbackMu.Unlock()
	out, err := handle(
		C.GoBytes(unsafe.Pointer(cevt), cevtLen),
		C.GoBytes(unsafe.Pointer(cctx), cctxLen),
		C.GoBytes(unsafe.Pointer(cenv), cenvLen),
	)
	*isError = 0
	if err != nil {
		out = errorPayload(err)
		*isError = 1
	}
	*resultLen = C.int(len(out))
	return (*C.char)(C.CBytes(out))
}

// Free releases a buffer returned by Open or Handle.
//
//export Free
func Free(p unsafe.Pointer) {
	C.free(p)
}

// main is required by -buildmode=c-shared and never runs.
func main() {}
