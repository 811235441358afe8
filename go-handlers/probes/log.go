package probes

import (
	"context"
	"encoding/json"
	"log"
	"os"
)

// logProbe writes five numbered records to stdout and stderr in a fixed order,
// to check that the target captures both streams, keeps their order and
// splits (or not) a multi-line write. Each record is a single unbuffered
// write(2), so the order the kit sees is the order the process produced.
func logProbe(_ context.Context, args []byte) ([]byte, error) {
	a := struct {
		Marker string `json:"marker"`
	}{}
	if err := decodeArgs("log", args, &a); err != nil {
		return nil, err
	}
	m := a.Marker
	_, _ = os.Stdout.Write([]byte("probe-log 1 stdout " + m + "\n"))
	_, _ = os.Stderr.Write([]byte("probe-log 2 stderr " + m + "\n"))
	_, _ = os.Stdout.Write([]byte("probe-log 3 stdout " + m + "\n"))
	_, _ = os.Stdout.Write([]byte("probe-log 4 multi " + m + "\nline two\nline three\n"))
	// The standard logger (default flags: "2006/01/02 15:04:05 " prefix,
	// stderr) is what most Go functions use; it also issues one write.
	log.Print("probe-log 5 log.Print " + m)
	return json.Marshal(struct {
		Written int `json:"written"`
	}{5})
}
