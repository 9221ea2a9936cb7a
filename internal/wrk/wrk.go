// Package wrk puts HTTP load on a server of this machine with wrk (the
// Debian package wrk, an established generator written in C, which leaves
// more of the CPU to the server it measures than a Go client would), for
// the harness: make bench, make loadtest and make test-deploy. Run sends a
// list of requests in turn and returns wrk's figures; mix.go makes the
// archive's mix of readers' requests, each kind sent by a wrk of its own so
// that it has figures of its own.
//
// It refuses any target that is not on loopback.
package wrk

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

//go:embed requests.lua
var script []byte

// Request is one request of a load.
type Request struct {
	Path   string // path and query, beginning with "/"
	Header map[string]string
}

// Load says what to send.
type Load struct {
	URL      string    // http://127.0.0.1:PORT
	Requests []Request // sent in turn, over and over
	Conns    int       // connections, each sending its next request once the last is answered
	Duration time.Duration
	// Statuses counts the responses by status, which costs wrk a call of
	// its script per response.
	Statuses bool
}

// Result is what wrk measured.
type Result struct {
	Requests, Bytes int64
	Elapsed         time.Duration
	// Socket errors: refused connections, reads and writes cut, timeouts.
	Connect, Read, Write, Timeout int64
	Status                        int64 // responses with a status of 400 or more
	Statuses                      map[int]int64
	P50, P90, P99, Max            time.Duration
}

// RPS is requests per second.
func (r Result) RPS() float64 { return float64(r.Requests) / max(r.Elapsed.Seconds(), 1e-9) }

// Unanswered counts requests that got no response.
func (r Result) Unanswered() int64 { return r.Connect + r.Read + r.Write + r.Timeout }

// Count counts the responses with a status in [lo, hi] (with Load.Statuses).
func (r Result) Count(lo, hi int) int64 {
	var n int64
	for s, c := range r.Statuses {
		if s >= lo && s <= hi {
			n += c
		}
	}
	return n
}

// Run runs wrk until l.Duration has passed (whole seconds, at least one).
func Run(ctx context.Context, l Load) (Result, error) {
	if err := loopback(l.URL); err != nil {
		return Result{}, err
	}
	if len(l.Requests) == 0 || l.Conns < 1 {
		return Result{}, errors.New("wrk: no requests or no connections")
	}
	dir, err := os.MkdirTemp("", "wrk-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	var list bytes.Buffer
	for _, r := range l.Requests {
		list.WriteString(r.Path)
		for k, v := range r.Header {
			fmt.Fprintf(&list, "\t%s: %s", k, v)
		}
		list.WriteByte('\n')
	}
	lua, reqs := filepath.Join(dir, "requests.lua"), filepath.Join(dir, "requests")
	if err := os.WriteFile(lua, script, 0o644); err != nil {
		return Result{}, err
	}
	if err := os.WriteFile(reqs, list.Bytes(), 0o644); err != nil {
		return Result{}, err
	}
	threads := strconv.Itoa(min(l.Conns, runtime.NumCPU()))
	secs := max(1, int(l.Duration.Round(time.Second).Seconds()))
	args := []string{"-t", threads, "-c", strconv.Itoa(l.Conns), "-d", strconv.Itoa(secs) + "s", "--timeout", "30s",
		"-s", lua, l.URL, "--", reqs, threads}
	if l.Statuses {
		args = append(args, "statuses")
	}
	out, err := exec.CommandContext(ctx, "wrk", args...).CombinedOutput()
	if err != nil {
		return Result{}, fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	var r Result
	if i := bytes.LastIndex(out, []byte("\n{")); i < 0 || json.Unmarshal(out[i+1:], &r) != nil {
		return r, fmt.Errorf("wrk wrote no figures:\n%s", out)
	}
	return r, nil
}

func loopback(base string) error {
	if u, err := url.Parse(base); err != nil || u.Scheme != "http" || !net.ParseIP(u.Hostname()).IsLoopback() {
		return fmt.Errorf("wrk: %q is not an http URL on loopback (127.0.0.1, ::1): load is only ever sent to this machine", base)
	}
	return nil
}
