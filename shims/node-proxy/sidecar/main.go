// Command sidecar is the Go half of the node-proxy shim: a re-implementation of
// the `execute` HTTP server that Sparta's Node.js proxy tier spawned as a child
// of the Lambda Node.js process (mweagle/Sparta execute.go, execute_utils.go and
// sparta.go @ 514258d4, 2017-05). See ../README.md for the design and sources.
//
//	sidecar execute --port <port> --signal <parent pid>
//
// It runs the probes' init hooks (the user's Go init), binds 127.0.0.1:<port>,
// sends SIGUSR2 to <parent pid> and serves POST /<probe> with the body
// {"event": <any JSON>, "context": {<Sparta LambdaContext>}}:
//
//   - success: 200, Content-Type application/json, the probe's bytes;
//   - returned error: 500 with err.Error() (http.Error, text/plain);
//   - panic: recovered, 400 "Lambda handler panic: %#v" with no stack trace;
//   - undecodable body: 400 "Failed to decode proxy request: ...";
//   - unknown path: 400 "Unsupported path: <name>".
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-lambda-conformance/go-handlers/probes"
)

// defaultPort is Sparta's fixed port (execute.go: defaultHTTPPort). The shim's
// index.js always passes --port, because sandboxes share the host loopback.
const defaultPort = 9999

// serverTimeout is the Read/WriteTimeout of Sparta's server until 682d9f6a
// (2017-11-24) raised it to 5 minutes. A handler that runs longer still runs to
// the end, but its response can no longer be written: Node sees the connection
// close without a response, "socket hang up" (mweagle/Sparta#30).
const serverTimeout = 10 * time.Second

// exitUsage matches probes.Main's exit status for a malformed PROBE_INIT.
const exitUsage = 64

// LambdaContext is Sparta's own Go view of the Node.js context object
// (sparta.go @ 514258d4). It is not aws-lambda-go's lambdacontext: probes that
// call lambdacontext.FromContext find nothing. memoryLimitInMB is a string, as
// Node's context had it. There is no deadline and no trace id.
type LambdaContext struct {
	AWSRequestID       string `json:"awsRequestId"`
	InvokeID           string `json:"invokeid"`
	LogGroupName       string `json:"logGroupName"`
	LogStreamName      string `json:"logStreamName"`
	FunctionName       string `json:"functionName"`
	MemoryLimitInMB    string `json:"memoryLimitInMB"`
	FunctionVersion    string `json:"functionVersion"`
	InvokedFunctionARN string `json:"invokedFunctionArn"`
}

// lambdaRequest is the body index.js posts (sparta.go: lambdaRequest).
type lambdaRequest struct {
	Event   json.RawMessage `json:"event"`
	Context LambdaContext   `json:"context"`
}

// lambdaContextKey carries the decoded LambdaContext in the probe's context.
// Sparta passed it as a plain argument; no probe reads it.
type lambdaContextKey struct{}

func main() {
	if len(os.Args) < 2 || os.Args[1] != "execute" {
		fmt.Fprintf(os.Stderr, "usage: %s execute [--port N] [--signal PID]\n", filepath.Base(os.Args[0]))
		os.Exit(2)
	}
	flags := flag.NewFlagSet("execute", flag.ExitOnError)
	port := flags.Int("port", defaultPort, "port for HTTP binding on 127.0.0.1")
	parentPID := flags.Int("signal", 0, "process ID to signal with SIGUSR2 once ready")
	_ = flags.Parse(os.Args[2:])

	// The user's Go code initialises before Sparta's Execute runs: here, the
	// probes' PROBE_INIT hooks.
	if err := probes.RunInitHooks(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(exitUsage)
	}
	if err := execute(*port, *parentPID, os.Getenv("NODE_PROXY_SIGNAL_BEFORE_LISTEN") == "1"); err != nil {
		os.Exit(1)
	}
}

// execute is Sparta's Execute: build the server, signal the parent, serve.
//
// Sparta called syscall.Kill(parent, SIGUSR2) before ListenAndServe, so a fast
// parent could connect before the socket existed (ECONNREFUSED). By default the
// sidecar binds the socket first, then signals, then serves: the kernel queues
// connections made between the signal and Serve, so the race cannot fail an
// invoke. NODE_PROXY_SIGNAL_BEFORE_LISTEN=1 restores Sparta's exact order.
func execute(port, parentPID int, signalBeforeListen bool) error {
	server := &http.Server{
		Handler:      newHandler(),
		ReadTimeout:  serverTimeout,
		WriteTimeout: serverTimeout,
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if signalBeforeListen {
		signalParent(parentPID)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logJSON("error", "Failed to launch server", map[string]any{"Error": err.Error()})
		return err
	}
	if !signalBeforeListen {
		signalParent(parentPID)
	}
	logJSON("info", fmt.Sprintf("Starting %s server", filepath.Base(os.Args[0])), map[string]any{"URL": "http://" + addr})
	err = server.Serve(ln)
	logJSON("error", "Failed to launch server", map[string]any{"Error": err.Error()})
	return err
}

func signalParent(parentPID int) {
	logJSON("info", "Signaling parent process", map[string]any{"ParentPID": parentPID})
	if parentPID != 0 {
		_ = syscall.Kill(parentPID, syscall.SIGUSR2)
	}
}

// logJSON writes one line shaped like logrus's JSONFormatter output (sorted
// keys, level, msg, time) to stdout, where Sparta's execute logger wrote
// (sparta.go NewLoggerWithFormatter sets logger.Out = os.Stdout; sparta_main.go
// switches the execute command to a JSONFormatter).
func logJSON(level, msg string, fields map[string]any) {
	entry := map[string]any{"level": level, "msg": msg, "time": time.Now().Format(time.RFC3339)}
	for k, v := range fields {
		entry[k] = v
	}
	line, _ := json.Marshal(entry)
	_, _ = os.Stdout.Write(append(line, '\n'))
}

// handler is Sparta's LambdaHTTPHandler with the probes as the dispatch map:
// each probe name (and "dispatch") is a registered function path.
type handler struct {
	known map[string]bool
}

func newHandler() *handler {
	known := map[string]bool{"dispatch": true}
	for _, name := range probes.Names() {
		known[name] = true
	}
	return &handler{known: known}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	name := strings.TrimLeft(req.URL.Path, "/")
	defer func() {
		if r := recover(); r != nil {
			err, ok := r.(error)
			if !ok {
				err = fmt.Errorf("%v", r)
			}
			// %#v of the error value, and nothing else: no stack trace.
			http.Error(w, fmt.Sprintf("Lambda handler panic: %#v", err), http.StatusBadRequest)
		}
	}()

	var request lambdaRequest
	if err := json.NewDecoder(req.Body).Decode(&request); err != nil {
		http.Error(w, "Failed to decode proxy request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !h.known[name] {
		http.Error(w, "Unsupported path: "+name, http.StatusBadRequest)
		return
	}
	// Sparta's handlers took no context.Context: the probe gets one with no
	// deadline, no cancellation and no lambdacontext.
	ctx := context.WithValue(context.Background(), lambdaContextKey{}, &request.Context)
	out, err := probes.Invoke(ctx, name, request.Event)
	if err != nil {
		// What Sparta's examples did with an error (doc_newmaingateway_http_test.go).
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// Exactly "application/json": index.js JSON-parses the body only for that
	// value. Without it net/http would sniff text/plain and the caller would get
	// the result as one JSON string.
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}
