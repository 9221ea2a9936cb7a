package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/search"
)

// benchQuery is one search of the fixed mix.
type benchQuery struct {
	Kind    string
	Q       string
	Section string
	Tag     string
	Year    int
}

// queryMix is the fixed mix of 30 searches, in the proportions a journalist
// types them: words common and rare, two and three words, exact quotes
// (some from the PDFs), a filter, prefixes, OR and an excluded word. The
// prose comes from the Go blog and the PDFs from the shared corpus, so the
// words are theirs. Change it only with a note in BENCHMARKS.md: results
// before and after are not comparable.
var queryMix = []benchQuery{
	{Kind: "common word", Q: "language"},
	{Kind: "common word", Q: "package"},
	{Kind: "common word", Q: "performance"},
	{Kind: "common word", Q: "compiler"},
	{Kind: "rare word", Q: "anecdotally"},
	{Kind: "rare word", Q: "shuffling"},
	{Kind: "rare word", Q: "transient"},
	{Kind: "rare word", Q: "autocompletion"},
	{Kind: "rare word (PDF)", Q: "woodchuck"},
	{Kind: "rare word (PDF)", Q: "tracemonkey"},
	{Kind: "two words", Q: "garbage collector"},
	{Kind: "two words", Q: "error handling"},
	{Kind: "two words", Q: "type parameters"},
	{Kind: "two words", Q: "module proxy"},
	{Kind: "two words", Q: "data race"},
	{Kind: "three words", Q: "standard library packages"},
	{Kind: "three words", Q: "concurrent garbage collection"},
	{Kind: "three words", Q: "interface method values"},
	{Kind: "phrase", Q: `"errors are values"`},
	{Kind: "phrase", Q: `"the Go programming language"`},
	{Kind: "phrase", Q: `"hash table using open addressing"`},
	{Kind: "long quote", Q: `"Programs that write programs are therefore important elements in software engineering"`},
	{Kind: "phrase (PDF)", Q: `"I went to the woods"`},
	{Kind: "filter: section", Q: "performance", Section: "reports"},
	{Kind: "filter: year", Q: "compiler", Year: 2019},
	{Kind: "filter: tag", Q: "security", Tag: "surveillance"},
	{Kind: "prefix", Q: "concurr*"},
	{Kind: "prefix", Q: "serializ*"},
	{Kind: "OR", Q: "mutex OR channel"},
	{Kind: "NOT", Q: "goroutine -channel"},
}

func (q benchQuery) request() search.Request {
	return search.Request{Query: q.Q, Section: q.Section, Tag: q.Tag, Year: q.Year}
}

func (q benchQuery) values() url.Values { return q.request().Values() }

// latencies summarises repeated timings.
type latencies struct {
	N        int
	P50, P99 time.Duration
	Max      time.Duration
}

func summarise(ds []time.Duration) latencies {
	s := slices.Clone(ds)
	slices.Sort(s)
	l := latencies{N: len(s), P50: percentile(s, 0.50), P99: percentile(s, 0.99)}
	if len(s) > 0 {
		l.Max = s[len(s)-1]
	}
	return l
}

// queryStat is what the mix found for one query, in process.
type queryStat struct {
	Query benchQuery
	Hits  int
	P50   time.Duration
	Err   string
}

// inProcessResult is the in-process search measurement.
type inProcessResult struct {
	Build    time.Duration // search.Build: a reopen when Cached
	Cached   bool
	Docs     int // publications + PDF pages
	PDFPages int
	All      latencies
	PerQuery []queryStat
}

// searchInProcess loads the corpus and its PDF text (from the cache the
// archive wrote), opens the index through package search exactly as the
// server does (reopening the server's cached index when its key matches,
// building it otherwise), then runs the mix rounds times after one warm-up
// round.
func searchInProcess(ctx context.Context, bin, corpus, cache string, rounds int) (inProcessResult, error) {
	var res inProcessResult
	cs, problems, err := content.Load(os.DirFS(corpus), content.Options{})
	if err != nil {
		return res, err
	}
	if errs := problems.Errors(); len(errs) > 0 {
		return res, fmt.Errorf("corpus has %d content errors, the first: %s", len(errs), errs[0])
	}
	ex := &pdftext.Extractor{Command: []string{bin, "pdftext"}, CacheDir: filepath.Join(cache, "pdftext")}
	docs := extractOnce(ctx, ex, corpus, cs)
	start := time.Now()
	x, err := search.Build(ctx, cs, docs, search.Options{CacheDir: cache})
	if err != nil {
		return res, err
	}
	defer x.Close()
	res.Build = time.Since(start)
	st := x.Stats()
	res.Cached, res.Docs, res.PDFPages = st.Cached, st.Publications+st.PDFPages, st.PDFPages

	times := make([][]time.Duration, len(queryMix))
	var all []time.Duration
	for round := -1; round < rounds; round++ {
		for i, q := range queryMix {
			t0 := time.Now()
			r, err := x.Search(ctx, q.request())
			d := time.Since(t0)
			if round < 0 {
				// Warm-up: record what the query finds.
				st := queryStat{Query: q}
				if err != nil {
					st.Err = err.Error()
				} else {
					st.Hits = r.Total
				}
				res.PerQuery = append(res.PerQuery, st)
				continue
			}
			if err != nil {
				continue
			}
			times[i] = append(times[i], d)
			all = append(all, d)
		}
	}
	for i := range res.PerQuery {
		res.PerQuery[i].P50 = summarise(times[i]).P50
	}
	res.All = summarise(all)
	for _, st := range res.PerQuery {
		if st.Err != "" {
			return res, fmt.Errorf("search %q: %s", st.Query.Q, st.Err)
		}
	}
	return res, nil
}

// extractOnce returns the text of every PDF attachment of cs by attachment
// path, extracting each distinct file (by SHA-256) once.
func extractOnce(ctx context.Context, ex *pdftext.Extractor, corpus string, cs *content.Site) map[string]*pdftext.Document {
	byHash := map[string][]*content.Attachment{}
	var hashes []string
	for _, a := range cs.Attachments() {
		if !a.IsPDF() {
			continue
		}
		if byHash[a.SHA256] == nil {
			hashes = append(hashes, a.SHA256)
		}
		byHash[a.SHA256] = append(byHash[a.SHA256], a)
	}
	out := map[string]*pdftext.Document{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for _, h := range hashes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			first := byHash[h][0]
			doc, _ := ex.ExtractFile(ctx, filepath.Join(corpus, filepath.FromSlash(first.Path)))
			if doc == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, a := range byHash[h] {
				out[a.Path] = doc
			}
		}()
	}
	wg.Wait()
	return out
}

// errSearchUnavailable means the archive does not answer /api/search yet.
var errSearchUnavailable = errors.New("the archive does not answer /api/search")

// searchHTTP runs the mix over /api/search, rounds times or, when until is
// not nil, until it is closed. Every answer must be 200.
func searchHTTP(ctx context.Context, addr string, rounds int, until <-chan struct{}) (latencies, error) {
	client := &http.Client{Timeout: 30 * time.Second}
	var ds []time.Duration
	for round := 0; ; round++ {
		if until == nil && round >= rounds {
			break
		}
		for _, q := range queryMix {
			if until != nil {
				select {
				case <-until:
					return summarise(ds), nil
				default:
				}
			}
			u := "http://" + addr + "/api/search?" + q.values().Encode()
			t0 := time.Now()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return summarise(ds), err
			}
			resp, err := client.Do(req)
			if err != nil {
				return summarise(ds), err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			d := time.Since(t0)
			if err != nil {
				return summarise(ds), err
			}
			switch {
			case resp.StatusCode == http.StatusOK:
			case len(ds) == 0 && (resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusNotFound):
				return latencies{}, fmt.Errorf("%w (status %d)", errSearchUnavailable, resp.StatusCode)
			default:
				return summarise(ds), fmt.Errorf("GET %s: status %s", u, strconv.Itoa(resp.StatusCode))
			}
			ds = append(ds, d)
		}
	}
	return summarise(ds), nil
}
