package probes

import (
	"context"
	"errors"
	"fmt"
)

// ProbeError is returned by value by error {"kind":"custom"}: aws-lambda-go
// names the errorType after the dynamic type, here "ProbeError".
type ProbeError struct{ Code int }

func (e ProbeError) Error() string { return fmt.Sprintf("probe: custom error %d", e.Code) }

// ProbePointerError is returned as a pointer by error {"kind":"pointer"}; the
// library dereferences pointer types, so errorType is "ProbePointerError".
type ProbePointerError struct{ Detail string }

func (e *ProbePointerError) Error() string { return "probe: pointer error" }

// errorProbe returns a Go error of the chosen dynamic type. Expected result:
//
//	new     → errorType "errorString",       errorMessage "probe: plain error"
//	custom  → errorType "ProbeError",        errorMessage "probe: custom error 7"
//	pointer → errorType "ProbePointerError", errorMessage "probe: pointer error"
//	wrapped → errorType "wrapError",         errorMessage "probe: wrapped: probe: inner"
func errorProbe(_ context.Context, args []byte) ([]byte, error) {
	a := struct {
		Kind string `json:"kind"`
	}{Kind: "new"}
	if err := decodeArgs("error", args, &a); err != nil {
		return nil, err
	}
	switch a.Kind {
	case "new":
		return nil, errors.New("probe: plain error")
	case "custom":
		return nil, ProbeError{Code: 7}
	case "pointer":
		return nil, &ProbePointerError{Detail: "x"}
	case "wrapped":
		return nil, fmt.Errorf("probe: wrapped: %w", errors.New("probe: inner"))
	default:
		return nil, fmt.Errorf("probe: error: unknown kind %q; known: new, custom, pointer, wrapped", a.Kind)
	}
}
