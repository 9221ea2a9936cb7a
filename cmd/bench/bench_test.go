package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"archive/internal/benchgen"
	"archive/internal/search"
)

// TestQueryMix checks the mix is the 30 searches the issue asks for, each
// one a query readers may type.
func TestQueryMix(t *testing.T) {
	if len(queryMix) != 30 {
		t.Errorf("the mix has %d queries, want 30", len(queryMix))
	}
	kinds := map[string]bool{}
	for _, q := range queryMix {
		kinds[strings.Fields(q.Kind)[0]] = true
		if _, err := search.Parse(q.Q); err != nil {
			t.Errorf("%q: %v", q.Q, err)
		}
	}
	for _, k := range []string{"common", "rare", "two", "three", "phrase", "filter:", "prefix", "OR", "NOT"} {
		if !kinds[k] {
			t.Errorf("the mix has no %s query", k)
		}
	}
}

func TestParseLogLine(t *testing.T) {
	line := `time=2026-11-27T07:38:45.750Z level=INFO msg="content loaded" publications=1000 files=100 took=2.73s note="a \"quoted\" word"`
	got := parseLogLine(line)
	want := map[string]string{
		"time": "2026-11-27T07:38:45.750Z", "level": "INFO", "msg": "content loaded",
		"publications": "1000", "files": "100", "took": "2.73s", "note": `a "quoted" word`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseLogLine (-want +got):\n%s", diff)
	}
}

func TestParseStartLog(t *testing.T) {
	log := `time=T level=INFO msg=listening addr=http://127.0.0.1:1
time=T level=INFO msg="content loaded" publications=1000 files=100 took=1.5s
time=T level=INFO msg=request method=GET path=/healthz status=503 bytes=16 took=107µs client=127.0.0.0/24
time=T level=INFO msg="pdf text extracted" path=/x/a.pdf pages=117 elapsed=825ms
time=T level=INFO msg="pdf text extracted" path=/x/b.pdf pages=3 elapsed=90ms
time=T level=WARN msg=PDF problem="x.pdf: warning: page 2: glyphs"
time=T level=INFO msg="PDF text ready" files=2 took=1m2.5s
time=T level=INFO msg="pages rendered" pages=1200 took=800ms
time=T level=INFO msg=ready index_took=5.25s total=1m10s
time=T level=INFO msg="pages rendered" pages=1 took=1h
`
	path := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	got, done, err := parseStartLog(path, startResult{Ready: time.Second})
	if err != nil || !done {
		t.Fatalf("done %v, err %v", done, err)
	}
	want := startResult{Ready: time.Second, Content: 1500 * time.Millisecond, PDF: 62500 * time.Millisecond, Render: 800 * time.Millisecond,
		Index: 5250 * time.Millisecond, Total: 70 * time.Second, PDFFiles: 2, PDFPages: 120, PDFChildTime: 915 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseStartLog (-want +got):\n%s", diff)
	}

	// Before the ready line, the start is not done.
	os.WriteFile(path, []byte(strings.SplitAfter(log, "\n")[1]), 0o644)
	if _, done, _ := parseStartLog(path, startResult{}); done {
		t.Error("a log without the ready line is done")
	}
}

func TestParseMem(t *testing.T) {
	status := "Name:\tarchive\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nRssAnon:\t   81920 kB\nRssFile:\t   20480 kB\n"
	want := memStatus{RSS: 100 << 20, Anon: 80 << 20, File: 20 << 20, Peak: 200 << 20}
	if got := parseMem(status); got != want {
		t.Errorf("parseMem = %+v, want %+v", got, want)
	}
	if m, err := readMem(os.Getpid()); err != nil || m.RSS <= 0 || m.Peak < m.RSS {
		t.Errorf("readMem(self) = %+v, %v", m, err)
	}
}

func TestPercentileAndMedian(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 200; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if p := percentile(ds, 0.5); p != 100*time.Millisecond {
		t.Errorf("p50 = %v", p)
	}
	if p := percentile(ds, 0.99); p != 198*time.Millisecond {
		t.Errorf("p99 = %v", p)
	}
	if p := percentile(nil, 0.99); p != 0 {
		t.Errorf("p99 of nothing = %v", p)
	}
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median of 3,1,2 = %v", m)
	}
	if m := median([]int64{4, 1, 3, 2}); m != 2 {
		t.Errorf("median of 4,1,3,2 = %v (integer mean of 2 and 3)", m)
	}
}

func TestReplaceBlock(t *testing.T) {
	doc := []byte(fileHeader)
	doc = replaceBlock(doc, 10000, "ten thousand, first")
	doc = replaceBlock(doc, 1000, "one thousand")
	doc = replaceBlock(doc, 10000, "ten thousand, second")
	s := string(doc)
	if strings.Contains(s, "first") {
		t.Error("the old block of 10000 is still there")
	}
	i, j := strings.Index(s, "one thousand"), strings.Index(s, "ten thousand, second")
	if i < 0 || j < 0 || i > j {
		t.Errorf("blocks missing or out of order:\n%s", s)
	}
	if !strings.HasPrefix(s, "# Benchmarks") || strings.Count(s, "<!-- bench n=10000 begin -->") != 1 {
		t.Errorf("header lost or block doubled:\n%s", s)
	}
}

func TestLoadAgainstBare(t *testing.T) {
	pages := []barePage{
		{Path: "/a/", Header: http.Header{"Content-Type": {"text/html"}, "Etag": {`"1"`}}, Body: []byte(strings.Repeat("a", 5000))},
		{Path: "/b/", Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("b")},
	}
	srv := httptest.NewServer(bareHandler(pages))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	resp, err := http.Get(srv.URL + "/a/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != string(pages[0].Body) || resp.Header.Get("Etag") != `"1"` {
		t.Errorf("bare server changed the page: %d bytes, ETag %q", len(body), resp.Header.Get("Etag"))
	}

	res, err := runLoad(context.Background(), loadConfig{Addr: addr, Paths: []string{"/a/", "/b/"}, Conns: 4, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests < 10 || res.Errors != 0 || res.P50 <= 0 || res.P99 < res.P50 {
		t.Errorf("load: %+v", res)
	}
	if perReq := res.Bytes / res.Requests; perReq < 2000 || perReq > 3000 {
		t.Errorf("load read %d bytes per request, want about (5000+1)/2", perReq)
	}

	if _, err := runLoad(context.Background(), loadConfig{Addr: addr, Paths: []string{"/missing/"}, Conns: 2, Duration: 100 * time.Millisecond}); err == nil {
		t.Error("load of a missing page reported no error")
	}
}

func TestLoadChunkedAndClose(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%3 == 0 {
			w.Header().Set("Connection", "close")
		}
		for range 3 {
			io.WriteString(w, strings.Repeat("x", 100))
			w.(http.Flusher).Flush() // forces chunked encoding
		}
	}))
	defer srv.Close()
	res, err := runLoad(context.Background(), loadConfig{Addr: strings.TrimPrefix(srv.URL, "http://"), Paths: []string{"/"}, Conns: 2, Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Bytes != 300*res.Requests {
		t.Errorf("chunked: %d requests, %d bytes; want 300 bytes each", res.Requests, res.Bytes)
	}
}

func TestReportMarkdown(t *testing.T) {
	r := &report{
		N: 1000, Date: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC), Commit: "abc1234", GoVersion: "go1.26", Machine: "2 × CPU",
		Command: "make bench", Runs: 3, Duration: 10 * time.Second, Conns: 64,
		Corpus: &benchgen.Summary{N: 1000, Seed: 1, Sections: []string{"a"}, Tags: []string{"t"}, Years: []int{2015, 2024}, PDFs: 100, PDFSources: []string{"x.pdf"}},
		Cold:   []startResult{{Ready: 3 * time.Second}, {Ready: 1 * time.Second}, {Ready: 2 * time.Second}},
		Warm:   []startResult{{Ready: time.Second, Mem: memStatus{RSS: 2 << 30}}},
		Archive: []loadResult{
			{Requests: 80000, Elapsed: 10 * time.Second}, {Requests: 90000, Elapsed: 10 * time.Second}, {Requests: 85000, Elapsed: 10 * time.Second},
		},
		Bare:           []loadResult{{Requests: 100000, Elapsed: 10 * time.Second}},
		SearchHTTPNote: "not measured",
	}
	md := r.markdown()
	for _, want := range []string{
		"| cold start (empty cache) to `/healthz` 200 | ≤ 2.00 s | 2.00 s (1.00 s–3.00 s) | yes |",
		"| archive ÷ bare | ≥ 0.90 | 0.85 | **no**: 6 % below |",
		"| resident memory after a warm start | ≤ 1.00 GiB | 2.00 GiB | **no**: 2.0× the target |",
		"8,500 req/s (8,000–9,000)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
