// Command bench measures the archive at a given size and writes the figures
// to BENCHMARKS.md, beside the targets of the issues. `make bench` runs it.
//
//	bench [-n 1000] [-runs 3] [-duration 10s] [-conns 64] [-out BENCHMARKS.md] [-steps starts,pages,flood,build,go,redeploy]
//
// It builds the binary and writes a corpus of n publications (corpus.go),
// then, over loopback, with package archivetest starting every server (in a
// folder without templates/ or static/, so that it uses the copies built
// into it, as deployed) and wrk sending every load:
//
//   - Cold start (`serve -cache <empty folder>`) and warm start (with that
//     cache), -runs times each: from exec to the first /healthz 200; the
//     steps' timings come from that answer and memory from /proc, and for
//     cold starts again once /healthz says it serves the state it cached.
//   - Page throughput: every publication page in turn (gzip accepted) at
//     -conns connections for -duration, on the last warm server and on a
//     bare net/http server in this process (idle meanwhile) answering the
//     same bytes, -runs times in turn; the figure is the ratio of medians.
//   - Search over HTTP: searchQueries on /api/search from Go's client, idle
//     and while pages load, and the server's CPU time per idle search;
//     then from wrk on one connection, idle, -runs times for -duration. An
//     answer that is not 200 fails the run.
//   - Highlighted pages flooded: with the per-client limits as deployed,
//     the readers' page rate while one client floods `?hl=` pages ÷ their
//     rate while it floods plain pages.
//   - `archive build`, then `serve -from` the build -runs times, and a page
//     load on the last.
//   - Redeploy (redeploy.go): one publication added after a cold start
//     with -cache, then `serve` on that cache, -runs times, to /healthz 200
//     with the added publication served and found.
//   - In process: `go test -bench` of internal/search (search over the Go
//     blog corpus, building and opening its index) and internal/site
//     (rendering a page), then BenchmarkSearch over an index of -n
//     publications on disk (searchAtN); run one with -cpuprofile for a CPU
//     profile.
//
// The figures go into BENCHMARKS.md, in the section of this corpus size.
// -steps runs some of these only (pages needs starts, for its server), to
// measure one figure again without the whole run; its figures are printed,
// since a section with the others missing would replace the last run's.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"archive/internal/archivetest"
	"archive/internal/wrk"
)

type options struct {
	n, runs, conns         int
	duration, startTimeout time.Duration
	out, command           string
	steps                  map[string]bool
}

// steps are the parts of a run, in the order they run.
var steps = []string{"starts", "pages", "flood", "build", "go", "redeploy", "peers"}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1000, "publications in the corpus")
	flag.IntVar(&o.runs, "runs", 3, "times each start and each page load is measured (the median is reported)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each page load")
	flag.IntVar(&o.conns, "conns", 64, "connections of the page load")
	flag.DurationVar(&o.startTimeout, "start-timeout", 30*time.Minute, "longest a start may take")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "file to write the figures into, relative to the repository (\"\" prints them)")
	flag.StringVar(&o.command, "command", "", "how the run was started, for BENCHMARKS.md (default: the command line)")
	stepList := flag.String("steps", strings.Join(steps, ","), "the parts to run, of "+strings.Join(steps, ",")+" (pages needs starts); fewer than all needs -out \"\"")
	flag.Parse()
	var err error
	if o.steps, err = parseSteps(*stepList, o.out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if o.command == "" {
		o.command = "go run ./cmd/bench " + strings.Join(os.Args[1:], " ")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// parseSteps reads -steps. A partial run may not write BENCHMARKS.md: its
// section would replace the last full run's with figures missing.
func parseSteps(list, out string) (map[string]bool, error) {
	chosen := map[string]bool{}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(steps, name) {
			return nil, fmt.Errorf("-steps: %q is not one of %s", name, strings.Join(steps, ","))
		}
		chosen[name] = true
	}
	if chosen["pages"] && !chosen["starts"] {
		return nil, errors.New("-steps: pages loads the last warm start's server, so it needs starts")
	}
	if len(chosen) < len(steps) && out != "" {
		return nil, errors.New(`-steps: a partial run prints its figures; add -out ""`)
	}
	return chosen, nil
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) }

// bench is one run: where it works and what it found.
type bench struct {
	options
	root, tmp, bin, cache string
	c                     *corpus
	live                  *archivetest.Server // the last warm start
	r                     *report
}

// settleTime is how long after switching to its cached state a server is
// given before its settled memory is read.
const settleTime = 3 * time.Second

// flushWrites has the system write the files written so far to the disk
// before a program is timed, so that none pays for the writes of the one
// before: Hugo and Pagefind leave some 220 MB of their sites to write at
// 10,000 publications, and with 2.4 GB pending the archive's cold start
// took 2 s longer.
func flushWrites() { syscall.Sync() }

// unlimited turns the per-client search limit off: the benchmark is one
// client searching back to back. The cap on searches at once stays.
var unlimited = []string{"-search-rate", "0"}

func run(ctx context.Context, o options) error {
	b := &bench{options: o, r: &report{options: o, Date: time.Now(), LoadStart: loadAverage()}}
	b.root = filepath.Dir(cmdOutput("go", "env", "GOMOD"))
	var err error
	if b.tmp, err = os.MkdirTemp("", "archive-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.tmp)
	defer archivetest.RemoveBinary()
	if b.bin, err = archivetest.Binary(); err != nil {
		return err
	}
	logf("writing a corpus of %d publications", o.n)
	if b.c, err = writeCorpus(filepath.Join(b.tmp, "corpus"), filepath.Join(b.root, "..", "shared", "corpus"), o.n); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	b.r.Corpus = b.c
	defer func() {
		if b.live != nil {
			b.live.Stop()
		}
	}()
	for i, step := range []func(context.Context) error{b.starts, b.pages, b.flood, b.build, b.goBench, b.redeploy, b.peers} {
		if !o.steps[steps[i]] {
			continue
		}
		if err := step(ctx); err != nil {
			return err
		}
	}
	b.r.Commit = git(b.root, "rev-parse", "--short", "HEAD")
	b.r.Dirty = git(b.root, "status", "--porcelain", "--untracked-files=no") != ""
	b.r.GoVersion = cmdOutput("go", "env", "GOVERSION")
	b.r.Machine, b.r.LoadEnd = machine(), loadAverage()
	if o.out == "" {
		fmt.Println(b.r.markdown())
		return nil
	}
	out := filepath.Join(b.root, o.out)
	logf("writing %s", out)
	return updateFile(out, b.r)
}

// start is what one start measured.
type start struct {
	archivetest.Health
	Mem archivetest.Memory
	// Cold starts: the time from ready until the server serves the state
	// it cached, and its memory then.
	Cached  time.Duration
	Settled archivetest.Memory
}

// serve starts the archive and measures its start.
func (b *bench) serve(ctx context.Context, name string, args ...string) (*archivetest.Server, start, error) {
	flushWrites()
	s, h, err := archivetest.Serve(ctx, archivetest.Config{Bin: b.bin, Args: args, Dir: b.tmp, Log: filepath.Join(b.tmp, name+".log")}, b.startTimeout)
	if err != nil {
		return nil, start{}, fmt.Errorf("%s: %w", name, err)
	}
	st := start{Health: h}
	if st.Mem, err = s.Memory(); err != nil {
		s.Stop()
		return nil, st, err
	}
	logf("%s: ready in %s (content %s, PDF %s, render %s, index %s), RSS %s", name, fmtDur(h.Ready), fmtDur(h.Timings.Content),
		fmtDur(h.Timings.PDF), fmtDur(h.Timings.Render), fmtDur(h.Timings.Index), fmtBytes(st.Mem.RSS))
	return s, st, nil
}

// starts measures cold and warm starts; the last warm server stays up.
func (b *bench) starts(ctx context.Context) error {
	for i := 1; i <= b.runs; i++ {
		os.RemoveAll(b.cache) // caches of 10,000 publications take room
		b.cache = filepath.Join(b.tmp, fmt.Sprintf("cache-%d", i))
		source := append([]string{"-content", b.c.Dir, "-cache", b.cache}, unlimited...)
		s, cold, err := b.serve(ctx, fmt.Sprintf("cold-%d", i), source...)
		if err != nil {
			return err
		}
		// The next start can use the cache once the state is in it.
		h, err := s.Health(ctx)
		for deadline := time.Now().Add(5 * time.Minute); err != nil || h.Timings.Source != "state"; h, err = s.Health(ctx) {
			if time.Now().After(deadline) || ctx.Err() != nil {
				s.Stop()
				return fmt.Errorf("cold start %d: the server did not switch to the state it cached:\n%s", i, s.Log())
			}
			time.Sleep(50 * time.Millisecond)
		}
		cold.Cached = h.Ready - cold.Ready
		// The server gives back what loading took once it has switched,
		// not at the instant /healthz says so.
		time.Sleep(settleTime)
		cold.Settled, _ = s.Memory()
		s.Stop()
		b.r.Cold = append(b.r.Cold, cold)
		s, warm, err := b.serve(ctx, fmt.Sprintf("warm-%d", i), source...)
		if err != nil {
			return err
		}
		b.r.Warm = append(b.r.Warm, warm)
		if i < b.runs {
			s.Stop()
		} else {
			b.live = s
		}
	}
	return nil
}

// load runs wrk on paths: every request must be answered with a 2xx or 3xx.
func (b *bench) load(ctx context.Context, base string, reqs []wrk.Request, d time.Duration) (wrk.Result, error) {
	res, err := wrk.Run(ctx, wrk.Load{URL: base, Requests: reqs, Conns: b.conns, Duration: d})
	if err == nil && (res.Status > 0 || res.Unanswered() > 0 || res.Requests == 0) {
		err = fmt.Errorf("load on %s: %d requests, %d unanswered, %d answered 400 or more", base, res.Requests, res.Unanswered(), res.Status)
	}
	logf("load on %s: %s", base, loadOne(res))
	return res, err
}

// requests makes the page load: every path in turn, gzip accepted, from
// the client network client when it is not "".
func requests(paths []string, query, client string) []wrk.Request {
	out := make([]wrk.Request, len(paths))
	for i, p := range paths {
		out[i] = wrk.Request{Path: p + query, Header: map[string]string{"Accept-Encoding": "gzip"}}
		if client != "" {
			out[i].Header["X-Forwarded-For"] = client
		}
	}
	return out
}

// pages measures page throughput against the bare server, then searches
// over HTTP, idle and under the page load.
func (b *bench) pages(ctx context.Context) error {
	bare, err := serveBare(ctx, b.live.URL, b.c.URLs)
	if err != nil {
		return err
	}
	defer bare.Close()
	gz := requests(b.c.URLs, "", "")
	// Each server's CPU time per request too: on a machine shared with other
	// work, req/s follow the share of the cores a server gets, CPU time per
	// request much less. The bare server is this process, idle meanwhile.
	perRequest := func(pid int, load func() (wrk.Result, error)) (wrk.Result, time.Duration, error) {
		before := processCPU(pid)
		res, err := load()
		cpu := (processCPU(pid) - before) / time.Duration(max(res.Requests, 1))
		logf("… %s of CPU per request", cpu)
		return res, cpu, err
	}
	for range b.runs {
		archive, archiveCPU, err := perRequest(b.live.Cmd.Process.Pid, func() (wrk.Result, error) { return b.load(ctx, b.live.URL, gz, b.duration) })
		if err != nil {
			return err
		}
		bareRes, bareCPU, err := perRequest(os.Getpid(), func() (wrk.Result, error) { return b.load(ctx, "http://"+bare.Addr, gz, b.duration) })
		if err != nil {
			return err
		}
		b.r.Archive, b.r.Bare = append(b.r.Archive, archive), append(b.r.Bare, bareRes)
		b.r.ArchiveCPU, b.r.BareCPU = append(b.r.ArchiveCPU, archiveCPU), append(b.r.BareCPU, bareCPU)
	}
	before := processCPU(b.live.Cmd.Process.Pid)
	if b.r.SearchIdle, err = searchHTTP(ctx, b.live.URL, nil); err != nil {
		return err
	}
	b.r.SearchIdleCPU = (processCPU(b.live.Cmd.Process.Pid) - before) / time.Duration(max(len(b.r.SearchIdle), 1))
	logf("… %s of CPU per search", b.r.SearchIdleCPU)
	// The same mix from wrk, whose client costs less than Go's: Go's opens
	// a gzip reader for every answer and hands each request between
	// goroutines, which added a few tenths of a millisecond to every search.
	for range b.runs {
		res, err := wrk.Run(ctx, wrk.Load{URL: b.live.URL, Requests: searchRequests(), Conns: 1, Duration: b.duration})
		if err == nil && (res.Requests == 0 || res.Unanswered() > 0 || res.Status > 0) {
			err = fmt.Errorf("search with wrk: %d searches, %d unanswered, %d answered 400 or more", res.Requests, res.Unanswered(), res.Status)
		}
		if err != nil {
			return err
		}
		logf("search with wrk: %s", loadOne(res))
		b.r.SearchWrk = append(b.r.SearchWrk, res)
	}
	done := make(chan error, 1)
	go func() {
		var err error
		b.r.BusyLoad, err = b.load(ctx, b.live.URL, gz, b.duration)
		done <- err
	}()
	b.r.SearchBusy, err = searchHTTP(ctx, b.live.URL, done)
	if err != nil {
		return err
	}
	b.r.AfterLoad, err = b.live.Memory()
	b.live.Stop()
	b.live = nil
	return err
}

// serveBare fetches every page of the archive as wrk will (gzip accepted)
// and serves the same headers and bytes from a map, on loopback: the
// yardstick for page throughput. Whatever the archive costs beyond it is
// routing, middleware, logging and lookups.
func serveBare(ctx context.Context, base string, paths []string) (*http.Server, error) {
	type page struct {
		header http.Header
		body   []byte
	}
	pages := map[string]page{}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}} // keep the gzip body as sent
	for _, p := range paths {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+p, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s %v", p, res.Status, err)
		}
		res.Header.Del("Date") // net/http writes its own
		pages[p] = page{res.Header, body}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		for k, v := range p.header {
			w.Header()[k] = v
		}
		w.Write(p.body)
	})}
	go srv.Serve(ln)
	return srv, nil
}

// processCPU is the CPU time, user and system, process pid has used so far,
// from /proc/PID/stat (in clock ticks, 100 a second on Linux); 0 when it
// cannot be read.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command's name, in parentheses, may hold spaces: the fields
	// count from after it, where the third is the process's state.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(f[11], 10, 64)
	system, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(user+system) * (time.Second / 100)
}

// searchQueries are searches of the Go blog's words, in the proportions a
// journalist types them: words common and rare, two and three words, exact
// quotes (some from the PDFs), filters, prefixes, OR and an excluded word.
// Change them only with a note in BENCHMARKS.md: figures before and after
// are not comparable.
var searchQueries = []string{
	"q=language", "q=package", "q=performance", "q=compiler",
	"q=anecdotally", "q=shuffling", "q=transient", "q=autocompletion", "q=woodchuck", "q=tracemonkey",
	"q=garbage+collector", "q=error+handling", "q=type+parameters", "q=module+proxy", "q=data+race",
	"q=standard+library+packages", "q=concurrent+garbage+collection", "q=interface+method+values",
	`q="errors+are+values"`, `q="the+Go+programming+language"`, `q="hash+table+using+open+addressing"`,
	`q="Programs+that+write+programs+are+therefore+important+elements+in+software+engineering"`, `q="I+went+to+the+woods"`,
	"q=performance&section=blog-01", "q=compiler&year=2019", "q=release&tag=community",
	"q=concurr*", "q=serializ*", "q=mutex+OR+channel", "q=goroutine+-channel",
}

// searchRequests are searchQueries on /api/search for wrk, gzip accepted
// as Go's client asks for it.
func searchRequests() []wrk.Request {
	out := make([]wrk.Request, len(searchQueries))
	for i, q := range searchQueries {
		out[i] = wrk.Request{Path: searchPath(q), Header: map[string]string{"Accept-Encoding": "gzip"}}
	}
	return out
}

// searchPath is the API's path for a query of searchQueries.
func searchPath(q string) string {
	return "/api/search?" + strings.ReplaceAll(q, `"`, url.QueryEscape(`"`))
}

// idleRounds is how many times the idle search runs the mix: 600 searches,
// where five rounds' 150 were few for a 99th percentile (its second
// slowest) and let the first round, on a cold page cache, weigh on the
// median.
const idleRounds = 20

// searchHTTP runs the mix on /api/search, idleRounds times over or, when until is
// not nil, until it says the page load is over (and returns its error).
func searchHTTP(ctx context.Context, base string, until <-chan error) ([]time.Duration, error) {
	var took []time.Duration
	for round := 0; until != nil || round < idleRounds; round++ {
		for _, q := range searchQueries {
			select {
			case err := <-until:
				return took, err
			default:
			}
			u := base + searchPath(q)
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			t0 := time.Now()
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return took, err
			}
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			took = append(took, time.Since(t0))
			if err != nil || res.StatusCode != http.StatusOK {
				return took, fmt.Errorf("search over HTTP: GET %s: %s %v", u, res.Status, err)
			}
		}
	}
	return took, nil
}

// flood measures the readers' pages beside a flood of highlighted pages,
// against the same beside a flood of plain pages, on a server with the
// per-client limits as deployed, behind loopback as its trusted proxy so
// that X-Forwarded-For makes the flood and the readers two networks.
func (b *bench) flood(ctx context.Context) error {
	s, _, err := b.serve(ctx, "flood", "-content", b.c.Dir, "-cache", b.cache, "-trusted-proxies", "127.0.0.1/32")
	if err != nil {
		return err
	}
	defer s.Stop()
	d := min(b.duration, maxFloodPhase)
	readers := requests(b.c.URLs, "", "198.51.100.7")
	beside := func(query string) (wrk.Result, error) {
		done := make(chan error, 1)
		go func() { _, err := b.load(ctx, s.URL, requests(b.c.URLs, query, "192.0.2.66"), d); done <- err }()
		res, err := b.load(ctx, s.URL, readers, d)
		return res, errors.Join(err, <-done)
	}
	for range b.runs {
		plain, err := beside("")
		if err != nil {
			return err
		}
		hl, err := beside("?hl=the") // "the" is on every line: the most marks a page gets
		if err != nil {
			return err
		}
		b.r.FloodPlain, b.r.FloodHL = append(b.r.FloodPlain, plain), append(b.r.FloodHL, hl)
	}
	return nil
}

// build makes a build of the corpus with `archive build` and starts
// servers of it, as a deploy does, then loads the last one with pages.
func (b *bench) build(ctx context.Context) error {
	out := filepath.Join(b.tmp, "build")
	t0 := time.Now()
	if msg, err := exec.CommandContext(ctx, b.bin, "build", "-content", b.c.Dir, "-o", out).CombinedOutput(); err != nil {
		return fmt.Errorf("archive build: %w\n%s", err, msg)
	}
	b.r.BuildTook = time.Since(t0)
	defer os.RemoveAll(out)
	var last *archivetest.Server
	for i := 1; i <= b.runs; i++ {
		if last != nil {
			last.Stop()
		}
		// The build's files are in the system's page cache, as they are
		// after a deploy has just copied them.
		s, st, err := b.serve(ctx, fmt.Sprintf("from-%d", i), append([]string{"-from", out}, unlimited...)...)
		if err != nil {
			return err
		}
		b.r.FromBuild, last = append(b.r.FromBuild, st), s
	}
	defer last.Stop()
	var err error
	if b.r.FromBuildLoad, err = b.load(ctx, last.URL, requests(b.c.URLs, "", ""), b.duration); err != nil {
		return err
	}
	b.r.FromBuildMem, err = last.Memory()
	return err
}

var goBenchCmds = [][]string{
	{"go", "test", "-run", "^$", "-bench", ".", "-count", "1", "./internal/search", "./internal/site"},
	// OCR takes seconds a page: two rounds of its benchmark's pages.
	{"go", "test", "-run", "^$", "-bench", "OCR", "-benchtime", "2x", "-count", "1", "./internal/pdftext"},
}

// searchAtN is BenchmarkSearch over an index of the run's size, on disk as
// serve -cache builds it: issue 17's search target is set at 10,000
// publications, which the Go blog alone is not.
var searchAtN = []string{"go", "test", "-run", "^$", "-bench", "^BenchmarkSearch$", "-benchtime", "3000x", "-count", "1", "./internal/search"}

// searchAtNEnv is the environment that makes searchAtN index n
// publications (see benchSize in internal/search).
func searchAtNEnv(n int) []string {
	return []string{fmt.Sprintf("ARCHIVE_BENCH_N=%d", n), "ARCHIVE_BENCH_DISK=1"}
}

// goBench runs the in-process benchmarks of the packages that have them,
// then searchAtN.
func (b *bench) goBench(ctx context.Context) error {
	var lines []string
	for _, argv := range goBenchCmds {
		out, err := b.goTest(ctx, nil, argv)
		if err != nil {
			return err
		}
		lines = append(lines, out...)
	}
	b.r.GoBench = strings.Join(lines, "\n")
	out, err := b.goTest(ctx, searchAtNEnv(b.c.N), searchAtN)
	b.r.GoSearchAtN = strings.Join(out, "\n")
	return err
}

// goTest runs a go test -bench command and returns its output's lines,
// but for PASS and ok.
func (b *bench) goTest(ctx context.Context, env, argv []string) ([]string, error) {
	logf("%s", strings.Join(append(slices.Clone(env), argv...), " "))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = b.root
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench: %w\n%s", err, out)
	}
	var lines []string
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "PASS") && !strings.HasPrefix(line, "ok ") && line != "" {
			lines = append(lines, line)
		}
	}
	return lines, nil
}

func git(dir string, args ...string) string {
	return strings.TrimSpace(cmdOutput("git", append([]string{"-C", dir}, args...)...))
}

func cmdOutput(name string, args ...string) string {
	out, _ := exec.Command(name, args...).Output()
	return string(bytes.TrimSpace(out))
}
