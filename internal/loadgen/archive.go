package loadgen

import (
	"context"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Archive is what Discover found on a running archive: what readers can
// ask it for.
type Archive struct {
	Pages   []string // paths of the pages in the sitemap
	Assets  []string // stylesheet and icons the pages link to
	PDFs    []PDF
	Phrases []string // runs of words from the pages, for exact-quote searches
	Words   []string
	// Search reports whether search answered; until it does, a mix
	// leaves it out.
	Search bool
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

// Discover reads the sitemap of the archive at base, then up to maxPages of
// its pages for PDFs, assets and phrases to search for.
func Discover(ctx context.Context, base string, maxPages int) (*Archive, error) {
	if err := checkLoopback(base); err != nil {
		return nil, err
	}
	base = strings.TrimSuffix(base, "/")
	c := &http.Client{Timeout: 30 * time.Second}
	fetch := func(method, path string) (*http.Response, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
		if err != nil {
			return nil, nil, err
		}
		res, err := c.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res, b, err
	}

	res, b, err := fetch("GET", "/sitemap.xml")
	if err != nil || res.StatusCode != 200 {
		return nil, fmt.Errorf("loadgen: read sitemap: %v (status %v)", err, status(res))
	}
	var sm struct {
		URLs []struct {
			Loc string `xml:"loc"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal(b, &sm); err != nil {
		return nil, fmt.Errorf("loadgen: read sitemap: %w", err)
	}
	a := &Archive{}
	for _, u := range sm.URLs {
		if p, err := url.Parse(u.Loc); err == nil && strings.HasPrefix(p.Path, "/") {
			a.Pages = append(a.Pages, p.EscapedPath())
		}
	}
	if len(a.Pages) == 0 {
		return nil, fmt.Errorf("loadgen: the sitemap lists no pages")
	}

	seen := map[string]bool{}
	for i, p := range a.Pages {
		if i >= maxPages {
			break
		}
		_, b, err := fetch("GET", p)
		if err != nil {
			return nil, fmt.Errorf("loadgen: read %s: %w", p, err)
		}
		page := string(b)
		for _, m := range pdfLink.FindAllStringSubmatch(page, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				a.PDFs = append(a.PDFs, PDF{Path: m[1]})
			}
		}
		for _, m := range assetLink.FindAllStringSubmatch(page, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				a.Assets = append(a.Assets, m[1])
			}
		}
		for _, m := range paragraph.FindAllStringSubmatch(page, -1) {
			a.addPhrases(html.UnescapeString(tag.ReplaceAllString(m[1], "")))
		}
	}
	// Pages may link to PDFs of other sites by path (imported Markdown
	// does); only the archive's own are kept.
	var pdfs []PDF
	for _, p := range a.PDFs {
		res, _, err := fetch("HEAD", p.Path)
		if err != nil {
			return nil, fmt.Errorf("loadgen: HEAD %s: %w", p.Path, err)
		}
		if res.StatusCode == 200 && res.ContentLength > 0 {
			p.Size = res.ContentLength
			pdfs = append(pdfs, p)
		}
	}
	a.PDFs = pdfs
	if len(a.Words) > 0 {
		res, _, err := fetch("GET", "/api/search?q="+url.QueryEscape(a.Words[0]))
		a.Search = err == nil && res.StatusCode == 200
	}
	return a, nil
}

// addPhrases keeps a few runs of four words, and some words, from a
// paragraph's text.
func (a *Archive) addPhrases(text string) {
	words := strings.Fields(text)
	for i := 0; i+4 <= len(words) && len(a.Phrases) < 2000; i += 17 {
		a.Phrases = append(a.Phrases, strings.Trim(strings.Join(words[i:i+4], " "), ".,;:()\"“”‘’¶"))
	}
	for i := 3; i < len(words) && len(a.Words) < 2000; i += 11 {
		if w := strings.Trim(words[i], ".,;:()\"“”‘’¶"); len(w) > 3 {
			a.Words = append(a.Words, w)
		}
	}
}

func status(res *http.Response) any {
	if res == nil {
		return "none"
	}
	return res.StatusCode
}

// Mix weights: most readers read pages; some open a PDF, which a browser's
// viewer fetches in Range requests; some search.
const (
	weightPage     = 60
	weightAsset    = 5
	weightPDFRange = 15
	weightPDFWhole = 2
	weightSearch   = 12
	weightAPI      = 6
)

// Kinds returns the archive's mix of requests. With readers > 0, each
// request carries an X-Forwarded-For from one of that many client networks,
// as a reverse proxy would send it, so that a server trusting loopback as
// its proxy tells the simulated readers apart (and rate-limits each one
// rather than all together).
func (a *Archive) Kinds(readers int) []Kind {
	forwarded := func(rnd *rand.Rand, h http.Header) http.Header {
		if readers > 0 {
			n := rnd.IntN(readers)
			h.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", n>>8&0xff, n&0xff, 1+rnd.IntN(250)))
		}
		return h
	}
	pick := func(rnd *rand.Rand, s []string) string { return s[rnd.IntN(len(s))] }
	weight := func(w int, ok bool) int {
		if ok {
			return w
		}
		return 0
	}
	return []Kind{
		{Name: "page", Weight: weightPage, Next: func(rnd *rand.Rand) Request {
			return Request{Path: pick(rnd, a.Pages), Header: forwarded(rnd, http.Header{"Accept-Encoding": {"gzip"}})}
		}},
		{Name: "asset", Weight: weight(weightAsset, len(a.Assets) > 0), Next: func(rnd *rand.Rand) Request {
			return Request{Path: pick(rnd, a.Assets), Header: forwarded(rnd, http.Header{})}
		}},
		{Name: "pdf-range", Weight: weight(weightPDFRange, len(a.PDFs) > 0), Next: func(rnd *rand.Rand) Request {
			p := a.PDFs[rnd.IntN(len(a.PDFs))]
			// A PDF viewer's requests: chunks of 64 KiB.
			const chunk = 64 << 10
			start := int64(rnd.IntN(int(max(1, (p.Size+chunk-1)/chunk)))) * chunk
			end := min(start+chunk, p.Size) - 1
			return Request{Path: p.Path, Header: forwarded(rnd, http.Header{"Range": {"bytes=" + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(end, 10)}})}
		}},
		{Name: "pdf-whole", Weight: weight(weightPDFWhole, len(a.PDFs) > 0), Next: func(rnd *rand.Rand) Request {
			return Request{Path: a.PDFs[rnd.IntN(len(a.PDFs))].Path, Header: forwarded(rnd, http.Header{})}
		}},
		{Name: "search", Weight: weight(weightSearch, a.Search), Next: func(rnd *rand.Rand) Request {
			return Request{Path: "/search?q=" + url.QueryEscape(a.query(rnd)), Header: forwarded(rnd, http.Header{"Accept-Encoding": {"gzip"}})}
		}},
		{Name: "api-search", Weight: weight(weightAPI, a.Search), Next: func(rnd *rand.Rand) Request {
			return Request{Path: "/api/search?q=" + url.QueryEscape(a.query(rnd)), Header: forwarded(rnd, http.Header{})}
		}},
	}
}

// query is what a journalist would type: most often an exact quote.
func (a *Archive) query(rnd *rand.Rand) string {
	switch n := rnd.IntN(10); {
	case n < 6 && len(a.Phrases) > 0:
		return `"` + a.Phrases[rnd.IntN(len(a.Phrases))] + `"`
	case n < 8 && len(a.Words) > 1:
		return a.Words[rnd.IntN(len(a.Words))] + " " + a.Words[rnd.IntN(len(a.Words))]
	case len(a.Words) > 0:
		return a.Words[rnd.IntN(len(a.Words))]
	}
	return "report"
}

// FloodKinds returns a search flood: from one client network, which the
// per-client limit stops, and from a different network on every request
// (as a botnet or many Tor circuits would send it), which only the cap on
// concurrent searches can hold. Both need a server that trusts loopback as
// its proxy.
func (a *Archive) FloodKinds() []Kind {
	return []Kind{
		{Name: "flood-one-client", Weight: 1, Next: func(rnd *rand.Rand) Request {
			return Request{Path: "/api/search?q=" + url.QueryEscape(a.query(rnd)), Header: http.Header{"X-Forwarded-For": {"192.0.2.66"}}}
		}},
		{Name: "flood-many-clients", Weight: 3, Next: func(rnd *rand.Rand) Request {
			n := rnd.IntN(1 << 16)
			return Request{Path: "/search?q=" + url.QueryEscape(a.query(rnd)), Header: http.Header{"X-Forwarded-For": {fmt.Sprintf("172.%d.%d.9", 16+n>>8&0x0f, n&0xff)}}}
		}},
	}
}
