package probes

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

// exitUsage is the exit status for a bad PROBE or PROBE_INIT (EX_USAGE).
const exitUsage = 64

// The raw handler must satisfy lambda.Handler, or lambda.Start would treat it
// as a reflective JSON handler (or reject it).
var _ lambda.Handler = (*RawHandler)(nil)

// Main is the body of the bootstrap binary: run the PROBE_INIT hooks, select
// the handler from PROBE and hand it to lambda.Start, which never returns (or,
// with PROBE_HTTP_FLOOR_ADDR set, serve it over plain HTTP: http_floor.go).
func Main() {
	if err := RunInitHooks(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(exitUsage)
	}
	h, err := NewRawHandler(os.Getenv("PROBE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(exitUsage)
	}
	if served, code := httpFloorMode(h); served {
		os.Exit(code)
	}
	lambda.Start(h)
}
