package probes

import (
	"context"
	"errors"
	"fmt"
)

// ProbePanic is the panic value of panic {"value":"custom"}. It deliberately
// has no String or Error method, so fmt's %v (which aws-lambda-go uses for
// the errorMessage of a panic) prints the bare struct: "{42}".
type ProbePanic struct{ Code int }

// The runtime-error variants read these package variables so the compiler
// cannot prove the failure at build time (and vet stays quiet).
var (
	nilNode     *probeNode
	shortSlice      = []int{1, 2, 3}
	assertValue any = "probe"
	panicSink   int
)

type probeNode struct{ value int }

// panicProbe panics in the handler goroutine with the chosen kind of value,
// to check how each becomes an errorType/errorMessage and whether the
// process is restarted afterwards.
func panicProbe(_ context.Context, args []byte) ([]byte, error) {
	a := struct {
		Value string `json:"value"`
	}{Value: "string"}
	if err := decodeArgs("panic", args, &a); err != nil {
		return nil, err
	}
	switch a.Value {
	case "string":
		panic("probe: panic string")
	case "error":
		panic(errors.New("probe: panic error"))
	case "custom":
		panic(ProbePanic{Code: 42})
	case "int":
		panic(42)
	case "nil-deref":
		panicSink = nilNode.value // runtime error: invalid memory address or nil pointer dereference
	case "index":
		panicSink = shortSlice[len(shortSlice)] // runtime error: index out of range [3] with length 3
	case "type-assert":
		panicSink = assertValue.(int) // interface conversion: interface {} is string, not int
	default:
		return nil, fmt.Errorf("probe: panic: unknown value %q; known: string, error, custom, int, nil-deref, index, type-assert", a.Value)
	}
	return nil, errors.New("probe: panic: unreachable")
}
