package search

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sort orders.
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
	SortOldest    = "oldest"
)

// Sources a hit comes from.
const (
	SourcePage = "page"
	SourcePDF  = "pdf"
)

// Paging limits. Deep pages cost memory in the collector and nobody reads
// them: a reader refines the query instead.
const (
	DefaultPerPage = 10
	MaxPerPage     = 50
	MaxPage        = 100
)

// pdfWeight scales the score of PDF page hits. A publication page ranks
// above the page of its own PDF holding the same words: it links to the
// exact paragraph, and carries the date, title and summary. (Giving PDF
// text a field of its own would let a query boost it, but would also give
// it statistics of its own: in a field of few documents every word looks
// rare.)
const pdfWeight = 0.7

// Timeout bounds every search, so that no query can hold a core for long.
const Timeout = 2 * time.Second

// Request is a search as a reader asks for it.
type Request struct {
	Query   string
	Section string
	Tag     string
	Lang    string
	Source  string    // "", SourcePage or SourcePDF
	Year    int       // 0 for any
	From    time.Time // first day, inclusive; zero for open
	To      time.Time // last day, inclusive; zero for open
	Sort    string    // SortRelevance (""), SortNewest or SortOldest
	// Within is the URL path of a publication (Publication.URL) to search
	// alone; "" for all.
	Within  string
	Page    int // 1-based; 0 means 1
	PerPage int // 0 means DefaultPerPage
}

// HasFilters reports whether the request narrows the search by anything
// other than the query.
func (r Request) HasFilters() bool {
	return r.Section != "" || r.Tag != "" || r.Lang != "" || r.Source != "" || r.Year != 0 || !r.From.IsZero() || !r.To.IsZero() || r.Within != ""
}

// Values writes the request as URL parameters, the inverse of ParseRequest.
// Defaults are left out so that links stay short.
func (r Request) Values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", r.Query)
	set("section", r.Section)
	set("tag", r.Tag)
	set("lang", r.Lang)
	set("source", r.Source)
	set("within", r.Within)
	if r.Year != 0 {
		v.Set("year", strconv.Itoa(r.Year))
	}
	if !r.From.IsZero() {
		v.Set("from", r.From.Format(time.DateOnly))
	}
	if !r.To.IsZero() {
		v.Set("to", r.To.Format(time.DateOnly))
	}
	if r.Sort != "" && r.Sort != SortRelevance {
		v.Set("sort", r.Sort)
	}
	if r.Page > 1 {
		v.Set("page", strconv.Itoa(r.Page))
	}
	if r.PerPage != 0 && r.PerPage != DefaultPerPage {
		v.Set("per_page", strconv.Itoa(r.PerPage))
	}
	return v
}

// ParseRequest reads a request from URL parameters: q, section, tag, lang,
// source, within, year, from, to (YYYY-MM-DD), sort, page and per_page. Empty
// parameters are ignored, as a form sends every field. Errors are
// *QueryError naming the parameter. The query itself is parsed by Search.
func ParseRequest(v url.Values) (Request, error) {
	var r Request
	var err error
	text := func(name string) string {
		s := strings.TrimSpace(v.Get(name))
		if err != nil || s == "" {
			return s
		}
		if !utf8.ValidString(s) || len(s) > 200 || strings.ContainsFunc(s, unicode.IsControl) {
			err = &QueryError{Param: name, Msg: fmt.Sprintf("The %s filter is not valid.", name)}
		}
		return s
	}
	number := func(name string, lo, hi int) int {
		s := text(name)
		if err != nil || s == "" {
			return 0
		}
		n, convErr := strconv.Atoi(s)
		if convErr != nil || n < lo || n > hi {
			err = &QueryError{Param: name, Msg: fmt.Sprintf("The %s must be a number from %d to %d.", strings.ReplaceAll(name, "_", " "), lo, hi)}
		}
		return n
	}
	date := func(name string) time.Time {
		s := text(name)
		if err != nil || s == "" {
			return time.Time{}
		}
		t, parseErr := time.Parse(time.DateOnly, s)
		if parseErr != nil {
			err = &QueryError{Param: name, Msg: fmt.Sprintf("The %q date must be written as YYYY-MM-DD, such as 2022-01-13.", name)}
		}
		return t
	}

	r.Query = v.Get("q")
	r.Section = text("section")
	r.Tag = text("tag")
	r.Lang = text("lang")
	r.Source = text("source")
	r.Within = text("within")
	r.Year = number("year", 1, 9999)
	r.From = date("from")
	r.To = date("to")
	r.Sort = text("sort")
	r.Page = number("page", 1, MaxPage)
	r.PerPage = number("per_page", 1, MaxPerPage)
	if err != nil {
		return r, err
	}
	switch r.Source {
	case "", SourcePage, SourcePDF:
	case "all":
		r.Source = ""
	default:
		return r, &QueryError{Param: "source", Msg: `The source must be "page" or "pdf".`}
	}
	switch r.Sort {
	case "", SortRelevance, SortNewest, SortOldest:
	default:
		return r, &QueryError{Param: "sort", Msg: `The sort must be "relevance", "newest" or "oldest".`}
	}
	if r.Within != "" && !strings.HasPrefix(r.Within, "/") {
		return r, &QueryError{Param: "within", Msg: "The within filter must be the address of a publication, such as /letters/open-letter-to-interpol/."}
	}
	if !r.From.IsZero() && !r.To.IsZero() && r.From.After(r.To) {
		return r, &QueryError{Param: "from", Msg: "The from date is after the to date."}
	}
	return r, nil
}

// Result is one page of hits, one hit per publication.
type Result struct {
	Query   *Query // as parsed
	Total   int    // publications found, in all pages
	Took    time.Duration
	Page    int
	PerPage int
	Hits    []Hit
	Facets  Facets
	// Suggestion is a query that finds something, made of the index's own
	// words closest to those typed, when this one found nothing; "" when
	// there is none (see suggest.go).
	Suggestion string
}

// Pages is the number of pages of hits, at most MaxPage.
func (r *Result) Pages() int {
	return min(MaxPage, (r.Total+r.PerPage-1)/r.PerPage)
}

// Kinds of what a hit belongs to.
const (
	KindPublication = "publication"
	KindPage        = "page"
	KindDocument    = "document"
)

// Passages per hit: the best passages of a publication, and of the one
// publication a search Within lists.
const (
	MaxPassages       = 4
	MaxWithinPassages = 50
)

// Hit is a publication that matches, with the passages (paragraphs of its
// page, pages of its PDFs) where the words stand. Its own Passage fields
// are those of its best passage.
type Hit struct {
	Title          string // the publication's title
	Kind           string // KindPublication, KindPage for an undated page (about.md), or KindDocument for a standalone PDF
	PublicationURL string
	Section        string
	Date           time.Time
	Lang           string
	Passage
	// Passages are the passages shown, best first: Passages[0] is the
	// hit's own. At most MaxPassages, or MaxWithinPassages for a search
	// Within the publication.
	Passages []Passage
	More     bool // more passages hold the words than Passages shows
	Score    float64
}

// Passage is a paragraph or a PDF page where the words stand.
type Passage struct {
	URL       string // where the words stand: a paragraph, or a page of the PDF (#page=N)
	Source    string // SourcePage or SourcePDF
	Page      int    // PDF page number
	File      string // PDF file name
	FileTitle string // PDF title as the publication lists it
	TextURL   string // a PDF page as text (PDFPageURL), with the words to mark
	// OCR says that the PDF page's text was read from a scan by OCR: a
	// journalist checks the image before quoting it.
	OCR    bool
	Anchor string // id of the paragraph holding the match, for page hits
	// Snippet is the text around the match, HTML-escaped, with the matched
	// words in <mark>.
	Snippet template.HTML
}

// PDFPageURL is the URL of page n of the PDF attachment at attachment (its
// URL), shown as text.
func PDFPageURL(attachment string, n int) string {
	return attachment + "/page/" + strconv.Itoa(n) + "/"
}

// Facets count the publications of the whole result by filter value, most
// first. Source counts the publications with a hit on their page and those
// with one in their PDFs, so its counts may add up to more than the total.
type Facets struct {
	Section, Year, Tag, Source []FacetCount
}

// FacetCount is one line of a facet.
type FacetCount struct {
	Value string
	Count int
}

// Search runs a request. A query or filter the reader must change gives a
// *QueryError; a search that runs out of time gives an error wrapping
// context.DeadlineExceeded.
func (x *Index) Search(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	if req.Page < 1 {
		req.Page = 1
	}
	if req.PerPage < 1 {
		req.PerPage = DefaultPerPage
	}
	if req.Page > MaxPage || req.PerPage > MaxPerPage {
		return nil, &QueryError{Param: "page", Msg: fmt.Sprintf("Only the first %d pages of results are shown. Narrow the search instead.", MaxPage)}
	}
	q, err := Parse(req.Query)
	if err != nil {
		return nil, err
	}
	if q.Empty() && !req.HasFilters() {
		return nil, &QueryError{Param: "q", Msg: "Type a word or phrase to search for."}
	}
	if q.Empty() && (req.Sort == "" || req.Sort == SortRelevance) {
		req.Sort = SortNewest // without words there is no relevance
	}
	x, done, err := x.current()
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", req.Query, err)
	}
	defer done()
	if _, ok := x.docs.pubByURL[req.Within]; req.Within != "" && !ok {
		return nil, &QueryError{Param: "within", Msg: "The within filter names no publication of the archive."}
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	out, err := x.search(ctx, req, q)
	if err != nil {
		if strings.Contains(err.Error(), "TooManyClauses") {
			return nil, &QueryError{Param: "q", Msg: "Too many words start with the letters before the *. Type a few more letters."}
		}
		return nil, fmt.Errorf("search %q: %w", req.Query, err)
	}
	if out.Total == 0 && !q.Empty() {
		out.Suggestion = x.suggest(ctx, req, q)
	}
	out.Took = time.Since(start)
	return out, nil
}

// search runs a request whose query is q on x, read-locked.
func (x *Index) search(ctx context.Context, req Request, q *Query) (*Result, error) {
	perPub := MaxPassages
	switch {
	case q.Empty():
		perPub = 1 // a list by filters: the opening of each publication is enough
	case req.Within != "":
		perPub = MaxWithinPassages
	}
	p := x.plan(q)
	c := newCollector(x, req, perPub)
	defer c.release()
	// One reader for both steps: the hits' numbers are its documents'.
	reader, err := readerOf(x.bi)
	if err != nil {
		return nil, err
	}
	defer reader.Close()
	if !x.hot.off.Load() {
		hr := hotReader{IndexReader: reader, x: x}
		if c.filtered {
			hr.keep = c.admitsDocument
		}
		reader = hr
	}
	if q.Empty() {
		err = x.collectAll(ctx, c)
	} else {
		err = x.collectQuery(ctx, reader, p, c)
	}
	if err != nil {
		return nil, err
	}
	pubs := c.page()
	var hits []scored
	for _, f := range pubs {
		hits = append(hits, f.hits...)
	}
	locs, err := x.locate(ctx, reader, p, hits)
	if err != nil {
		return nil, err
	}
	out := &Result{Query: q, Total: c.total(), Page: req.Page, PerPage: req.PerPage, Facets: c.facets(), Hits: make([]Hit, 0, len(pubs))}
	hl := highlightParam(q)
	for _, f := range pubs {
		hit, err := hitOf(f, locs, p, hl, perPub)
		if err != nil {
			return nil, err
		}
		out.Hits = append(out.Hits, hit)
	}
	return out, nil
}
