// Package archivetest runs the real archive binary on loopback, for the
// tests that need a process (shutdown, start faults, builds served by
// replicas, the browser) and for the harness (make bench, make loadtest,
// make test-deploy): it builds the command once, starts `archive serve` on
// 127.0.0.1, learns the address from its log (msg=listening addr=…), waits
// until /healthz answers 200, reads the start's timings from that answer,
// and stops the process it started, by its PID. It judges nothing.
package archivetest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"archive/internal/pipeline"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// Binary returns the archive command, built on first use (from any folder
// of the module) into a temporary folder that RemoveBinary deletes.
func Binary() (string, error) {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "archive-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "archive")
		if out, err := exec.Command("go", "build", "-o", binary, "archive/cmd/archive").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build archive/cmd/archive: %w\n%s", err, out)
		}
	})
	return binary, buildErr
}

// RemoveBinary deletes what Binary built.
func RemoveBinary() {
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
}

// Config says how to run `archive serve`.
type Config struct {
	Bin  string   // the archive command (see Binary)
	Args []string // flags after -addr, such as -content DIR
	Addr string   // a loopback address; default 127.0.0.1:0, a free port
	Log  string   // the file its output goes to: a file, so that logging costs the caller nothing
	Dir  string   // its working folder; default this process's
	User *syscall.Credential
}

// Server is a running `archive serve`.
type Server struct {
	URL    string // http://127.0.0.1:PORT, once WaitHealthy has read it in the log
	Cmd    *exec.Cmd
	Exited chan struct{} // closed when the process has ended; Err says how
	Err    error

	log     string
	started time.Time
}

// Health is what /healthz answers once the archive is ready.
type Health struct {
	Status        string
	Pages, Search bool
	Timings       pipeline.Timings
	Ready         time.Duration `json:"-"` // from Start to this answer
	// PagesReady is from Start to the first answer that said pages were
	// served, the search index still building (WaitHealthy only); Ready
	// when no answer said so.
	PagesReady time.Duration `json:"-"`
}

// Memory is the process's memory as /proc/PID/status reports it, in bytes.
type Memory struct {
	RSS, Anon, File, Peak int64 // VmRSS, RssAnon, RssFile, VmHWM
}

// ErrExited is wrapped by WaitHealthy's error when the process ended first.
var ErrExited = errors.New("archive serve exited")

var listening = regexp.MustCompile(`msg=listening addr=(http://\S+)`)

// Start starts `archive serve -addr ADDR` with cfg.Args and returns at once.
func Start(cfg Config) (*Server, error) {
	addr := cmp.Or(cfg.Addr, "127.0.0.1:0")
	if host, _, err := net.SplitHostPort(addr); err != nil || !net.ParseIP(host).IsLoopback() {
		return nil, fmt.Errorf("archivetest: %q is not a loopback address", addr)
	}
	logf, err := os.Create(cfg.Log)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own copy
	cmd := exec.Command(cfg.Bin, append([]string{"serve", "-addr", addr}, cfg.Args...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = cfg.Dir, logf, logf
	if cfg.User != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cfg.User}
	}
	s := &Server{Cmd: cmd, Exited: make(chan struct{}), log: cfg.Log, started: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.Err = cmd.Wait()
		close(s.Exited)
	}()
	return s, nil
}

// Serve is Start, then WaitHealthy within timeout; on failure it stops
// the process.
func Serve(ctx context.Context, cfg Config, timeout time.Duration) (*Server, Health, error) {
	s, err := Start(cfg)
	if err != nil {
		return nil, Health{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	h, err := s.WaitHealthy(ctx)
	if err != nil {
		s.Stop()
		return nil, h, err
	}
	return s, h, nil
}

// WaitHealthy polls, every 10 ms until ctx is done, for the address in the
// log and then for /healthz to answer 200.
func (s *Server) WaitHealthy(ctx context.Context) (Health, error) {
	var pages time.Duration
	for {
		// Only until the address is there: a large archive's log grows
		// to megabytes of warnings, whose reading every 10 ms took a core
		// from the start being timed.
		if s.URL == "" {
			if m := listening.FindStringSubmatch(s.Log()); m != nil {
				s.URL = m[1]
			}
		}
		if s.URL != "" {
			h, err := s.Health(ctx)
			if h.Pages && pages == 0 {
				pages = h.Ready
			}
			if err == nil {
				h.PagesReady = cmp.Or(pages, h.Ready)
				return h, nil
			}
		}
		select {
		case <-s.Exited:
			return Health{}, fmt.Errorf("%w (%v):\n%s", ErrExited, s.Err, s.tail(20))
		case <-ctx.Done():
			return Health{}, fmt.Errorf("archive serve not ready: %w\n%s", ctx.Err(), s.tail(20))
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Health asks the server's /healthz once.
func (s *Server) Health(ctx context.Context) (Health, error) {
	h, err := Healthy(ctx, s.URL)
	h.Ready = time.Since(s.started)
	return h, err
}

// Healthy asks base+"/healthz" once; anything but a 200 is an error, with
// what a 503 said in the Health.
func Healthy(ctx context.Context, base string) (Health, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var h Health
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return h, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return h, err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusServiceUnavailable {
		json.NewDecoder(res.Body).Decode(&h) // "building search index": pages are served
	}
	if res.StatusCode != http.StatusOK {
		return h, fmt.Errorf("%s/healthz: %s", base, res.Status)
	}
	return h, json.NewDecoder(res.Body).Decode(&h)
}

// Stop sends SIGINT and waits for the process to end, killing it after 30 s.
func (s *Server) Stop() {
	s.Cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.Exited:
	case <-time.After(30 * time.Second):
		s.Kill()
	}
}

// Kill sends SIGKILL and waits for the process to end.
func (s *Server) Kill() {
	s.Cmd.Process.Kill()
	<-s.Exited
}

// Log returns what the server has written so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

func (s *Server) tail(n int) string {
	lines := strings.Split(strings.TrimRight(s.Log(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Memory reads the process's memory from /proc.
func (s *Server) Memory() (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Cmd.Process.Pid))
	var m Memory
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if p := map[string]*int64{"VmRSS": &m.RSS, "RssAnon": &m.Anon, "RssFile": &m.File, "VmHWM": &m.Peak}[k]; p != nil {
			*p = kb << 10
		}
	}
	return m, err
}
