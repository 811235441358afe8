package probes

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestBytesProbeLengthIsExact(t *testing.T) {
	for _, n := range []int{2, 3, 4, 1000, 6*1024*1024 - 1, 6 * 1024 * 1024, 6*1024*1024 + 1, 7_000_000} {
		for _, fill := range []string{"a", " ", "~", "<"} {
			args, _ := json.Marshal(map[string]any{"n": n, "fill": fill})
			out, err := Invoke(context.Background(), "bytes", args)
			if err != nil {
				t.Fatalf("bytes n=%d fill=%q: %v", n, fill, err)
			}
			if len(out) != n {
				t.Fatalf("bytes n=%d returned %d bytes", n, len(out))
			}
			var s string
			if err := json.Unmarshal(out, &s); err != nil {
				t.Fatalf("bytes n=%d: not a JSON string: %v", n, err)
			}
			if s != strings.Repeat(fill, n-2) {
				t.Fatalf("bytes n=%d fill=%q: wrong content", n, fill)
			}
		}
	}
	out, err := Invoke(context.Background(), "bytes", nil)
	if err != nil || string(out) != `""` {
		t.Errorf("bytes with defaults = %s, %v", out, err)
	}
}

func TestBytesProbeRejectsBadArgs(t *testing.T) {
	for _, args := range []string{
		`{"n":1}`, `{"n":0}`, `{"n":-5}`,
		`{"fill":""}`, `{"fill":"ab"}`, `{"fill":"\""}`, `{"fill":"\\"}`, `{"fill":"\n"}`, `{"fill":"é"}`, `{"fill":"\u007f"}`,
	} {
		if out, err := Invoke(context.Background(), "bytes", []byte(args)); err == nil {
			t.Errorf("bytes %s returned %d bytes", args, len(out))
		}
	}
}

func BenchmarkBytes7MB(b *testing.B) {
	args := []byte(`{"n":` + strconv.Itoa(7_000_000) + `}`)
	for b.Loop() {
		if _, err := Invoke(context.Background(), "bytes", args); err != nil {
			b.Fatal(err)
		}
	}
}
