package probes

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
)

// httpFloorAddrEnv, when set and not empty, makes Main serve the probe over
// plain HTTP on that address instead of calling lambda.Start: the "floor" the
// kit's emulator benchmark (bench/emulator-speed.ts) compares its own invoke
// round trip with, since no Lambda emulator can answer faster than the same
// handler behind a bare HTTP server.
const httpFloorAddrEnv = "PROBE_HTTP_FLOOR_ADDR"

// serveHTTPFloor listens on addr (e.g. "127.0.0.1:0"), writes the bound
// address and a newline to out, then serves until the listener fails. It
// never returns on success.
func serveHTTPFloor(addr string, h *RawHandler, out io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("probe: %s: %w", httpFloorAddrEnv, err)
	}
	if _, err := fmt.Fprintln(out, ln.Addr().String()); err != nil {
		ln.Close()
		return err
	}
	return http.Serve(ln, floorHandler(h))
}

// floorHandler answers POST / by invoking h with the request body, as a
// Runtime API client would: the result bytes unchanged (200,
// application/octet-stream), or a probe error as 500 with the error text.
// A panicking probe is net/http's to recover (it drops the connection).
func floorHandler(h *RawHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		result, err := h.Invoke(r.Context(), body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(result)))
		w.Write(result)
	})
}

// httpFloorMode runs serveHTTPFloor when httpFloorAddrEnv is set; it reports
// whether it did (it only returns after a failure, with the process's status).
func httpFloorMode(h *RawHandler) (bool, int) {
	addr := os.Getenv(httpFloorAddrEnv)
	if addr == "" {
		return false, 0
	}
	err := serveHTTPFloor(addr, h, os.Stdout)
	fmt.Fprintln(os.Stderr, err)
	return true, 1
}
