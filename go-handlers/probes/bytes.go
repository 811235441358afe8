package probes

import (
	"bytes"
	"context"
	"fmt"
)

// bytesProbe returns a response of exactly n bytes: a JSON string made of n-2
// fill characters between two quotes. It probes the response size limits
// (6 MB for synchronous invokes) to the byte.
func bytesProbe(_ context.Context, args []byte) ([]byte, error) {
	a := struct {
		N    int    `json:"n"`
		Fill string `json:"fill"`
	}{N: 2, Fill: "a"}
	if err := decodeArgs("bytes", args, &a); err != nil {
		return nil, err
	}
	if a.N < 2 {
		return nil, fmt.Errorf("probe: bytes: n must be at least 2 (the quotes), got %d", a.N)
	}
	if len(a.Fill) != 1 || !jsonPlain(a.Fill[0]) {
		return nil, fmt.Errorf("probe: bytes: fill must be one printable ASCII character other than '\"' and '\\', got %q", a.Fill)
	}
	// Built directly rather than with encoding/json: one allocation, and the
	// length is exact by construction (fill needs no escaping).
	out := bytes.Repeat([]byte{a.Fill[0]}, a.N)
	out[0], out[a.N-1] = '"', '"'
	return out, nil
}

// jsonPlain reports whether c stands for itself inside a JSON string.
func jsonPlain(c byte) bool {
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'
}
