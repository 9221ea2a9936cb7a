package wrk

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Archive is what readers can ask a running archive for, found by Discover.
type Archive struct {
	Pages  []string // from the sitemap
	Assets []string // the stylesheet and icons the pages link to
	PDFs   []PDF
	Quotes []string // runs of four words from the pages, for exact-quote searches
	Words  []string
}

// PDF is an attachment and its size, for Range requests.
type PDF struct {
	Path string
	Size int64
}

var (
	pdfLink   = regexp.MustCompile(`href="(/[^"?#]+\.pdf)"`)
	assetLink = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)
	paragraph = regexp.MustCompile(`(?s)<p id="[^"]+">(.*?)</p>`)
	tag       = regexp.MustCompile(`<[^>]*>`)
)

// Discover reads the sitemap of the archive at base, then up to maxPages
// of its pages for PDFs, assets and words to search for.
func Discover(ctx context.Context, base string, maxPages int) (*Archive, error) {
	if err := loopback(base); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	get := func(method, path string) (*http.Response, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
		if err != nil {
			return nil, nil, err
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s %s: %s", method, path, res.Status)
		}
		return res, b, err
	}
	_, b, err := get("GET", "/sitemap.xml")
	if err != nil {
		return nil, err
	}
	var sm struct {
		URLs []struct {
			Loc string `xml:"loc"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal(b, &sm); err != nil {
		return nil, fmt.Errorf("sitemap: %w", err)
	}
	a := &Archive{}
	for _, u := range sm.URLs {
		if p, err := url.Parse(u.Loc); err == nil && strings.HasPrefix(p.Path, "/") {
			a.Pages = append(a.Pages, p.EscapedPath())
		}
	}
	seen := map[string]bool{}
	for _, p := range a.Pages[:min(maxPages, len(a.Pages))] {
		_, b, err := get("GET", p)
		if err != nil {
			return nil, err
		}
		for _, m := range append(pdfLink.FindAllSubmatch(b, -1), assetLink.FindAllSubmatch(b, -1)...) {
			if link := string(m[1]); !seen[link] {
				seen[link] = true
				if strings.HasSuffix(link, ".pdf") {
					a.PDFs = append(a.PDFs, PDF{Path: link})
				} else {
					a.Assets = append(a.Assets, link)
				}
			}
		}
		for _, m := range paragraph.FindAllSubmatch(b, -1) {
			words := strings.Fields(html.UnescapeString(tag.ReplaceAllString(string(m[1]), "")))
			for i := 0; i+4 <= len(words); i += 17 {
				a.Quotes = append(a.Quotes, strings.Trim(strings.Join(words[i:i+4], " "), ".,;:()\"“”‘’¶"))
			}
			for i := 3; i < len(words); i += 11 {
				if w := strings.Trim(words[i], ".,;:()\"“”‘’¶"); len(w) > 3 {
					a.Words = append(a.Words, w)
				}
			}
		}
	}
	// Pages may link to PDFs of other sites by path (imported Markdown
	// does); only the archive's own are kept.
	var pdfs []PDF
	for _, p := range a.PDFs {
		if res, _, err := get("HEAD", p.Path); err == nil && res.ContentLength > 0 {
			pdfs = append(pdfs, PDF{p.Path, res.ContentLength})
		}
	}
	a.PDFs = pdfs
	if len(a.Pages) == 0 || len(a.Words) == 0 {
		return nil, fmt.Errorf("%s: no pages or no words found", base)
	}
	return a, nil
}

// Kind is one kind of reader's request, sent over its own connections by a
// wrk of its own.
type Kind struct {
	Name     string
	Conns    int
	Requests []Request
}

// Route is what one kind met.
type Route struct {
	Name string
	Result
}

// Readers returns the archive's mix for conns connections (at least one
// per kind): most read pages; some open a PDF, which a browser's viewer
// fetches in 64 KiB Range requests; some search, most often for an exact
// quote. With networks > 0 every request comes from one of that many client
// networks (X-Forwarded-For, as a reverse proxy sends it), so that a
// server trusting loopback as its proxy limits each reader on its own.
func (a *Archive) Readers(conns, networks int) []Kind {
	rnd := rand.New(rand.NewPCG(1, 2))
	from := func(h map[string]string) map[string]string {
		if networks > 0 {
			n := rnd.IntN(networks)
			h["X-Forwarded-For"] = fmt.Sprintf("10.%d.%d.%d", n>>8&0xff, n&0xff, 1+rnd.IntN(250))
		}
		return h
	}
	kinds := []struct {
		name  string
		share int // of 100 connections
		ok    bool
		next  func() Request
	}{
		{"asset", 5, len(a.Assets) > 0, func() Request {
			return Request{a.Assets[rnd.IntN(len(a.Assets))], from(map[string]string{})}
		}},
		{"pdf-range", 15, len(a.PDFs) > 0, func() Request {
			p := a.PDFs[rnd.IntN(len(a.PDFs))]
			const chunk = 64 << 10
			start := rnd.Int64N((p.Size+chunk-1)/chunk) * chunk
			return Request{p.Path, from(map[string]string{"Range": "bytes=" + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(min(start+chunk, p.Size)-1, 10)})}
		}},
		{"pdf-whole", 2, len(a.PDFs) > 0, func() Request {
			return Request{a.PDFs[rnd.IntN(len(a.PDFs))].Path, from(map[string]string{})}
		}},
		{"search", 12, true, func() Request {
			return Request{"/search?q=" + url.QueryEscape(a.query(rnd)), from(map[string]string{"Accept-Encoding": "gzip"})}
		}},
		{"api-search", 6, true, func() Request {
			return Request{"/api/search?q=" + url.QueryEscape(a.query(rnd)), from(map[string]string{})}
		}},
	}
	pages := Kind{Name: "page", Conns: conns}
	var out []Kind
	for _, k := range kinds {
		if k.ok {
			n := max(1, conns*k.share/100)
			pages.Conns -= n
			out = append(out, Kind{k.name, n, requests(k.next)})
		}
	}
	pages.Conns = max(1, pages.Conns)
	pages.Requests = requests(func() Request {
		return Request{a.Pages[rnd.IntN(len(a.Pages))], from(map[string]string{"Accept-Encoding": "gzip"})}
	})
	return append([]Kind{pages}, out...)
}

// Flood returns a search flood over conns connections: a quarter from one
// client network, which the per-client limit stops, the rest from a new
// network on every request (as a botnet or Tor circuits send it), which
// only the cap on searches at once holds. Both need a server that trusts
// loopback as its proxy.
func (a *Archive) Flood(conns int) []Kind {
	rnd := rand.New(rand.NewPCG(3, 4))
	one := max(1, conns/4)
	return []Kind{
		{"flood-one-client", one, requests(func() Request {
			return Request{"/api/search?q=" + url.QueryEscape(a.query(rnd)), map[string]string{"X-Forwarded-For": "192.0.2.66"}}
		})},
		{"flood-many-clients", max(1, conns-one), requests(func() Request {
			n := rnd.IntN(1 << 16)
			return Request{"/search?q=" + url.QueryEscape(a.query(rnd)), map[string]string{"X-Forwarded-For": fmt.Sprintf("172.%d.%d.9", 16+n>>8&0x0f, n&0xff)}}
		})},
	}
}

func requests(next func() Request) []Request {
	out := make([]Request, 2048)
	for i := range out {
		out[i] = next()
	}
	return out
}

// query is what a journalist types: most often an exact quote.
func (a *Archive) query(rnd *rand.Rand) string {
	switch n := rnd.IntN(10); {
	case n < 6 && len(a.Quotes) > 0:
		return `"` + a.Quotes[rnd.IntN(len(a.Quotes))] + `"`
	case n < 8:
		return a.Words[rnd.IntN(len(a.Words))] + " " + a.Words[rnd.IntN(len(a.Words))]
	}
	return a.Words[rnd.IntN(len(a.Words))]
}

// RunMix sends every kind at once, for d, and returns what each met.
func RunMix(ctx context.Context, base string, kinds []Kind, d time.Duration) ([]Route, error) {
	routes := make([]Route, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for i, k := range kinds {
		wg.Go(func() {
			routes[i].Name = k.Name
			routes[i].Result, errs[i] = Run(ctx, Load{URL: base, Requests: k.Requests, Conns: k.Conns, Duration: d, Statuses: true})
		})
	}
	wg.Wait()
	return routes, errors.Join(errs...)
}

// Table writes routes as a table: requests, latency and statuses.
func Table(w io.Writer, routes []Route) {
	fmt.Fprintf(w, "%-20s %8s %8s %9s %9s %9s %9s %6s  %s\n", "route", "requests", "req/s", "p50", "p90", "p99", "max", "failed", "statuses")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }
	for _, r := range routes {
		var st []string
		for s := 100; s < 600; s++ {
			if c := r.Statuses[s]; c > 0 {
				st = append(st, fmt.Sprintf("%d:%d", s, c))
			}
		}
		fmt.Fprintf(w, "%-20s %8d %8.0f %9s %9s %9s %9s %6d  %s\n", r.Name, r.Requests, r.RPS(),
			ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), r.Unanswered(), strings.Join(st, " "))
	}
}
