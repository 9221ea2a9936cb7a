package wrk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"archive/internal/wrk"
)

func needWrk(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed (apt-get install wrk; the Makefile's bench, loadtest and test-deploy do)")
	}
}

// TestRun: every response is counted under its status, with its bytes
// and its latency, and a header reaches the server.
func TestRun(t *testing.T) {
	needWrk(t)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			if r.Header.Get("X-Who") != "hello" {
				http.Error(w, "no header", http.StatusBadRequest)
			}
		case "/slow":
			time.Sleep(20 * time.Millisecond)
		case "/fail":
			http.Error(w, "broken", http.StatusInternalServerError)
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()
	res, err := wrk.Run(context.Background(), wrk.Load{
		URL:      ts.URL,
		Requests: []wrk.Request{{Path: "/ok", Header: map[string]string{"X-Who": "hello"}}, {Path: "/fail"}, {Path: "/missing"}, {Path: "/slow"}},
		Conns:    2, Duration: time.Second, Statuses: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	ok, fail, missing := res.Statuses[200], res.Statuses[500], res.Statuses[404]
	if ok == 0 || fail == 0 || missing == 0 || ok+fail+missing != res.Requests || res.Status != fail+missing {
		t.Errorf("%d requests: statuses %v, %d of 400 or more", res.Requests, res.Statuses, res.Status)
	}
	if res.Unanswered() != 0 || res.Count(500, 599) != fail {
		t.Errorf("unanswered %d, 5xx %d", res.Unanswered(), res.Count(500, 599))
	}
	if !(res.P50 > 0 && res.P50 <= res.P90 && res.P90 <= res.P99 && res.P99 <= res.Max && res.Max >= 20*time.Millisecond) {
		t.Errorf("latency out of order or too short: %v %v %v %v", res.P50, res.P90, res.P99, res.Max)
	}
	if res.Elapsed < time.Second || res.Bytes < 100*res.Requests {
		t.Errorf("elapsed %v, %d bytes", res.Elapsed, res.Bytes)
	}
}

// TestRunOnlyLoopback: load is never sent off this machine.
func TestRunOnlyLoopback(t *testing.T) {
	for _, u := range []string{"http://example.com", "http://10.0.0.1:8080", "http://127.0.0.1.example.com/", "https://[2001:db8::1]/", "127.0.0.1:8080", "ftp://127.0.0.1/"} {
		if _, err := wrk.Run(context.Background(), wrk.Load{URL: u, Requests: []wrk.Request{{Path: "/"}}, Conns: 1, Duration: time.Second}); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Run(%q): %v, want refused", u, err)
		}
	}
}

// TestReaders: the connections are shared out, every kind has one, and the
// requests are the archive's.
func TestReaders(t *testing.T) {
	a := &wrk.Archive{Pages: []string{"/a/"}, Assets: []string{"/static/x.css"}, PDFs: []wrk.PDF{{"/a/r.pdf", 100 << 10}}, Words: []string{"word"}}
	for _, conns := range []int{8, 64} {
		sum := 0
		for _, k := range a.Readers(conns, 16) {
			sum += k.Conns
			if k.Conns < 1 || len(k.Requests) == 0 || k.Requests[0].Header["X-Forwarded-For"] == "" {
				t.Errorf("%d connections: %s: %d connections, %d requests, header %v", conns, k.Name, k.Conns, len(k.Requests), k.Requests[0].Header)
			}
			if k.Name == "pdf-range" {
				for _, r := range k.Requests {
					if r := r.Header["Range"]; r != "bytes=0-65535" && r != "bytes=65536-102399" {
						t.Fatalf("Range %q of a 100 KiB file", r)
					}
				}
			}
		}
		if sum != conns {
			t.Errorf("%d connections shared out as %d", conns, sum)
		}
	}
}
