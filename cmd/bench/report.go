package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"archive/internal/benchgen"
)

// report is everything one run of the harness measured.
type report struct {
	N            int
	Date         time.Time
	Commit       string
	Dirty        bool
	GoVersion    string
	Machine      string
	Command      string
	ServeFlags   string // what the benchmark added to `archive serve`
	Runs         int
	Duration     time.Duration
	Conns        int
	Corpus       *benchgen.Summary
	CorpusDir    string
	CorpusReused bool
	CorpusTook   time.Duration
	// LoadStart and LoadEnd are /proc/loadavg's 1, 5 and 15 minute load
	// averages when the run began and ended: other work on the machine
	// slows every figure.
	LoadStart, LoadEnd string

	Cold, Warm    []startResult
	AfterLoad     memStatus
	Archive, Bare []loadResult
	BareMem       memStatus

	SearchHTTPNote          string // why there is no HTTP figure
	SearchIdle, SearchBusy  latencies
	BusyLoad                loadResult // the page load that ran beside the searches
	InProcess               inProcessResult
	InProcessNote           string
	PDFPagesPerSecond       []float64 // per cold start
	PDFChildPagesPerSecond  []float64 // per cold start: pages ÷ the children's times added up
	ColdDistinctPDFs, Pages int

	BuildTook     time.Duration // archive build of the corpus
	FromBuild     []startResult // serve -from the build
	FromBuildLoad loadResult    // the page load on the last of them
	FromBuildMem  memStatus     // after that load

	Flood []floodResult // readers beside a flood of plain and of highlighted pages
}

// Targets from the issue, for 10,000 publications on 2 cores; cold start
// has its own target at 1,000.
const (
	targetWarm      = 2 * time.Second
	targetRSS       = 1 << 30
	targetRatio     = 0.9
	targetSearchP50 = time.Millisecond
	targetSearchP99 = 10 * time.Millisecond
	targetBusyP99   = 25 * time.Millisecond
	// Issue 8: a server of a build starts in well under a second.
	targetFromBuild = time.Second
)

func coldTarget(n int) time.Duration {
	if n <= 1000 {
		return 2 * time.Second
	}
	return 15 * time.Second
}

// markers delimit the block of one corpus size in BENCHMARKS.md, so that
// `make bench` and `make bench N=10000` each replace only their own.
func markers(n int) (string, string) {
	return fmt.Sprintf("<!-- bench n=%d begin -->", n), fmt.Sprintf("<!-- bench n=%d end -->", n)
}

// updateFile replaces the block for r.N in the file at path, or appends it.
func updateFile(path string, r *report) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if len(old) == 0 {
		old = []byte(fileHeader)
	}
	return os.WriteFile(path, replaceBlock(old, r.N, r.markdown()), 0o644)
}

// replaceBlock puts block between the markers for n in doc, keeping the
// blocks in ascending order of n when it adds one.
func replaceBlock(doc []byte, n int, block string) []byte {
	begin, end := markers(n)
	full := begin + "\n" + strings.TrimSpace(block) + "\n" + end + "\n"
	s := string(doc)
	if i := strings.Index(s, begin); i >= 0 {
		if j := strings.Index(s[i:], end); j >= 0 {
			rest := strings.TrimPrefix(s[i+j+len(end):], "\n")
			return []byte(s[:i] + full + rest)
		}
	}
	// Before the first block of a larger corpus, else at the end.
	at := len(s)
	for rest, off := s, 0; ; {
		k := strings.Index(rest, "<!-- bench n=")
		if k < 0 {
			break
		}
		numEnd := strings.IndexByte(rest[k+13:], ' ')
		if numEnd > 0 {
			if m, err := strconv.Atoi(rest[k+13 : k+13+numEnd]); err == nil && m > n && strings.HasPrefix(rest[k+13+numEnd:], " begin") {
				at = off + k
				break
			}
		}
		off += k + 1
		rest = rest[k+1:]
	}
	if at == len(s) && !strings.HasSuffix(s, "\n\n") {
		s = strings.TrimRight(s, "\n") + "\n\n"
		at = len(s)
	}
	return []byte(s[:at] + full + "\n" + s[at:])
}

const fileHeader = `# Benchmarks

Written by ` + "`make bench`" + ` (1,000 publications) and ` + "`make bench N=10000`" + `; each run replaces the
section of its size below, so that a change can be compared with the last run. What is measured, and
how, is described in cmd/bench/main.go; every figure is the median of the repeated runs, with the
range of the runs in brackets.

`

// markdown writes the section of BENCHMARKS.md for this run.
func (r *report) markdown() string {
	var b bytes.Buffer
	c := r.Corpus
	fmt.Fprintf(&b, "## %s publications, %s PDFs\n\n", thousands(int64(c.N)), thousands(int64(c.PDFs)))
	dirty := ""
	if r.Dirty {
		dirty = " (with uncommitted changes)"
	}
	fmt.Fprintf(&b, "`%s` on %s, commit %s%s, %s; %s. Each start %d times; each page load %d × %v at %d connections; medians with the range in brackets.",
		r.Command, r.Date.Format("2006-01-02 15:04 MST"), r.Commit, dirty, r.GoVersion, r.Machine, r.Runs, r.Runs, r.Duration, r.Conns)
	if r.ServeFlags != "" {
		fmt.Fprintf(&b, " The archive ran with `%s`: the per-client search limit is off, since the benchmark is one client searching back to back.", r.ServeFlags)
	}
	b.WriteString("\n\n")
	if r.LoadStart != "" {
		fmt.Fprintf(&b, "Load average (1, 5, 15 min) of the machine at the start: %s; at the end: %s.", r.LoadStart, r.LoadEnd)
		if busy(r.LoadStart) || busy(r.LoadEnd) {
			b.WriteString(" **Other work was running on the machine** (a load above 1 on 2 cores): the figures are slower and noisier than on an idle machine.")
		}
		b.WriteString("\n\n")
	}
	gen := "generated in " + fmtDur(r.CorpusTook)
	if r.CorpusReused {
		gen = "reused from an earlier run"
	}
	fmt.Fprintf(&b, "Corpus (seed %d, %s, in %s): %s publications in %d sections, %d tags, %d–%d; %s words of body text, %s of Markdown; %s PDF attachments, copies of %d distinct text-bearing files (%s).\n\n",
		c.Seed, gen, r.CorpusDir, thousands(int64(c.N)), len(c.Sections), len(c.Tags), c.Years[0], c.Years[len(c.Years)-1],
		thousands(c.BodyWords), fmtBytes(c.MarkdownBytes), thousands(int64(c.PDFs)), len(c.PDFSources), fmtBytes(c.PDFBytes))

	b.WriteString("| figure | target | measured | met |\n| --- | --- | --- | --- |\n")
	row := func(fig, target, measured, met string) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", fig, target, measured, met)
	}
	ready := durs(r.Cold, func(s startResult) time.Duration { return s.Ready })
	ct := coldTarget(r.N)
	row("cold start (empty cache) to `/healthz` 200", "≤ "+fmtDur(ct), medRange(ready), metDur(median(ready), ct))
	step := func(name string, f func(startResult) time.Duration) {
		row("… "+name, "", medRange(durs(r.Cold, f)), "")
	}
	step("content loaded", func(s startResult) time.Duration { return s.Content })
	pdfFiles := 0
	if len(r.Cold) > 0 {
		pdfFiles = r.Cold[0].PDFFiles
	}
	step(fmt.Sprintf("PDF text (%s files extracted, %s pages)", thousands(int64(pdfFiles)), thousands(int64(r.Pages))), func(s startResult) time.Duration { return s.PDF })
	step("pages rendered", func(s startResult) time.Duration { return s.Render })
	step("search index", func(s startResult) time.Duration { return s.Index })
	warm := durs(r.Warm, func(s startResult) time.Duration { return s.Ready })
	row("warm start (the cache of the run before)", "≤ "+fmtDur(targetWarm), medRange(warm), metDur(median(warm), targetWarm))
	step = func(name string, f func(startResult) time.Duration) {
		row("… "+name, "", medRange(durs(r.Warm, f)), "")
	}
	if median(durs(r.Warm, func(s startResult) time.Duration { return s.Content })) == 0 {
		// The server started from the state the cold start cached: it
		// loaded, rendered and indexed nothing.
		step("from the cached state: pages opened", func(s startResult) time.Duration { return s.Render })
		step("from the cached state: ready (pages and search index)", func(s startResult) time.Duration { return s.Total })
	} else {
		step("content loaded", func(s startResult) time.Duration { return s.Content })
		step("PDF text", func(s startResult) time.Duration { return s.PDF })
		step("pages rendered", func(s startResult) time.Duration { return s.Render })
		step("search index", func(s startResult) time.Duration { return s.Index })
	}

	if len(r.FromBuild) > 0 {
		from := durs(r.FromBuild, func(s startResult) time.Duration { return s.Ready })
		row("`archive build` of the corpus", "", fmtDur(r.BuildTook), "")
		row("start from the build (`serve -from`) to `/healthz` 200", "< "+fmtDur(targetFromBuild), medRange(from), metDur(median(from), targetFromBuild))
		row("… pages opened", "", medRange(durs(r.FromBuild, func(s startResult) time.Duration { return s.Render })), "")
		row("… resident memory after it", "", memRange(ints(r.FromBuild, func(s startResult) int64 { return s.Mem.RSS })), "")
		row(fmt.Sprintf("… publication pages from the build (%d connections)", r.Conns), "", loadOne(r.FromBuildLoad), "")
		row("… resident memory after that load", "", fmt.Sprintf("%s (heap and stacks %s, mapped files %s)", fmtBytes(r.FromBuildMem.RSS), fmtBytes(r.FromBuildMem.Anon), fmtBytes(r.FromBuildMem.File)), "")
	}
	coldRSS := ints(r.Cold, func(s startResult) int64 { return s.Mem.RSS })
	warmRSS := ints(r.Warm, func(s startResult) int64 { return s.Mem.RSS })
	row("resident memory after a cold start", "≤ "+fmtBytes(targetRSS), memRange(coldRSS), metBytes(medianInt(coldRSS), targetRSS))
	if settled := ints(r.Cold, func(s startResult) int64 { return s.Settled.RSS }); medianInt(settled) > 0 {
		row("… once it has cached its state and serves it", "≤ "+fmtBytes(targetRSS), fmt.Sprintf("%s, %s after ready", memRange(settled), medRange(durs(r.Cold, func(s startResult) time.Duration { return s.Cached }))), metBytes(medianInt(settled), targetRSS))
	}
	row("resident memory after a warm start", "≤ "+fmtBytes(targetRSS), memRange(warmRSS), metBytes(medianInt(warmRSS), targetRSS))
	row("… peak during a cold start (VmHWM)", "", memRange(ints(r.Cold, func(s startResult) int64 { return s.Mem.Peak })), "")
	row("resident memory after the page and search load (warm start)", "", fmt.Sprintf("%s (heap and stacks %s, mapped files %s)", fmtBytes(r.AfterLoad.RSS), fmtBytes(r.AfterLoad.Anon), fmtBytes(r.AfterLoad.File)), metBytes(r.AfterLoad.RSS, targetRSS))

	ar, br := rates(r.Archive), rates(r.Bare)
	row(fmt.Sprintf("publication pages, archive (%d connections)", r.Conns), "", loadText(r.Archive), "")
	row("publication pages, bare `net/http`, same bytes", "", loadText(r.Bare), "")
	ratio := 0.0
	if median(br) > 0 {
		ratio = median(ar) / median(br)
	}
	row("archive ÷ bare", fmt.Sprintf("≥ %.2f", targetRatio), fmt.Sprintf("%.2f", ratio), metRatio(ratio))
	r.floodRow(row)

	ip := r.InProcess
	if r.InProcessNote != "" {
		row("search in process, p50 / p99", "≤ 1 ms / ≤ 10 ms", r.InProcessNote, "not measured")
	} else {
		row(fmt.Sprintf("search in process, p50 / p99 (%s searches)", thousands(int64(ip.All.N))), "≤ 1 ms / ≤ 10 ms",
			fmt.Sprintf("%s / %s", fmtDur(ip.All.P50), fmtDur(ip.All.P99)),
			metBoth(ip.All.P50, targetSearchP50, ip.All.P99, targetSearchP99))
	}
	if r.SearchHTTPNote != "" {
		row("search over HTTP, idle, p50 / p99", "", r.SearchHTTPNote, "")
		row(fmt.Sprintf("search over HTTP while pages load at %d connections, p99", r.Conns), "≤ 25 ms", r.SearchHTTPNote, "not measured")
	} else {
		row(fmt.Sprintf("search over HTTP, idle, p50 / p99 (%s searches)", thousands(int64(r.SearchIdle.N))), "", fmt.Sprintf("%s / %s", fmtDur(r.SearchIdle.P50), fmtDur(r.SearchIdle.P99)), "")
		row(fmt.Sprintf("search over HTTP while pages load at %d connections, p50 / p99 (%s searches)", r.Conns, thousands(int64(r.SearchBusy.N))), "p99 ≤ 25 ms",
			fmt.Sprintf("%s / %s (pages meanwhile: %s req/s)", fmtDur(r.SearchBusy.P50), fmtDur(r.SearchBusy.P99), thousands(int64(r.BusyLoad.rate()))),
			metDur(r.SearchBusy.P99, targetBusyP99))
	}
	if len(r.PDFPagesPerSecond) > 0 && r.Pages > 0 {
		row(fmt.Sprintf("PDF text, pages per second (cold start: %s pages of %s files ÷ the PDF step)", thousands(int64(r.Pages)), thousands(int64(pdfFiles))), "",
			fmt.Sprintf("%s (%s–%s)", thousands(int64(medianF(r.PDFPagesPerSecond))), thousands(int64(slices.Min(r.PDFPagesPerSecond))), thousands(int64(slices.Max(r.PDFPagesPerSecond)))), "")
	}
	if len(r.PDFChildPagesPerSecond) > 0 {
		row("… pages per second of one extracting child (pages ÷ the children's times added up)", "",
			fmt.Sprintf("%s (%s–%s)", thousands(int64(medianF(r.PDFChildPagesPerSecond))), thousands(int64(slices.Min(r.PDFChildPagesPerSecond))), thousands(int64(slices.Max(r.PDFChildPagesPerSecond)))), "")
	}

	b.WriteString("\nEvery run:\n\n| run | cold start | content | PDF | render | index | RSS | peak | warm start | warm RSS |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for i := range r.Cold {
		c := r.Cold[i]
		w := startResult{}
		if i < len(r.Warm) {
			w = r.Warm[i]
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", i+1, fmtDur(c.Ready), fmtDur(c.Content), fmtDur(c.PDF), fmtDur(c.Render),
			fmtDur(c.Index), fmtBytes(c.Mem.RSS), fmtBytes(c.Mem.Peak), fmtDur(w.Ready), fmtBytes(w.Mem.RSS))
	}
	b.WriteString("\n| load run | archive | bare |\n| --- | --- | --- |\n")
	for i := range r.Archive {
		bare := ""
		if i < len(r.Bare) {
			bare = loadOne(r.Bare[i])
		}
		fmt.Fprintf(&b, "| %d | %s | %s |\n", i+1, loadOne(r.Archive[i]), bare)
	}

	if len(ip.PerQuery) > 0 {
		how := "reopened from the archive's cache in " + fmtDur(ip.Build)
		if !ip.Cached {
			how = "built by the benchmark in " + fmtDur(ip.Build) + " (the archive's cache held no index for this content)"
		}
		fmt.Fprintf(&b, "\nSearch in process: the index of %s documents (%s PDF pages) was %s; the mix was run %d times after one warm-up.\n\n",
			thousands(int64(ip.Docs)), thousands(int64(ip.PDFPages)), how, ip.All.N/max(1, len(queryMix)))
		b.WriteString("| kind | query | filter | hits | p50 |\n| --- | --- | --- | --- | --- |\n")
		for _, q := range ip.PerQuery {
			filter := ""
			switch {
			case q.Query.Section != "":
				filter = "section " + q.Query.Section
			case q.Query.Tag != "":
				filter = "tag " + q.Query.Tag
			case q.Query.Year != 0:
				filter = "year " + strconv.Itoa(q.Query.Year)
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", q.Query.Kind, q.Query.Q, filter, thousands(int64(q.Hits)), fmtDur(q.P50))
		}
	}
	return b.String()
}

// busy reports whether a /proc/loadavg line shows a 1-minute load above 1.
func busy(loadavg string) bool {
	f := strings.Fields(loadavg)
	if len(f) == 0 {
		return false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return err == nil && v > 1
}

// loadAverage reads the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func loadText(rs []loadResult) string {
	if len(rs) == 0 {
		return "not measured"
	}
	rate := rates(rs)
	p50 := make([]time.Duration, len(rs))
	p99 := make([]time.Duration, len(rs))
	for i, x := range rs {
		p50[i], p99[i] = x.P50, x.P99
	}
	return fmt.Sprintf("%s req/s (%s–%s), p50 %s, p99 %s", thousands(int64(median(rate))), thousands(int64(slices.Min(rate))), thousands(int64(slices.Max(rate))),
		fmtDur(median(p50)), fmtDur(median(p99)))
}

func loadOne(x loadResult) string {
	s := fmt.Sprintf("%s req/s, p50 %s, p99 %s, max %s, %s/s", thousands(int64(x.rate())), fmtDur(x.P50), fmtDur(x.P99), fmtDur(x.Max), fmtBytes(int64(float64(x.Bytes)/x.Elapsed.Seconds())))
	if x.Errors > 0 {
		s += fmt.Sprintf(", %d errors", x.Errors)
	}
	return s
}

func rates(rs []loadResult) []float64 {
	out := make([]float64, len(rs))
	for i, x := range rs {
		out[i] = x.rate()
	}
	return out
}

func durs(rs []startResult, f func(startResult) time.Duration) []time.Duration {
	out := make([]time.Duration, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

func ints(rs []startResult, f func(startResult) int64) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// median of a list; of an even count, the mean of the middle two.
func median[T int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianInt(xs []int64) int64   { return median(xs) }
func medianF(xs []float64) float64 { return median(xs) }
func medRange(ds []time.Duration) string {
	if len(ds) == 0 {
		return "not measured"
	}
	if slices.Max(ds) <= 0 {
		return "– (not in the log)"
	}
	if len(ds) == 1 {
		return fmtDur(ds[0])
	}
	return fmt.Sprintf("%s (%s–%s)", fmtDur(median(ds)), fmtDur(slices.Min(ds)), fmtDur(slices.Max(ds)))
}

func memRange(xs []int64) string {
	if len(xs) == 0 {
		return "not measured"
	}
	if len(xs) == 1 {
		return fmtBytes(xs[0])
	}
	return fmt.Sprintf("%s (%s–%s)", fmtBytes(median(xs)), fmtBytes(slices.Min(xs)), fmtBytes(slices.Max(xs)))
}

func metDur(got, target time.Duration) string {
	if got <= 0 {
		return "not measured"
	}
	if got <= target {
		return "yes"
	}
	return fmt.Sprintf("**no**: %.1f× the target", float64(got)/float64(target))
}

func metBytes(got, target int64) string {
	if got <= 0 {
		return "not measured"
	}
	if got <= target {
		return "yes"
	}
	return fmt.Sprintf("**no**: %.1f× the target", float64(got)/float64(target))
}

func metRatio(got float64) string {
	if got <= 0 {
		return "not measured"
	}
	if got >= targetRatio {
		return "yes"
	}
	return fmt.Sprintf("**no**: %.0f %% below", (targetRatio-got)/targetRatio*100)
}

func metBoth(p50, t50, p99, t99 time.Duration) string {
	a, b := metDur(p50, t50), metDur(p99, t99)
	if a == "yes" && b == "yes" {
		return "yes"
	}
	return "p50 " + a + "; p99 " + b
}

func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

func fmtBytes(n int64) string {
	switch {
	case n >= 10<<30:
		return fmt.Sprintf("%.0f GiB", float64(n)/(1<<30))
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// thousands writes n with commas: 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
