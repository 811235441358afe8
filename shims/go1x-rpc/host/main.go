// Command bootstrap is the host half of AWS Lambda's retired go1.x runtime, rebuilt to run on provided.al2023.
//
// It is a Runtime API client towards the platform, and towards the function it does what go1.x did: it starts
// the user binary ($LAMBDA_TASK_ROOT/$_HANDLER) with _LAMBDA_SERVER_PORT set, waits until it answers
// Function.Ping, and serves each event with Function.Invoke over aws-lambda-go's net/rpc protocol. The design,
// its sources and its toggles are in ../README.md.
package main

import (
	"fmt"
	"os"
)

func main() {
	address := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	if address == "" {
		fmt.Fprintln(os.Stderr, "go1x-rpc host: AWS_LAMBDA_RUNTIME_API is not set; this bootstrap only runs as a Lambda runtime")
		os.Exit(1)
	}
	logs, err := newRelay(os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go1x-rpc host: cannot create the log pipe: %v\n", err)
		os.Exit(1)
	}
	h := &host{cfg: configFromEnv(os.Getenv), api: newRuntimeAPI(address), logs: logs}
	os.Exit(h.run())
}
