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
// the handler from PROBE and hand it to lambda.Start, which never returns.
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
	lambda.Start(h)
}
