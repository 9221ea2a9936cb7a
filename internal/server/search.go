package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"archive/internal/content"
	"archive/internal/pipeline"
	"archive/internal/search"
	"archive/internal/site"
)

// searchFailure is why a search has no result for the reader: the status
// and what to tell them (and, for a bad parameter, which).
type searchFailure struct {
	status     int
	msg, param string
}

// search runs req, read from the URL with parseErr, on st's index. What the
// reader can change or wait out is a failure, answered in the page's or the
// API's own form; an error is the server's fault.
func (s *Server) search(w http.ResponseWriter, r *http.Request, st *pipeline.State, req search.Request, parseErr error) (*search.Result, *searchFailure, error) {
	var qe *search.QueryError
	if errors.As(parseErr, &qe) {
		return nil, &searchFailure{http.StatusBadRequest, qe.Msg, qe.Param}, nil
	}
	if parseErr != nil {
		return nil, nil, parseErr
	}
	if st.Index == nil {
		w.Header().Set("Retry-After", "30")
		return nil, &searchFailure{status: http.StatusServiceUnavailable, msg: searchBuilding}, nil
	}
	res, err := st.Index.Search(r.Context(), req)
	switch {
	case errors.As(err, &qe):
		return nil, &searchFailure{http.StatusBadRequest, qe.Msg, qe.Param}, nil
	case errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("search timed out", "error", err)
		w.Header().Set("Retry-After", "5")
		return nil, &searchFailure{status: http.StatusServiceUnavailable, msg: searchTimedOut}, nil
	case err != nil:
		return nil, nil, err
	}
	return res, nil, nil
}

const searchTimedOut = "The search took too long. Please try again, or search for fewer or rarer words."

// searchBuilding is what a reader sees while the index is being built.
const searchBuilding = "Search is getting ready: the archive has just started and is still indexing its publications. Please try again in a minute."

// searchPage is the search template's data (site.Data.Search).
type searchPage struct {
	Req    search.Request
	Result *search.Result
	Error  string // why the search could not run, for the reader
	// Status is the result count, announced to screen readers, with the
	// query (escaped by echo).
	Status template.HTML
	// QueryAttr is the form field's value attribute (escaped by echo).
	QueryAttr template.HTMLAttr
	Sections  []string
	Year      string // the filters as the form shows them
	From, To  string
	Hits      []searchHit
	Start     int // the number of the first hit
	Facets    []facetGroup
	PrevURL   string
	NextURL   string
	Sorts     []option
	Sources   []option
	// Within is the publication searched alone, and WholeURL the same
	// search in the whole archive.
	Within   *content.Publication
	WholeURL string
	// Suggestion is a query that finds something when this one found
	// nothing, and SuggestURL its search.
	Suggestion, SuggestURL string
	count                  string // "3 results"
}

type searchHit struct {
	search.Hit
	Section string // its title
	// ReadURL is where the title leads: the best passage, a PDF page as
	// text rather than the PDF.
	ReadURL string
	// MoreURL searches the publication alone, for its other passages.
	MoreURL string
}

type option struct {
	Value, Label string
	Selected     bool
}

type facetGroup struct {
	Name, Label string
	Items       []facetItem
}

type facetItem struct {
	Label  string
	Count  int
	URL    string
	Active bool // the filter is on: the link removes it
}

// serveSearch serves the search page: the form and its help, and the hits
// of the query when there is one.
func (s *Server) serveSearch(w http.ResponseWriter, r *http.Request) error {
	st, err := s.loaded(w)
	if err != nil {
		return err
	}
	// What a reader searches for is nobody else's business: no cache
	// keeps it.
	w.Header().Set("Cache-Control", "no-store")
	req, perr := search.ParseRequest(r.URL.Query())
	// The form shows the query back; bytes that are not text are shown as
	// replacement characters, while the search itself refuses them.
	shown := req
	shown.Query = strings.ToValidUTF8(req.Query, "\uFFFD")
	page := &searchPage{Req: shown, Sections: st.Site.Content.Sections, QueryAttr: template.HTMLAttr(`value="` + echo(shown.Query) + `"`)}
	if p := st.Site.Content.ByURL[req.Within]; p != nil {
		whole := req
		whole.Within, whole.Page = "", 0
		page.Within, page.WholeURL = p, searchURL(whole)
	}
	d := st.Site.Data()
	// The header's search box stays empty: the page's own form holds the
	// query.
	d.Title, d.Search = "Search", page
	d.Path = "/search"
	status := http.StatusOK

	if strings.TrimSpace(req.Query) != "" || req.HasFilters() || perr != nil {
		res, failed, err := s.search(w, r, st, req, perr)
		switch {
		case err != nil:
			return err
		case failed != nil:
			page.Error, status = failed.msg, failed.status
		default:
			page.fill(res)
		}
	}
	if page.Error != "" {
		d.Title = "Search: " + statusHeadings[status]
	} else if page.Result != nil {
		d.Title = "Search: " + page.count
	}
	page.options()
	body, err := st.Site.Templates.Render("search", d)
	if err != nil {
		return err
	}
	writeMade(w, r, status, "text/html; charset=utf-8", body)
	return nil
}

// fill lays a result out for the template.
func (p *searchPage) fill(res *search.Result) {
	p.Result = res
	req := p.Req
	switch {
	case res.Total == 0:
		p.count = "No results"
	case req.Within != "":
		// One publication: what it holds is passages.
		n := len(res.Hits[0].Passages)
		p.count = fmt.Sprintf("%d passages", n)
		if n == 1 {
			p.count = "1 passage"
		}
		if res.Hits[0].More {
			p.count = "The first " + p.count
		}
	case res.Total == 1:
		p.count = "1 result"
	default:
		p.count = fmt.Sprintf("%d results", res.Total)
	}
	if res.Suggestion != "" {
		p.Suggestion = res.Suggestion
		sr := req
		sr.Query, sr.Page = res.Suggestion, 0
		p.SuggestURL = searchURL(sr)
	}
	status := p.count
	if q := strings.TrimSpace(req.Query); q != "" {
		// A phrase brings its own quotes: “"red notice"” would double them.
		if !strings.HasPrefix(q, `"`) || !strings.HasSuffix(q, `"`) || len(q) < 2 {
			q = "“" + q + "”"
		}
		status += " for " + q
	}
	if pages := res.Pages(); pages > 1 {
		status += fmt.Sprintf(", page %d of %d", res.Page, pages)
		if res.Page > 1 {
			prev := req
			prev.Page = res.Page - 1
			p.PrevURL = searchURL(prev)
		}
		if res.Page < pages {
			next := req
			next.Page = res.Page + 1
			p.NextURL = searchURL(next)
		}
	}
	p.Status = template.HTML(echo(status))
	p.Start = (res.Page-1)*res.PerPage + 1
	for _, h := range res.Hits {
		sh := searchHit{Hit: h, Section: site.SectionTitle(h.Section), ReadURL: h.URL}
		if h.TextURL != "" {
			sh.ReadURL = h.TextURL
		}
		if h.More && req.Within == "" {
			more := req
			more.Within, more.Page, more.PerPage = h.PublicationURL, 0, 0
			sh.MoreURL = searchURL(more)
		}
		p.Hits = append(p.Hits, sh)
	}
	// Each facet value links to the search with that filter added (and the
	// first page); the value already filtered on links to the search without.
	group := func(name, label string, counts []search.FacetCount, current string, set func(*search.Request, string), show func(string) string) {
		g := facetGroup{Name: name, Label: label}
		for _, c := range counts {
			r := req
			r.Page = 0
			active := c.Value == current
			if active {
				set(&r, "")
			} else {
				set(&r, c.Value)
			}
			g.Items = append(g.Items, facetItem{Label: show(c.Value), Count: c.Count, URL: searchURL(r), Active: active})
		}
		if len(g.Items) > 0 {
			p.Facets = append(p.Facets, g)
		}
	}
	same := func(s string) string { return s }
	year := ""
	if req.Year != 0 {
		year = strconv.Itoa(req.Year)
	}
	group("source", "Found in", res.Facets.Source, req.Source, func(r *search.Request, v string) { r.Source = v }, sourceLabel)
	group("section", "Section", res.Facets.Section, req.Section, func(r *search.Request, v string) { r.Section = v }, site.SectionTitle)
	group("year", "Year", res.Facets.Year, year, func(r *search.Request, v string) { r.Year, _ = strconv.Atoi(v) }, same)
	group("tag", "Tag", res.Facets.Tag, req.Tag, func(r *search.Request, v string) { r.Tag = v }, same)
}

// options fills the form's current values and choices.
func (p *searchPage) options() {
	req := p.Req
	if req.Year != 0 {
		p.Year = strconv.Itoa(req.Year)
	}
	if !req.From.IsZero() {
		p.From = req.From.Format(time.DateOnly)
	}
	if !req.To.IsZero() {
		p.To = req.To.Format(time.DateOnly)
	}
	sort := req.Sort
	if sort == "" {
		sort = search.SortRelevance
	}
	for _, o := range []option{{Value: search.SortRelevance, Label: "Relevance"}, {Value: search.SortNewest, Label: "Newest first"}, {Value: search.SortOldest, Label: "Oldest first"}} {
		o.Selected = o.Value == sort
		p.Sorts = append(p.Sorts, o)
	}
	for _, o := range []option{{Value: "", Label: "Pages and PDFs"}, {Value: search.SourcePage, Label: "Publication pages"}, {Value: search.SourcePDF, Label: "PDF attachments"}} {
		o.Selected = o.Value == req.Source
		p.Sources = append(p.Sources, o)
	}
}

// echo escapes the reader's words for HTML text or a quoted attribute,
// "=" included: escaped or not, an echoed "onerror=alert(1)" is inert, but
// a page that never carries such text cannot worry anyone who scans it.
func echo(s string) string {
	return strings.ReplaceAll(html.EscapeString(s), "=", "&#61;")
}

func sourceLabel(v string) string {
	switch v {
	case search.SourcePage:
		return "Publication pages"
	case search.SourcePDF:
		return "PDF attachments"
	}
	return v
}

func searchURL(r search.Request) string {
	return "/search?" + r.Values().Encode()
}

// apiResult is the JSON of /api/search; the README (section Search)
// documents it.
type apiResult struct {
	Query      string    `json:"query"`
	Total      int       `json:"total"`
	TookMS     float64   `json:"took_ms"`
	Page       int       `json:"page"`
	PerPage    int       `json:"per_page"`
	Pages      int       `json:"pages"`
	Hits       []apiHit  `json:"hits"`
	Facets     apiFacets `json:"facets"`
	Suggestion string    `json:"suggestion,omitempty"`
}

type apiHit struct {
	Title          string       `json:"title"`
	Kind           string       `json:"kind"`
	URL            string       `json:"url"`
	PublicationURL string       `json:"publication_url"`
	Section        string       `json:"section"`
	Date           string       `json:"date"`
	Lang           string       `json:"lang"`
	Source         string       `json:"source"`
	Page           int          `json:"page,omitempty"`
	File           string       `json:"file,omitempty"`
	FileTitle      string       `json:"file_title,omitempty"`
	TextURL        string       `json:"text_url,omitempty"`
	OCR            bool         `json:"ocr,omitempty"`
	Snippet        string       `json:"snippet"`
	Passages       []apiPassage `json:"passages"`
	MorePassages   bool         `json:"more_passages,omitempty"`
	Score          float64      `json:"score"`
}

type apiPassage struct {
	URL     string `json:"url"`
	Source  string `json:"source"`
	Page    int    `json:"page,omitempty"`
	File    string `json:"file,omitempty"`
	TextURL string `json:"text_url,omitempty"`
	OCR     bool   `json:"ocr,omitempty"`
	Snippet string `json:"snippet"`
}

type apiFacets struct {
	Section []apiFacet `json:"section"`
	Year    []apiFacet `json:"year"`
	Tag     []apiFacet `json:"tag"`
	Source  []apiFacet `json:"source"`
}

type apiFacet struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

type apiError struct {
	Error string `json:"error"`
	Param string `json:"param,omitempty"`
}

// serveSearchAPI answers /api/search with JSON. Errors are JSON too, with
// the status: 400 for a query or filter to change, 503 while the index is
// being built or when a search runs out of time.
func (s *Server) serveSearchAPI(w http.ResponseWriter, r *http.Request) error {
	st, err := s.loaded(w)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	req, perr := search.ParseRequest(r.URL.Query())
	res, failed, err := s.search(w, r, st, req, perr)
	if err != nil {
		return err
	}
	if failed != nil {
		return writeJSON(w, r, failed.status, apiError{Error: failed.msg, Param: failed.param})
	}
	out := apiResult{
		Query:   req.Query,
		Total:   res.Total,
		TookMS:  math.Round(float64(res.Took.Microseconds())) / 1000,
		Page:    res.Page,
		PerPage: res.PerPage,
		Pages:   res.Pages(),
		Hits:    make([]apiHit, 0, len(res.Hits)),
		Facets: apiFacets{
			Section: apiFacets4(res.Facets.Section), Year: apiFacets4(res.Facets.Year),
			Tag: apiFacets4(res.Facets.Tag), Source: apiFacets4(res.Facets.Source),
		},
		Suggestion: res.Suggestion,
	}
	for _, h := range res.Hits {
		hit := apiHit{
			Title: h.Title, Kind: h.Kind, URL: h.URL, PublicationURL: h.PublicationURL, Section: h.Section,
			Date: dateOnly(h.Date), Lang: h.Lang, Source: h.Source, Page: h.Page,
			File: h.File, FileTitle: h.FileTitle, TextURL: h.TextURL, OCR: h.OCR, Snippet: string(h.Snippet),
			MorePassages: h.More, Score: math.Round(h.Score*1e4) / 1e4,
			Passages: make([]apiPassage, 0, len(h.Passages)),
		}
		for _, p := range h.Passages {
			hit.Passages = append(hit.Passages, apiPassage{URL: p.URL, Source: p.Source, Page: p.Page, File: p.File, TextURL: p.TextURL, OCR: p.OCR, Snippet: string(p.Snippet)})
		}
		out.Hits = append(out.Hits, hit)
	}
	return writeJSON(w, r, http.StatusOK, out)
}

func apiFacets4(fc []search.FacetCount) []apiFacet {
	out := []apiFacet{}
	for _, c := range fc {
		out = append(out, apiFacet{Value: c.Value, Count: c.Count})
	}
	return out
}

func dateOnly(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// writeJSON encodes v into memory first, so a failure never sends half a
// document, in a buffer kept for the next answer: json.Marshal copies its
// buffer out, and appending the newline copied the answer again.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) error {
	buf := madeBuffers.Get().(*bytes.Buffer)
	defer putMadeBuffer(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return fmt.Errorf("encode search result: %w", err)
	}
	writeMade(w, r, status, "application/json; charset=utf-8", buf.Bytes())
	return nil
}

// openSearch is the data of opensearch.xml.
type openSearch struct {
	ShortName   string
	Description string
	Base        string // scheme and host, no final slash
	Icon        string
}

// serveOpenSearch describes the archive's search to browsers, so that a
// reader can add it as a search engine.
func (s *Server) serveOpenSearch(w http.ResponseWriter, r *http.Request) error {
	st, err := s.loaded(w)
	if err != nil {
		return err
	}
	settings := st.Site.Content.Settings
	base := strings.TrimSuffix(settings.BaseURL, "/")
	if base == "" {
		if base, err = requestOrigin(r); err != nil {
			return err
		}
	}
	if _, err := url.Parse(base); err != nil {
		return errorf(http.StatusBadRequest, "The request names no valid host.")
	}
	d := openSearch{
		ShortName:   shortName(settings.Title),
		Description: "Search " + settings.Title + ": publications and their PDF attachments",
		Base:        base,
		Icon:        st.Site.Assets.URL("icon.svg"),
	}
	if settings.Title == "" {
		d.Description = "Search publications and their PDF attachments"
	}
	body, err := st.Site.Templates.Render("opensearch.xml", d)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/opensearchdescription+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return nil
}

// shortName fits the site's title into OpenSearch's ShortName, which
// browsers show in a menu and the specification caps at 16 characters.
func shortName(title string) string {
	if title == "" {
		return "Archive"
	}
	if utf8.RuneCountInString(title) <= 16 {
		return title
	}
	words := strings.Fields(title)
	out := ""
	for _, w := range words {
		next := strings.TrimSpace(out + " " + w)
		if utf8.RuneCountInString(next) > 16 {
			break
		}
		out = next
	}
	if out == "" {
		out = string([]rune(title)[:16])
	}
	return out
}
