package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"archive/internal/content"
	"archive/internal/search"
)

// TestSearchQueries: every query of the mix is one readers may type.
func TestSearchQueries(t *testing.T) {
	for _, q := range searchQueries {
		v, err := url.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := search.Parse(v.Get("q")); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}

// TestUpdateFile: a run replaces the section of its size and nothing else.
func TestUpdateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	doc := "# Benchmarks\n\nA note by hand.\n\n<!-- bench n=1000 begin -->\nold 1000\n<!-- bench n=1000 end -->\n\nMore by hand.\n\n<!-- bench n=10000 begin -->\nold 10000\n<!-- bench n=10000 end -->\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &report{options: options{n: 1000, runs: 1}, Corpus: &corpus{N: 1000}}
	if err := updateFile(path, r); err != nil {
		t.Fatal(err)
	}
	r.n = 200
	if err := updateFile(path, r); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	s := string(b)
	for _, want := range []string{"A note by hand.\n\n<!-- bench n=1000 begin -->\n## 1,000 publications", "<!-- bench n=1000 end -->\n\nMore by hand.", "old 10000", "<!-- bench n=10000 end -->\n\n<!-- bench n=200 begin -->"} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "old 1000\n") || strings.Count(s, "n=1000 begin") != 1 {
		t.Errorf("old section kept or doubled:\n%s", s)
	}
}

func TestPercentileAndMedian(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 200; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if p := percentiles(ds); p != [2]time.Duration{100 * time.Millisecond, 198 * time.Millisecond} {
		t.Errorf("p50, p99 = %v", p)
	}
	if p := percentile(nil, 0.99); p != 0 {
		t.Errorf("p99 of nothing = %v", p)
	}
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median of 3,1,2 = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4,1,3,2 = %v", m)
	}
	if s := thousands(-1234567.4); s != "-1,234,567" {
		t.Errorf("thousands = %s", s)
	}
}

// TestWriteCorpus: the Go blog copied into sections, one in ten with a PDF,
// and the archive's loader finds n publications and no error.
func TestWriteCorpus(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(shared, "markdown", "go-blog")); err != nil {
		t.Skipf("shared corpus not found: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "corpus")
	c, err := writeCorpus(dir, shared, 300)
	if err != nil {
		t.Fatal(err)
	}
	if c.N != 300 || len(c.URLs) != 300 || c.Sections != 2 || c.PDFs != 30 || len(c.DistinctPDFs) < 5 {
		t.Errorf("corpus %+v", c)
	}
	cs, problems, err := content.Load(os.DirFS(dir), content.Options{})
	if err != nil || len(problems.Errors()) > 0 {
		t.Fatalf("load: %v %v", err, problems.Errors())
	}
	pdfs := 0
	for _, a := range cs.Attachments() {
		if a.IsPDF() {
			pdfs++
		}
	}
	if len(cs.Publications) != 300 || pdfs != 30 || cs.Publications[0].URL == "" {
		t.Errorf("loaded %d publications, %d PDFs", len(cs.Publications), pdfs)
	}
	for _, u := range c.URLs[:3] {
		found := false
		for _, p := range cs.Publications {
			found = found || p.URL == u
		}
		if !found {
			t.Errorf("%s is no publication's URL", u)
		}
	}
}

// TestParseSteps: a partial run names known steps, keeps what pages needs,
// and never writes BENCHMARKS.md.
func TestParseSteps(t *testing.T) {
	tests := []struct {
		list, out string
		ok        bool
	}{
		{strings.Join(steps, ","), "BENCHMARKS.md", true},
		{"starts,pages", "", true},
		{"build", "", true},
		{"starts,pages", "BENCHMARKS.md", false}, // would replace a full run's section
		{"pages", "", false},                     // no server to load
		{"starts,serve", "", false},              // no such step
	}
	for _, tt := range tests {
		got, err := parseSteps(tt.list, tt.out)
		if (err == nil) != tt.ok {
			t.Errorf("parseSteps(%q, %q): error %v, want ok=%v", tt.list, tt.out, err, tt.ok)
			continue
		}
		if err == nil && len(got) != len(strings.Split(tt.list, ",")) {
			t.Errorf("parseSteps(%q): %v", tt.list, got)
		}
	}
}

// TestProcessCPU: the CPU time of a process grows as it works, and a
// process that cannot be read has none.
func TestProcessCPU(t *testing.T) {
	// Work until it shows, with a deadline: on a busy machine 10 s of
	// wall time are still far more than 50 ms of CPU.
	before := processCPU(os.Getpid())
	for start := time.Now(); processCPU(os.Getpid())-before < 50*time.Millisecond; {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("CPU time %v after 10 s of work, %v before", processCPU(os.Getpid()), before)
		}
	}
	if got := processCPU(-1); got != 0 {
		t.Errorf("no such process: %v", got)
	}
}

// TestPeersRatio: the peers' table compares each round's archive with that
// round's Hugo and Pagefind, and gives the median of those ratios, not the
// ratio of medians taken from different rounds.
func TestPeersRatio(t *testing.T) {
	s := func(secs ...float64) []time.Duration {
		var ds []time.Duration
		for _, x := range secs {
			ds = append(ds, time.Duration(x*float64(time.Second)))
		}
		return ds
	}
	runs := func(ds []time.Duration) []peerRun {
		var rs []peerRun
		for _, d := range ds {
			rs = append(rs, peerRun{Took: d, Peak: 1 << 30})
		}
		return rs
	}
	p := &peerReport{
		Articles: 10, HugoVersion: "Hugo 0.111.3", PFVersion: "Pagefind 1.6.0",
		// Rounds of 30, 42 and 36 s: the archive's ratios are 0.50, 0.43
		// and 0.44 (median 0.44); its pages' 0.30, 0.40 and 0.42, whose
		// median 0.40 is not the ratio of the medians, 15 ÷ 36 = 0.42.
		Hugo: runs(s(10, 12, 11)), Pagefind: runs(s(20, 30, 25)),
		Ready: s(15, 18, 16), Pages: s(9, 17, 15), ArchivePeak: []int64{900 << 20, 880 << 20, 890 << 20},
	}
	md := p.markdown()
	for _, want := range []string{
		"| time to a searchable site | 11.00 s (10.00 s–12.00 s) | 25.00 s (20.00 s–30.00 s) | 36.00 s (30.00 s–42.00 s) | 16.00 s (15.00 s–18.00 s) | 0.44 (0.43–0.50) |",
		"| 15.00 s (9.00 s–17.00 s) | 0.40 (0.30–0.42) |",
		"3 times",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the peers' table lacks %q:\n%s", want, md)
		}
	}
}
