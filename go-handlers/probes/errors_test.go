package probes

import (
	"context"
	"fmt"
	"reflect"
	"testing"
)

// lambdaErrorType mirrors how aws-lambda-go names an error or panic value
// (lambda/errors.go, getErrorType and lambdaErrorResponse, both unexported):
// the name of the dynamic type, dereferenced once if it is a pointer.
func lambdaErrorType(v any) string {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

func TestErrorProbeTypes(t *testing.T) {
	tests := []struct{ kind, typ, msg string }{
		{"new", "errorString", "probe: plain error"},
		{"custom", "ProbeError", "probe: custom error 7"},
		{"pointer", "ProbePointerError", "probe: pointer error"},
		{"wrapped", "wrapError", "probe: wrapped: probe: inner"},
	}
	for _, tt := range tests {
		out, err := Invoke(context.Background(), "error", []byte(`{"kind":"`+tt.kind+`"}`))
		if err == nil {
			t.Fatalf("error %s returned %s", tt.kind, out)
		}
		if got := lambdaErrorType(err); got != tt.typ || err.Error() != tt.msg {
			t.Errorf("error %s: type %s message %q; want %s %q", tt.kind, got, err, tt.typ, tt.msg)
		}
	}
	// The default kind is "new".
	if _, err := Invoke(context.Background(), "error", nil); lambdaErrorType(err) != "errorString" {
		t.Errorf("default error kind gave %T", err)
	}
}

// panicValue runs the panic probe and returns what it panicked with.
func panicValue(t *testing.T, args string) (v any) {
	t.Helper()
	defer func() { v = recover() }()
	out, err := Invoke(context.Background(), "panic", []byte(args))
	t.Fatalf("panic %s returned %s, %v", args, out, err)
	return nil
}

func TestPanicProbeValues(t *testing.T) {
	// typ and msg are what aws-lambda-go reports: the type name as above and
	// fmt's %v of the value (lambda/panic.go, getPanicMessage).
	tests := []struct{ value, typ, msg string }{
		{"string", "string", "probe: panic string"},
		{"error", "errorString", "probe: panic error"},
		{"custom", "ProbePanic", "{42}"},
		{"int", "int", "42"},
		{"nil-deref", "errorString", "runtime error: invalid memory address or nil pointer dereference"},
		{"index", "boundsError", "runtime error: index out of range [3] with length 3"},
		{"type-assert", "TypeAssertionError", "interface conversion: interface {} is string, not int"},
	}
	for _, tt := range tests {
		v := panicValue(t, `{"value":"`+tt.value+`"}`)
		if got, msg := lambdaErrorType(v), fmt.Sprintf("%v", v); got != tt.typ || msg != tt.msg {
			t.Errorf("panic %s: type %s message %q; want %s %q", tt.value, got, msg, tt.typ, tt.msg)
		}
	}
	if v := panicValue(t, `{}`); v != "probe: panic string" {
		t.Errorf("default panic value = %#v", v)
	}
}
