package probes

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func floorPost(t *testing.T, url, body string) (int, string, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestHTTPFloorHandler(t *testing.T) {
	echo, _ := NewRawHandler("echo")
	srv := httptest.NewServer(floorHandler(echo))
	defer srv.Close()
	payload := `{ "n" : 1.50, "s":"\u00e9" }`
	if code, ctype, body := floorPost(t, srv.URL+"/", payload); code != 200 || ctype != "application/octet-stream" || body != payload {
		t.Errorf("echo: %d %q %q", code, ctype, body)
	}
	if code, _, body := floorPost(t, srv.URL+"/", ""); code != 200 || body != "" {
		t.Errorf("empty body: %d %q", code, body)
	}
	if code, _, _ := floorPost(t, srv.URL+"/other", payload); code != 404 {
		t.Errorf("other path: %d", code)
	}
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}

	failing, _ := NewRawHandler("error")
	srv2 := httptest.NewServer(floorHandler(failing))
	defer srv2.Close()
	if code, _, body := floorPost(t, srv2.URL+"/", `{"kind":"new"}`); code != 500 || body != "probe: plain error\n" {
		t.Errorf("error probe: %d %q", code, body)
	}
}

// Main with PROBE_HTTP_FLOOR_ADDR prints the bound address first, then serves.
func TestMainHTTPFloorMode(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(cleanProbeEnv(), helperEnv+"=main", "PROBE=echo", httpFloorAddrEnv+"=127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no address line: %v", err)
	}
	addr := strings.TrimSuffix(line, "\n")
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Fatalf("address line %q", line)
	}
	if code, _, body := floorPost(t, "http://"+addr+"/", `{"n":1}`); code != 200 || body != `{"n":1}` {
		t.Errorf("echo over the floor: %d %q", code, body)
	}
}

func TestMainHTTPFloorBadAddress(t *testing.T) {
	r := runHelper(t, "main", "PROBE=echo", httpFloorAddrEnv+"=not-an-address")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "probe: "+httpFloorAddrEnv+": listen tcp") || r.stdout != "" {
		t.Errorf("bad address: %+v", r)
	}
}
