// Command bench measures the archive at a given size and writes the figures
// to BENCHMARKS.md, beside the targets of issue 7. `make bench` runs it.
//
//	bench [-n 1000] [-seed 1] [-runs 3] [-duration 10s] [-conns 64] [-out BENCHMARKS.md]
//	bench -profile DIR [-n 10000]
//
// # What it measures
//
// It builds the real binary (go build ./cmd/archive) and generates a corpus
// of n publications with package benchgen into a folder under the system's
// temporary folder (archive-bench-<n>-<seed>), reused by later runs of the
// same size and seed. Then, over loopback:
//
//   - Cold start: `archive serve -cache <empty folder>`, from exec to the
//     first /healthz 200 (polled every 10 ms), and the server's own timings
//     of its steps read from its log (content loaded, PDF text ready, pages
//     rendered, ready). Resident memory (VmRSS, VmHWM) from /proc right
//     after. PDF pages per second: the pages of the PDFs it extracted (its
//     "pdf text extracted" lines) divided by its PDF step.
//   - Warm start: the same, with the cache the cold start left.
//     Both are repeated -runs times; the last warm server stays up for:
//   - Page throughput: every publication page is fetched once (gzip
//     accepted) and a bare net/http server in a process of its own (this
//     program with -bare) is given the same headers and bytes. A load
//     generator of this package keeps -conns connections busy for
//     -duration on the archive and then on the bare server, -runs times in
//     turn, cycling through all publication pages. It reports requests per
//     second and p50/p99 latency; the ratio of the medians is the figure.
//   - Search over HTTP: a fixed mix of 30 queries (search.go) on
//     /api/search, idle and while pages are loaded at -conns connections.
//   - Highlighted pages flooded (flood.go): a server of the same cache with
//     the per-client limits as deployed; readers' page rate while one
//     client floods `?hl=` pages, divided by their rate while it floods
//     plain pages, -conns connections each, at most 5 s a phase.
//   - Search in process: package search opens the index as the server
//     does (reopening the server's cached index when it matches) and runs
//     the mix -rounds times.
//
// The figures, the machine, the command, the date and the commit go into
// BENCHMARKS.md, in the section of this corpus size.
//
// -profile DIR instead runs the start's steps in this process (content.Load,
// site.Build, search.Build) with a CPU profile of each and a heap profile
// at the end, for `go tool pprof`.
//
// The load generator is the package's own (load.go): no shared one existed
// when it was written.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"archive/internal/benchgen"
)

type options struct {
	n, runs, conns, rounds int
	seed                   uint64
	duration               time.Duration
	startTimeout           time.Duration
	out, corpus, shared    string
	goCmd                  string
	keep                   bool
	profile                string
	steps                  string
	command                string
}

func main() {
	var o options
	fl := flag.NewFlagSet("bench", flag.ExitOnError)
	fl.IntVar(&o.n, "n", 1000, "publications in the generated corpus")
	fl.Uint64Var(&o.seed, "seed", 1, "seed of the generated corpus")
	fl.IntVar(&o.runs, "runs", 3, "times each start and each page load is measured (the median is reported)")
	fl.DurationVar(&o.duration, "duration", 10*time.Second, "length of each page load")
	fl.IntVar(&o.conns, "conns", 64, "concurrent connections of the page load")
	fl.IntVar(&o.rounds, "rounds", 20, "times the query mix is run in process")
	fl.DurationVar(&o.startTimeout, "start-timeout", 30*time.Minute, "longest a start may take")
	fl.StringVar(&o.out, "out", "BENCHMARKS.md", "file to write the figures into, relative to the repository (\"\" writes none)")
	fl.StringVar(&o.corpus, "corpus", "", "folder of the generated corpus (default: <temp>/archive-bench-<n>-<seed>)")
	fl.StringVar(&o.shared, "shared", "", "shared test material, with markdown/go-blog and pdf/ (default: ../shared/corpus beside the repository)")
	fl.StringVar(&o.goCmd, "go", "go", "go command that builds the archive")
	fl.BoolVar(&o.keep, "keep", false, "keep the run's temporary folder (binary, caches, logs)")
	fl.StringVar(&o.profile, "profile", "", "write CPU and heap profiles of the start's steps, run in this process, to this folder, instead of benchmarking")
	fl.StringVar(&o.steps, "steps", "load,render,index,search", "with -profile: the steps to run, of load,render,index,search,serve (each needs the ones before, except serve)")
	fl.StringVar(&o.command, "command", "", "how the run was started, for BENCHMARKS.md (default: the command line)")
	bare := fl.Bool("bare", false, "internal: serve the pages in -pages on -addr")
	addr := fl.String("addr", "", "internal: address of the bare server")
	pages := fl.String("pages", "", "internal: pages of the bare server")
	fl.Parse(os.Args[1:])

	if *bare {
		if err := serveBare(*addr, *pages); err != nil {
			fmt.Fprintln(os.Stderr, "bench -bare:", err)
			os.Exit(1)
		}
		return
	}
	if o.command == "" {
		o.command = "go run ./cmd/bench " + strings.Join(os.Args[1:], " ")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	if o.profile != "" {
		err = runProfile(ctx, o)
	} else {
		err = run(ctx, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// setup is what both modes need: the repository, a temporary folder, the
// binary and the corpus.
type setup struct {
	root, tmp, bin, corpus string
	sum                    *benchgen.Summary
	reused                 bool
	genTook                time.Duration
}

func prepare(ctx context.Context, o options) (*setup, error) {
	s := &setup{}
	var err error
	if s.root, err = repoRoot(); err != nil {
		return nil, err
	}
	if s.tmp, err = os.MkdirTemp("", "archive-bench-run-"); err != nil {
		return nil, err
	}
	s.bin = filepath.Join(s.tmp, "archive")
	logf("building %s", s.bin)
	build := exec.CommandContext(ctx, o.goCmd, "build", "-o", s.bin, "./cmd/archive")
	build.Dir, build.Stdout, build.Stderr = s.root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return s, fmt.Errorf("go build ./cmd/archive: %w", err)
	}

	shared := o.shared
	if shared == "" {
		shared = filepath.Join(filepath.Dir(s.root), "shared", "corpus")
	}
	s.corpus = o.corpus
	if s.corpus == "" {
		s.corpus = filepath.Join(os.TempDir(), fmt.Sprintf("archive-bench-%d-%d", o.n, o.seed))
	}
	logf("corpus of %d publications in %s", o.n, s.corpus)
	start := time.Now()
	s.sum, s.reused, err = benchgen.Ensure(s.corpus, benchgen.Config{
		N:        o.n,
		Seed:     o.seed,
		ProseDir: filepath.Join(shared, "markdown", "go-blog"),
		PDFDir:   filepath.Join(shared, "pdf"),
	})
	if err != nil {
		return s, fmt.Errorf("generate corpus: %w", err)
	}
	s.genTook = time.Since(start)
	return s, nil
}

func (s *setup) cleanup(keep bool) {
	if s == nil || s.tmp == "" {
		return
	}
	if keep {
		logf("kept %s", s.tmp)
		return
	}
	os.RemoveAll(s.tmp)
}

func run(ctx context.Context, o options) (err error) {
	s, err := prepare(ctx, o)
	defer s.cleanup(o.keep)
	if err != nil {
		return err
	}
	r := &report{
		N: o.n, Date: time.Now(), Runs: o.runs, Duration: o.duration, Conns: o.conns, Command: o.command,
		Corpus: s.sum, CorpusDir: s.corpus, CorpusReused: s.reused, CorpusTook: s.genTook,
	}
	r.LoadStart = loadAverage()
	r.Commit, r.Dirty = gitCommit(s.root)
	r.GoVersion = goVersion(o.goCmd)
	r.Machine = machine()
	self, err := os.Executable()
	if err != nil {
		return err
	}

	// Starts: cold (empty cache), then warm (its cache), -runs times. The
	// last warm server stays up for the load.
	extra := serveFlags(s.bin)
	r.ServeFlags = strings.Join(extra, " ")
	var live *archiveProc
	var cache string
	for i := 1; i <= o.runs; i++ {
		if cache != "" {
			os.RemoveAll(cache) // caches of 10,000 publications take room
		}
		cache = filepath.Join(s.tmp, fmt.Sprintf("cache-%d", i))
		p, res, err := startArchive(ctx, s.bin, extra, []string{"-content", s.corpus, "-cache", cache}, s.tmp, filepath.Join(s.tmp, fmt.Sprintf("cold-%d.log", i)), o.startTimeout)
		if err != nil {
			return fmt.Errorf("cold start %d: %w", i, err)
		}
		if err := p.waitStateCached(ctx, &res, o.startTimeout); err != nil {
			logf("cold start %d: %v", i, err)
		}
		p.stop()
		r.Cold = append(r.Cold, res)
		if res.PDF > 0 && res.PDFPages > 0 {
			r.PDFPagesPerSecond = append(r.PDFPagesPerSecond, float64(res.PDFPages)/res.PDF.Seconds())
			r.Pages = res.PDFPages
		}
		if res.PDFChildTime > 0 {
			r.PDFChildPagesPerSecond = append(r.PDFChildPagesPerSecond, float64(res.PDFPages)/res.PDFChildTime.Seconds())
		}
		logf("cold start %d: ready in %v (content %v, PDF %v for %d files / %d pages, render %v, index %v), RSS %s; state cached %v later, RSS then %s",
			i, res.Ready, res.Content, res.PDF, res.PDFFiles, res.PDFPages, res.Render, res.Index, fmtBytes(res.Mem.RSS), res.Cached, fmtBytes(res.Settled.RSS))

		p, res, err = startArchive(ctx, s.bin, extra, []string{"-content", s.corpus, "-cache", cache}, s.tmp, filepath.Join(s.tmp, fmt.Sprintf("warm-%d.log", i)), o.startTimeout)
		if err != nil {
			return fmt.Errorf("warm start %d: %w", i, err)
		}
		r.Warm = append(r.Warm, res)
		logf("warm start %d: ready in %v (content %v, PDF %v, render %v, index %v), RSS %s",
			i, res.Ready, res.Content, res.PDF, res.Render, res.Index, fmtBytes(res.Mem.RSS))
		if i < o.runs {
			p.stop()
		} else {
			live = p
		}
	}
	defer func() {
		if live != nil {
			live.stop()
		}
	}()

	if err := measureLoad(ctx, o, s, self, live, r); err != nil {
		return err
	}
	live.stop()
	live = nil
	if err := measureHighlightFlood(ctx, o, s, cache, r); err != nil {
		return err
	}

	logf("search in process")
	ip, err := searchInProcess(ctx, s.bin, s.corpus, cache, o.rounds)
	if err != nil {
		r.InProcessNote = "failed: " + firstLine(err.Error())
		logf("search in process: %v", err)
	}
	r.InProcess = ip
	logf("search in process: p50 %v, p99 %v over %d searches (index %v, cached %v)", ip.All.P50, ip.All.P99, ip.All.N, ip.Build, ip.Cached)

	if err := measureBuild(ctx, o, s, extra, r); err != nil {
		return err
	}

	r.LoadEnd = loadAverage()
	if o.out == "" {
		fmt.Println(r.markdown())
		return nil
	}
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(s.root, out)
	}
	if err := updateFile(out, r); err != nil {
		return err
	}
	logf("wrote %s", out)
	return nil
}

// measureLoad runs the page loads, the bare server and the HTTP searches
// against the running archive.
func measureLoad(ctx context.Context, o options, s *setup, self string, live *archiveProc, r *report) error {
	logf("fetching %d publication pages", len(s.sum.URLs))
	pages, err := fetchPages(ctx, live.addr, s.sum.URLs)
	if err != nil {
		return err
	}
	bare, err := startBare(ctx, self, filepath.Join(s.tmp, "pages.gob"), pages)
	if err != nil {
		return err
	}
	defer bare.stop()
	pages = nil

	lc := loadConfig{Paths: s.sum.URLs, Conns: o.conns, Duration: o.duration, Header: "Accept-Encoding: gzip\r\n"}
	for i := 1; i <= o.runs; i++ {
		for _, target := range []struct {
			name string
			addr string
			out  *[]loadResult
		}{{"archive", live.addr, &r.Archive}, {"bare", bare.addr, &r.Bare}} {
			lc.Addr = target.addr
			res, err := runLoad(ctx, lc)
			if err != nil {
				return fmt.Errorf("%s: %w", target.name, err)
			}
			*target.out = append(*target.out, res)
			logf("load %d on %s: %s", i, target.name, loadOne(res))
		}
	}
	if r.AfterLoad, err = readMem(live.pid()); err != nil {
		return err
	}
	r.BareMem, _ = readMem(bare.pid())

	// Search over HTTP: a failure is reported in the table, and the run
	// goes on, so that the other figures are not lost.
	logf("search over HTTP")
	r.SearchIdle, err = searchHTTP(ctx, live.addr, 5, nil)
	if errors.Is(err, errSearchUnavailable) {
		r.SearchHTTPNote = "not measured: the archive does not answer /api/search yet"
		logf("%s", r.SearchHTTPNote)
		return nil
	}
	if err != nil {
		r.SearchHTTPNote = "failed: " + firstLine(err.Error())
		logf("search over HTTP: %v", err)
		return nil
	}
	lc.Addr = live.addr
	done := make(chan struct{})
	var loadErr error
	go func() {
		defer close(done)
		r.BusyLoad, loadErr = runLoad(ctx, lc)
	}()
	r.SearchBusy, err = searchHTTP(ctx, live.addr, 0, done)
	<-done
	if err == nil {
		err = loadErr
	}
	if err != nil {
		r.SearchHTTPNote = "failed under load: " + firstLine(err.Error())
		logf("search over HTTP under load: %v", err)
		return nil
	}
	if m, err := readMem(live.pid()); err == nil {
		r.AfterLoad = m
	}
	logf("search over HTTP: idle p50 %v p99 %v; under load p50 %v p99 %v", r.SearchIdle.P50, r.SearchIdle.P99, r.SearchBusy.P50, r.SearchBusy.P99)
	return nil
}

// measureBuild makes a build of the corpus with `archive build` and starts
// servers of it, as a deploy does, then loads the last one with pages.
func measureBuild(ctx context.Context, o options, s *setup, extra []string, r *report) error {
	out := filepath.Join(s.tmp, "build")
	os.RemoveAll(out)
	logf("archive build")
	cmd := exec.CommandContext(ctx, s.bin, "build", "-content", s.corpus, "-o", out)
	cmd.Dir = s.tmp
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("archive build: %w\n%s", err, tailText(string(b), 20))
	}
	r.BuildTook = time.Since(start)
	logf("archive build: %v", r.BuildTook)
	defer os.RemoveAll(out)
	var last *archiveProc
	for i := 1; i <= o.runs; i++ {
		// The build's files are in the system's page cache, as they are
		// after a deploy has just copied them.
		p, res, err := startArchive(ctx, s.bin, extra, []string{"-from", out}, s.tmp, filepath.Join(s.tmp, fmt.Sprintf("from-%d.log", i)), o.startTimeout)
		if err != nil {
			return fmt.Errorf("start from the build %d: %w", i, err)
		}
		r.FromBuild = append(r.FromBuild, res)
		logf("start from the build %d: ready in %v (opened pages %v), RSS %s", i, res.Ready, res.Render, fmtBytes(res.Mem.RSS))
		if last != nil {
			last.stop()
		}
		last = p
	}
	defer last.stop()
	lc := loadConfig{Paths: s.sum.URLs, Conns: o.conns, Duration: o.duration, Header: "Accept-Encoding: gzip\r\n", Addr: last.addr}
	res, err := runLoad(ctx, lc)
	if err != nil {
		return fmt.Errorf("load on the build's server: %w", err)
	}
	r.FromBuildLoad = res
	r.FromBuildMem, _ = readMem(last.pid())
	logf("load on the build's server: %s", loadOne(res))
	return nil
}

func tailText(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// repoRoot is the folder holding go.mod, from the working folder up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run bench inside the repository (no go.mod found)")
		}
		dir = parent
	}
}

func gitCommit(root string) (string, bool) {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown", false
	}
	status, _ := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
	return strings.TrimSpace(string(out)), len(strings.TrimSpace(string(status))) > 0
}

func goVersion(goCmd string) string {
	out, err := exec.Command(goCmd, "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

// machine describes the CPU and memory: "2 × AMD EPYC, 23.4 GiB, linux/amd64".
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m := parseMem(strings.Replace(string(b), "MemTotal", "VmRSS", 1))
		mem = ", " + fmtBytes(m.RSS) + " of memory"
	}
	return fmt.Sprintf("%d × %s%s, %s/%s", runtime.NumCPU(), model, mem, runtime.GOOS, runtime.GOARCH)
}
