// Command loadtest builds the archive, serves it on loopback and puts it
// under load: a mix of pages, PDFs read in Range requests and searches from
// 64 clients, first alone, then while a second client floods search. It
// prints requests per second, latency per route, the 5xx count and the
// server's memory before and after, and exits 1 when the server failed:
// a 5xx or a failed request outside the flood, or memory that kept growing.
//
//	go run ./cmd/loadtest [-duration 30s] [-clients 64] [-corpus] [-content DIR]
//
// Run it from the repository root (make loadtest). It sends traffic to
// 127.0.0.1 only.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"archive/internal/loadgen"
)

type options struct {
	duration time.Duration
	clients  int
	flood    int
	readers  int
	content  string
	corpus   bool
	bin      string
	maxPages int
	serve    string
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "length of the two measured phases together")
	flag.IntVar(&o.clients, "clients", 64, "concurrent readers")
	flag.IntVar(&o.flood, "flood", 16, "concurrent clients of the search flood in the second phase")
	flag.IntVar(&o.readers, "readers", 4096, "client networks the readers' requests come from (X-Forwarded-For)")
	flag.StringVar(&o.content, "content", "content", "content folder to serve")
	flag.BoolVar(&o.corpus, "corpus", false, "also serve the go-blog Markdown of ../shared/corpus, as the section blog")
	flag.StringVar(&o.bin, "bin", "", "archive binary to run (default: build ./cmd/archive)")
	flag.IntVar(&o.maxPages, "pages", 300, "pages read to find PDFs and phrases to search for")
	flag.StringVar(&o.serve, "serve-args", "", "more flags for archive serve, such as \"-max-searches 4\"")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "archive-loadtest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bin := o.bin
	if bin == "" {
		bin = filepath.Join(tmp, "archive")
		fmt.Fprintln(out, "building ./cmd/archive ...")
		if b, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/archive").CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v\n%s", err, b)
		}
	}
	contentDir := o.content
	if o.corpus {
		contentDir = filepath.Join(tmp, "content")
		if err := copyTree(o.content, contentDir); err != nil {
			return fmt.Errorf("copy content: %w", err)
		}
		if err := copyTree(filepath.Join("..", "shared", "corpus", "markdown", "go-blog"), filepath.Join(contentDir, "blog")); err != nil {
			return fmt.Errorf("copy the go-blog corpus: %w", err)
		}
	}

	srv, err := startServer(ctx, bin, contentDir, filepath.Join(tmp, "server.log"), strings.Fields(o.serve))
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Fprintf(out, "server pid %d at %s, ready after %v\n", srv.cmd.Process.Pid, srv.url, srv.ready.Round(time.Millisecond))

	a, err := loadgen.Discover(ctx, srv.url, o.maxPages)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "content: %d pages in the sitemap, %d PDFs, %d phrases to search for; search answers: %v\n",
		len(a.Pages), len(a.PDFs), len(a.Phrases), a.Search)
	if !a.Search {
		fmt.Fprintln(out, "search is left out of the readers' mix until it answers 200")
	}
	fmt.Fprintf(out, "machine: %d CPUs, load average %s; the generator runs on the same machine\n\n", runtime.NumCPU(), loadAverage())

	mix := loadgen.Config{BaseURL: srv.url, Kinds: a.Kinds(o.readers), Concurrency: o.clients, Timeout: 30 * time.Second}
	phase := o.duration / 2

	// A short warm-up, so that the first phase measures a server that has
	// seen every route once.
	warm := mix
	warm.Duration = min(2*time.Second, phase)
	if _, err := loadgen.Run(ctx, warm); err != nil {
		return err
	}
	mem := []memSample{srv.memory("before (after warm-up)")}

	calmCfg := mix
	calmCfg.Duration = phase / 2
	calm1, err := loadgen.Run(ctx, calmCfg)
	if err != nil {
		return err
	}
	mem = append(mem, srv.memory("halfway through phase 1"))
	calm2, err := loadgen.Run(ctx, calmCfg)
	if err != nil {
		return err
	}
	calm := merge(calm1, calm2)
	mem = append(mem, srv.memory("after phase 1"))

	floodedCfg := mix
	floodedCfg.Duration = phase
	var (
		flood loadgen.Report
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		flood, _ = loadgen.Run(ctx, loadgen.Config{BaseURL: srv.url, Kinds: a.FloodKinds(), Concurrency: o.flood, Duration: phase, Timeout: 30 * time.Second})
	}()
	flooded, err := loadgen.Run(ctx, floodedCfg)
	wg.Wait()
	if err != nil {
		return err
	}
	mem = append(mem, srv.memory("after phase 2"))

	fmt.Fprintf(out, "phase 1: %d readers, %v: %.0f requests/s\n", o.clients, calm.Elapsed.Round(time.Millisecond), calm.RPS())
	calm.WriteTable(out)
	fmt.Fprintf(out, "\nphase 2: the same %d readers, %v, while %d clients flood search: %.0f requests/s\n", o.clients, flooded.Elapsed.Round(time.Millisecond), o.flood, flooded.RPS())
	flooded.WriteTable(out)
	fmt.Fprintf(out, "\nthe flood (one client network, and a new network for every request):\n")
	flood.WriteTable(out)

	fmt.Fprintf(out, "\nserver memory (from /proc/%d/status):\n", srv.cmd.Process.Pid)
	for _, m := range mem {
		fmt.Fprintf(out, "  %-26s RSS %6.1f MB   peak %6.1f MB\n", m.when, mb(m.rss), mb(m.hwm))
	}

	var failures []string
	for _, r := range calm.Routes {
		if r.Status5xx() > 0 || r.Errors > 0 {
			failures = append(failures, fmt.Sprintf("phase 1: %s: %d 5xx, %d failed", r.Name, r.Status5xx(), r.Errors))
		}
	}
	for _, r := range flooded.Routes {
		if strings.Contains(r.Name, "search") {
			continue // shedding searches under a flood is the design
		}
		if r.Status5xx() > 0 || r.Errors > 0 {
			failures = append(failures, fmt.Sprintf("phase 2: %s: %d 5xx, %d failed", r.Name, r.Status5xx(), r.Errors))
		}
	}
	pc, _ := calm.Route("page")
	pf, _ := flooded.Route("page")
	fmt.Fprintf(out, "\npage latency: p50 %v -> %v, p99 %v -> %v while search is flooded\n",
		pc.P50.Round(time.Microsecond), pf.P50.Round(time.Microsecond), pc.P99.Round(time.Microsecond), pf.P99.Round(time.Microsecond))
	if s, ok := flooded.Route("search"); ok && s.Requests > 0 {
		fmt.Fprintf(out, "readers' searches during the flood: %d of %d answered 200\n", s.Count(200, 200), s.Requests)
	}
	// Memory that grows under the same load, from the middle of phase 1 to
	// its end, would keep growing; a flood may raise it once.
	if grow := mem[2].rss - mem[1].rss; grow > max(16<<20, mem[1].rss/5) {
		failures = append(failures, fmt.Sprintf("memory grew %.1f MB under steady load", mb(grow)))
	}
	if len(failures) > 0 {
		return errors.New("the server failed under load:\n  " + strings.Join(failures, "\n  "))
	}
	fmt.Fprintln(out, "ok: no 5xx and no failed request outside the flood, memory steady")
	return nil
}

// merge joins two reports of the same mix run one after the other.
func merge(a, b loadgen.Report) loadgen.Report {
	// Percentiles cannot be merged: the later half stands for the phase,
	// its counts are the sum of both.
	out := b
	out.Elapsed = a.Elapsed + b.Elapsed
	out.Routes = nil
	for i, r := range b.Routes {
		r.Status = sumStatus(a.Routes[i].Status, r.Status)
		r.Requests += a.Routes[i].Requests
		r.Errors += a.Routes[i].Errors
		r.Bytes += a.Routes[i].Bytes
		r.P50, r.P90, r.P99, r.Max = maxd(a.Routes[i].P50, r.P50), maxd(a.Routes[i].P90, r.P90), maxd(a.Routes[i].P99, r.P99), maxd(a.Routes[i].Max, r.Max)
		out.Routes = append(out.Routes, r)
	}
	t := b.Total
	t.Status = sumStatus(a.Total.Status, t.Status)
	t.Requests += a.Total.Requests
	t.Errors += a.Total.Errors
	t.Bytes += a.Total.Bytes
	t.P50, t.P90, t.P99, t.Max = maxd(a.Total.P50, t.P50), maxd(a.Total.P90, t.P90), maxd(a.Total.P99, t.P99), maxd(a.Total.Max, t.Max)
	out.Total = t
	return out
}

func sumStatus(a, b map[int]int) map[int]int {
	out := map[int]int{}
	for k, v := range a {
		out[k] += v
	}
	for k, v := range b {
		out[k] += v
	}
	return out
}

func maxd(a, b time.Duration) time.Duration { return max(a, b) }

// server is the archive binary running on loopback.
type server struct {
	cmd    *exec.Cmd
	url    string
	ready  time.Duration
	exited chan struct{}
}

var listening = regexp.MustCompile(`msg=listening addr=(http://\S+)`)

func startServer(ctx context.Context, bin, contentDir, logFile string, extra []string) (*server, error) {
	logs, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "-content", contentDir, "-addr", "127.0.0.1:0",
		// The generator speaks for many readers through X-Forwarded-For,
		// as a reverse proxy on the same machine would.
		"-trusted-proxies", "127.0.0.1/32,::1/128"}
	cmd := exec.Command(bin, append(args, extra...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, exited: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logs, line)
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(logs, stderr)
		logs.Close()
	}()
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	select {
	case s.url = <-found:
	case <-s.exited:
		return nil, fmt.Errorf("the server exited at start; its log: %s", logFile)
	case <-time.After(60 * time.Second):
		s.stop()
		return nil, errors.New("the server did not listen within 60s")
	}
	for {
		res, err := http.Get(s.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				s.ready = time.Since(start)
				return s, nil
			}
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("the server exited while loading; its log: %s", logFile)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Since(start) > 5*time.Minute {
			s.stop()
			return nil, errors.New("the server was not ready within 5 minutes")
		}
	}
}

// stop ends the server as a deploy would, with SIGTERM, and kills it if it
// does not exit.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(25 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

type memSample struct {
	when     string
	rss, hwm int64 // bytes
}

// memory reads the server's resident memory and its peak from /proc.
func (s *server) memory(when string) memSample {
	m := memSample{when: when}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			continue
		}
		kb, _ := strconv.ParseInt(f[0], 10, 64)
		switch name {
		case "VmRSS":
			m.rss = kb << 10
		case "VmHWM":
			m.hwm = kb << 10
		}
	}
	return m
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// copyTree copies the regular files under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
