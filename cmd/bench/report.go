package main

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"archive/internal/archivetest"
	"archive/internal/wrk"
)

// report is everything one run measured.
type report struct {
	options
	Date                    time.Time
	Commit                  string
	Dirty                   bool
	GoVersion, Machine      string
	LoadStart, LoadEnd      string // /proc/loadavg: other work on the machine slows every figure
	Corpus                  *corpus
	Cold, Warm, FromBuild   []start
	Redeploy                []start // one publication added, on the cache of the start before (redeploy.go)
	BuildTook               time.Duration
	Archive, Bare           []wrk.Result
	ArchiveCPU, BareCPU     []time.Duration // the server's CPU time per request of each load
	BusyLoad, FromBuildLoad wrk.Result
	AfterLoad, FromBuildMem archivetest.Memory
	SearchIdle, SearchBusy  []time.Duration
	SearchIdleCPU           time.Duration // the server's CPU time per idle search
	SearchWrk               []wrk.Result  // the idle searches' mix from wrk, one connection
	FloodPlain, FloodHL     []wrk.Result
	GoBench                 string      // the output of go test -bench, for benchstat
	GoSearchAtN             string      // the output of searchAtN
	Peers                   *peerReport // Hugo and Pagefind beside the archive (peers.go)
}

// Targets from the issues, for 10,000 publications on 2 cores; the cold
// start has its own target at 1,000.
const (
	targetWarm       = 2 * time.Second
	targetRedeploy   = 2 * time.Second
	targetFromBuild  = time.Second
	targetRSS        = 1 << 30
	targetSettled    = 300 << 20
	targetRatio      = 0.9
	targetFloodRatio = 0.8
	targetSearchP50  = time.Millisecond
	targetSearchP99  = 10 * time.Millisecond
	targetBusySearch = 25 * time.Millisecond
	maxFloodPhase    = 5 * time.Second
)

// updateFile replaces the section of r.N in the file at path, between its
// markers, or appends it; the rest of the file, written by hand, stays.
func updateFile(path string, r *report) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	begin, end := fmt.Sprintf("<!-- bench n=%d begin -->", r.n), fmt.Sprintf("<!-- bench n=%d end -->", r.n)
	section := begin + "\n" + strings.TrimSpace(r.markdown()) + "\n" + end + "\n"
	doc := string(old)
	if i, j := strings.Index(doc, begin), strings.Index(doc, end); i >= 0 && j > i {
		doc = doc[:i] + section + strings.TrimPrefix(doc[j+len(end):], "\n")
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	return os.WriteFile(path, []byte(strings.TrimLeft(doc, "\n")), 0o644)
}

// markdown writes the section of BENCHMARKS.md for this run.
func (r *report) markdown() string {
	var b strings.Builder
	c := r.Corpus
	fmt.Fprintf(&b, "## %s publications, %s PDFs\n\n", thousands(c.N), thousands(c.PDFs))
	dirty := ""
	if r.Dirty {
		dirty = " (with uncommitted changes)"
	}
	fmt.Fprintf(&b, "`%s` on %s, commit %s%s, %s; %s. Each start %d times; each page load (wrk) %d × %v at %d connections; medians with the range in brackets. "+
		"The archive ran with `%s`: the per-client search limit is off, since the benchmark is one client searching back to back.\n\n",
		r.command, r.Date.UTC().Format("2006-01-02 15:04 MST"), r.Commit, dirty, r.GoVersion, r.Machine, r.runs, r.runs, r.duration, r.conns, strings.Join(unlimited, " "))
	fmt.Fprintf(&b, "Load average (1, 5, 15 min) of the machine at the start: %s; at the end: %s.", r.LoadStart, r.LoadEnd)
	if busy(r.LoadStart) || busy(r.LoadEnd) {
		b.WriteString(" **Other work was running on the machine** (a load above 1 on 2 cores): the figures are slower and noisier than on an idle machine.")
	}
	fmt.Fprintf(&b, "\n\nCorpus: the Go blog's %d articles copied into %d sections, %s of Markdown; %s PDF attachments, copies of %d distinct text-bearing files (%s).\n\n",
		c.Articles, c.Sections, fmtBytes(c.MarkdownBytes), thousands(c.PDFs), len(c.DistinctPDFs), fmtBytes(c.PDFSize))

	b.WriteString("| figure | target | measured | met |\n| --- | --- | --- | --- |\n")
	row := func(fig, target, measured, met string) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", fig, target, measured, met)
	}
	step := func(starts []start, name string, f func(start) time.Duration) {
		row("… "+name, "", spread(field(starts, f), fmtDur), "")
	}
	timing := func(starts []start, target time.Duration, fig string) {
		ready := field(starts, func(s start) time.Duration { return s.Ready })
		row(fig, "≤ "+fmtDur(target), spread(ready, fmtDur), metLow(median(ready), target))
		if len(starts) == 0 {
			return
		}
		if starts[0].Timings.Source == "state" {
			step(starts, "from the state: pages opened", func(s start) time.Duration { return s.Timings.Render })
			step(starts, "from the state: ready (pages and search index)", func(s start) time.Duration { return s.Timings.Total })
			return
		}
		step(starts, "content loaded", func(s start) time.Duration { return s.Timings.Content })
		step(starts, fmt.Sprintf("PDF text (%d files extracted, %s pages)", starts[0].Timings.PDFExtracted, thousands(starts[0].Timings.PDFPages)), func(s start) time.Duration { return s.Timings.PDF })
		step(starts, "pages rendered", func(s start) time.Duration { return s.Timings.Render })
		step(starts, "search index", func(s start) time.Duration { return s.Timings.Index })
		step(starts, "pages served, search getting ready (the first `/healthz` answer with `\"pages\": true`)", func(s start) time.Duration { return s.PagesReady })
	}
	mem := func(starts []start, f func(start) archivetest.Memory) []int64 {
		return field(starts, func(s start) int64 { return f(s).RSS })
	}
	timing(r.Cold, coldTarget(r.n), "cold start (empty cache) to `/healthz` 200")
	timing(r.Warm, targetWarm, "warm start (the cache of the run before)")
	if len(r.Redeploy) > 0 {
		ready := field(r.Redeploy, func(s start) time.Duration { return s.Ready })
		row("redeploy: one publication added, start on the cache of the start before, to `/healthz` 200", "≤ "+fmtDur(targetRedeploy), spread(ready, fmtDur), metLow(median(ready), targetRedeploy))
	}
	row("`archive build` of the corpus", "", fmtDur(r.BuildTook), "")
	from := field(r.FromBuild, func(s start) time.Duration { return s.Ready })
	row("start from the build (`serve -from`) to `/healthz` 200", "< "+fmtDur(targetFromBuild), spread(from, fmtDur), metLow(median(from), targetFromBuild))
	step(r.FromBuild, "pages opened", func(s start) time.Duration { return s.Timings.Render })
	row("… resident memory after it", "", spread(mem(r.FromBuild, func(s start) archivetest.Memory { return s.Mem }), fmtBytes), "")
	row(fmt.Sprintf("… publication pages from the build (%d connections)", r.conns), "", loadOne(r.FromBuildLoad), "")
	row("… resident memory after that load", "", memText(r.FromBuildMem), "")
	for _, m := range []struct {
		fig    string
		starts []start
		f      func(start) archivetest.Memory
		target int64
	}{
		{"resident memory after a cold start", r.Cold, func(s start) archivetest.Memory { return s.Mem }, targetRSS},
		{"… settled: 3 s after it serves the state it cached", r.Cold, func(s start) archivetest.Memory { return s.Settled }, targetSettled},
		{"resident memory after a warm start", r.Warm, func(s start) archivetest.Memory { return s.Mem }, targetSettled},
	} {
		rss := mem(m.starts, m.f)
		row(m.fig, "≤ "+fmtBytes(m.target), spread(rss, fmtBytes), metLow(median(rss), m.target))
	}
	peak := field(r.Cold, func(s start) int64 { return s.Mem.Peak })
	row("… peak during a cold start (VmHWM)", "≤ "+fmtBytes(targetRSS), spread(peak, fmtBytes), metLow(median(peak), targetRSS))
	row("resident memory after the page and search load (warm start)", "", memText(r.AfterLoad), metLow(r.AfterLoad.RSS, targetRSS))

	row(fmt.Sprintf("publication pages, archive (%d connections)", r.conns), "", loadText(r.Archive), "")
	row("publication pages, bare `net/http`, same bytes", "", loadText(r.Bare), "")
	ratio := median(rates(r.Archive)) / median(rates(r.Bare))
	row("archive ÷ bare", fmt.Sprintf("≥ %.2f", targetRatio), fmt.Sprintf("%.2f", ratio), metHigh(ratio, targetRatio))
	row("… the servers' CPU time per page, archive and bare (steadier than req/s when other work runs)", "",
		fmt.Sprintf("%s and %s", spread(r.ArchiveCPU, fmtMicros), spread(r.BareCPU, fmtMicros)), "")
	flood := median(rates(r.FloodHL)) / median(rates(r.FloodPlain))
	row(fmt.Sprintf("readers' pages while one client floods `?hl=` pages ÷ while it floods plain pages (%d + %d connections, %v each)", r.conns, r.conns, min(r.duration, maxFloodPhase)),
		fmt.Sprintf("≥ %.2f", targetFloodRatio), fmt.Sprintf("%.2f (%s against %s req/s)", flood, thousands(median(rates(r.FloodHL))), thousands(median(rates(r.FloodPlain)))), metHigh(flood, targetFloodRatio))

	p50, p99 := benchFigure(r.GoSearchAtN, "BenchmarkSearch-", "p50-ms"), benchFigure(r.GoSearchAtN, "BenchmarkSearch-", "p99-ms")
	met := "not measured"
	if p50 > 0 {
		met = fmt.Sprintf("p50 %s; p99 %s", metLow(p50, targetSearchP50), metLow(p99, targetSearchP99))
	}
	row(fmt.Sprintf("search in process, p50 / p99 (`BenchmarkSearch` of internal/search over %s publications, its index on disk as `serve -cache` builds it)", thousands(r.Corpus.N)), "≤ 1 ms / ≤ 10 ms", fmtDur(p50)+" / "+fmtDur(p99), met)
	blog50, blog99 := benchFigure(r.GoBench, "BenchmarkSearch-", "p50-ms"), benchFigure(r.GoBench, "BenchmarkSearch-", "p99-ms")
	row("… over the Go blog and the shipped content alone, in memory (`BenchmarkSearch` below)", "", fmtDur(blog50)+" / "+fmtDur(blog99), "")
	idle, busyS := percentiles(r.SearchIdle), percentiles(r.SearchBusy)
	row(fmt.Sprintf("search over HTTP, idle, p50 / p99 (%s searches)", thousands(len(r.SearchIdle))), "", fmtDur(idle[0])+" / "+fmtDur(idle[1]), "")
	row("… the server's CPU time per search, its collector's on the other core included (steadier than the times when other work runs)", "", fmtDur(r.SearchIdleCPU), "")
	if len(r.SearchWrk) > 0 {
		p50 := field(r.SearchWrk, func(x wrk.Result) time.Duration { return x.P50 })
		p99 := field(r.SearchWrk, func(x wrk.Result) time.Duration { return x.P99 })
		var searches int64
		for _, x := range r.SearchWrk {
			searches += x.Requests
		}
		row(fmt.Sprintf("… the same mix from wrk, one connection, %v a run (%s searches), p50 / p99", r.duration, thousands(searches)), "≤ 1 ms / ≤ 10 ms",
			spread(p50, fmtDur)+" / "+spread(p99, fmtDur), fmt.Sprintf("p50 %s; p99 %s", metLow(median(p50), targetSearchP50), metLow(median(p99), targetSearchP99)))
	}
	row(fmt.Sprintf("search over HTTP while pages load at %d connections, p50 / p99 (%s searches)", r.conns, thousands(len(r.SearchBusy))), "p99 ≤ 25 ms",
		fmt.Sprintf("%s / %s (pages meanwhile: %s req/s)", fmtDur(busyS[0]), fmtDur(busyS[1]), thousands(r.BusyLoad.RPS())), metLow(busyS[1], targetBusySearch))
	perSecond := func(f func(start) time.Duration) []float64 {
		return field(r.Cold, func(s start) float64 { return float64(s.Timings.PDFPages) / max(f(s).Seconds(), 1e-9) })
	}
	if len(r.Cold) > 0 && r.Cold[0].Timings.PDFPages > 0 {
		row("PDF text, pages per second (cold start: the pages extracted ÷ the PDF step)", "", spread(perSecond(func(s start) time.Duration { return s.Timings.PDF }), thousands), "")
		row("… pages per second of one extracting child (pages ÷ the children's times added up)", "", spread(perSecond(func(s start) time.Duration { return s.Timings.PDFChild }), thousands), "")
	}

	if ocr := benchValue(r.GoBench, "BenchmarkOCR-", "pages/s"); ocr > 0 {
		row("OCR of scanned pages, pages per second (`BenchmarkOCR` of internal/pdftext, dense pages at 150 dpi)", "", fmt.Sprintf("%.2f", ocr), "")
	}
	var cmds []string
	for _, argv := range goBenchCmds {
		cmds = append(cmds, "`"+strings.Join(argv, " ")+"`")
	}
	fmt.Fprintf(&b, "\nIn process, %s (compare two runs with benchstat):\n\n```\n%s\n```\n", strings.Join(cmds, " and "), r.GoBench)
	fmt.Fprintf(&b, "\nAt %s publications, `%s %s`:\n\n```\n%s\n```\n", thousands(r.Corpus.N), strings.Join(searchAtNEnv(r.Corpus.N), " "), strings.Join(searchAtN, " "), r.GoSearchAtN)
	b.WriteString(r.Peers.markdown())
	return b.String()
}

func coldTarget(n int) time.Duration {
	if n <= 1000 {
		return 2 * time.Second
	}
	return 15 * time.Second
}

// benchFigure reads a figure in ms of a benchmark's line in out.
func benchFigure(out, name, unit string) time.Duration {
	return time.Duration(benchValue(out, name, unit) * float64(time.Millisecond))
}

// benchValue is the figure before unit on the line of benchmark name in
// go test -bench output, 0 when there is none.
func benchValue(out, name, unit string) float64 {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], name) {
			if i := slices.Index(f, unit); i > 0 {
				v, _ := strconv.ParseFloat(f[i-1], 64)
				return v
			}
		}
	}
	return 0
}

// percentile is the nearest-rank percentile of sorted, p in [0, 1].
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(max(int(float64(len(sorted))*p+0.999999)-1, 0), len(sorted)-1)]
}

// percentiles are the p50 and p99 of ds.
func percentiles(ds []time.Duration) [2]time.Duration {
	s := slices.Sorted(slices.Values(ds))
	return [2]time.Duration{percentile(s, 0.50), percentile(s, 0.99)}
}

func field[S, T any](xs []S, f func(S) T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func rates(rs []wrk.Result) []float64 { return field(rs, wrk.Result.RPS) }

// median of a list; of an even count, the mean of the middle two.
func median[T int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}

// spread writes the median of xs and, of several, their range in brackets.
func spread[T int64 | float64 | time.Duration](xs []T, f func(T) string) string {
	switch len(xs) {
	case 0:
		return "not measured"
	case 1:
		return f(xs[0])
	}
	return fmt.Sprintf("%s (%s–%s)", f(median(xs)), f(slices.Min(xs)), f(slices.Max(xs)))
}

func loadText(rs []wrk.Result) string {
	p50, p99 := field(rs, func(x wrk.Result) time.Duration { return x.P50 }), field(rs, func(x wrk.Result) time.Duration { return x.P99 })
	return fmt.Sprintf("%s req/s, p50 %s, p99 %s", spread(rates(rs), thousands), fmtDur(median(p50)), fmtDur(median(p99)))
}

func loadOne(x wrk.Result) string {
	return fmt.Sprintf("%s req/s, p50 %s, p99 %s, max %s, %s/s", thousands(x.RPS()), fmtDur(x.P50), fmtDur(x.P99), fmtDur(x.Max),
		fmtBytes(int64(float64(x.Bytes)/max(x.Elapsed.Seconds(), 1e-9))))
}

func memText(m archivetest.Memory) string {
	return fmt.Sprintf("%s (heap and stacks %s, mapped files %s)", fmtBytes(m.RSS), fmtBytes(m.Anon), fmtBytes(m.File))
}

// metLow says whether got is at most target, and by how much it is not.
func metLow[T int64 | time.Duration](got, target T) string {
	switch {
	case got <= 0:
		return "not measured"
	case got <= target:
		return "yes"
	}
	return fmt.Sprintf("**no**: %.1f× the target", float64(got)/float64(target))
}

func metHigh(got, target float64) string {
	if math.IsNaN(got) || math.IsInf(got, 0) {
		return "not measured" // a ratio of figures a partial run left out
	}
	if got >= target {
		return "yes"
	}
	return fmt.Sprintf("**no**: %.0f %% below", (target-got)/target*100)
}

func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d < 100*time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

func fmtMicros(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d)/1e3) }

func fmtBytes(n int64) string {
	switch {
	case n >= 10<<30:
		return fmt.Sprintf("%.0f GiB", float64(n)/(1<<30))
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
}

// thousands writes n, rounded, with commas: 12,345.
func thousands[T int | int64 | float64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// busy reports whether a load average shows a 1-minute load above 1.
func busy(loadavg string) bool {
	v, err := strconv.ParseFloat(strings.Fields(loadavg + " 0")[0], 64)
	return err == nil && v > 1
}

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b) + " ? ? ?")[:3], " ")
}

// machine describes the CPU and memory: "2 × AMD EPYC, 23 GiB of memory, linux/amd64".
func machine() string {
	info, _ := os.ReadFile("/proc/cpuinfo")
	model := "unknown CPU"
	if m := regexp.MustCompile(`model name\s*: (.*)`).FindSubmatch(info); m != nil {
		model = string(m[1])
	}
	var si syscall.Sysinfo_t
	syscall.Sysinfo(&si)
	return fmt.Sprintf("%d × %s, %s of memory, %s/%s", runtime.NumCPU(), model, fmtBytes(int64(si.Totalram)*int64(si.Unit)), runtime.GOOS, runtime.GOARCH)
}
