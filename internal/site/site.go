// Package site renders every page of the archive into memory once, from the
// loaded content, so that the server only has to look pages up and write
// them. Each page is kept with its gzip body and ETag.
//
// It owns the templates' data (Data) and the page list; it does not serve
// HTTP (package server) or load files (package content).
//
// # Pages beyond HTML
//
// Besides the HTML pages, Build renders the feeds (/feed.atom, /feed.json,
// and the same under each section and tag), each publication's citation files
// (cite.bib, cite.ris, cite.json beside it), and /checksums.txt, which lists
// the SHA-256 of every file the site serves in the format sha256sum -c reads.
//
// # Absolute URLs
//
// Feeds and citation files need absolute URLs, and the site knows its own
// only when site.toml sets base_url. Without it, HTML pages use paths (a
// relative canonical link is valid HTML), and the pages that need an origin
// are rendered with OriginMarker in its place and flagged Page.Origin; the
// server completes them per request with WithOrigin. So the same binary gives
// right links on a clearnet domain, an onion address and localhost, while
// the HTML pages stay rendered once and never vary with the Host header.
//
// # Rendering again
//
// Watch mode reloads the site on every save, and rendering 10,000
// publications takes seconds, mostly in templates and gzip. Rebuild keeps
// from the previous site every page whose inputs are the same: each page
// made from a template remembers a hash of what it shows, and the pages made
// otherwise are kept when their bytes are. Templates and static files carry
// a hash of their files, so that parsing them anew changes nothing but an
// edit re-renders every page.
//
// # Saved pages
//
// A build saves its pages with SavePages, and a server starts from them with
// OpenPages in a fraction of a second, without the Markdown, rendering
// nothing: the bodies stay in a file mapped into memory, shared by every
// server on the machine that serves it.
package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"archive/internal/content"
	"archive/internal/feed"
	"archive/internal/markdown"
	"archive/internal/parallel"
)

// PerPage is how many publications a list page shows.
const PerPage = 20

// Page is a rendered response.
type Page struct {
	Status      int
	ContentType string
	Body        []byte
	Gzip        []byte // nil when compression does not pay
	ETag        string
	// Origin is set when Body holds OriginMarker where the site's scheme and
	// host belong; see WithOrigin.
	Origin bool
}

// NewPage wraps a rendered body, compressing it when that pays.
func NewPage(status int, contentType string, body []byte) *Page {
	sum := sha256.Sum256(body)
	p := &Page{Status: status, ContentType: contentType, Body: body, ETag: `"` + hex.EncodeToString(sum[:10]) + `"`}
	if len(body) > 512 {
		buf := renderBuffers.Get().(*bytes.Buffer)
		buf.Reset()
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(buf)
		zw.Write(body)
		zw.Close()
		zw.Reset(nil) // hold no page while pooled
		gzipWriters.Put(zw)
		if buf.Len() < len(body)*9/10 {
			p.Gzip = bytes.Clone(buf.Bytes())
		}
		if buf.Cap() <= maxPooledBuffer {
			renderBuffers.Put(buf)
		}
	}
	return p
}

// gzipWriters are compressors for NewPage to reuse. A new one allocates and
// clears its tables, more than the pages it compresses: in a profile of
// site.Build over 1,000 publications, gzip took 60 % of the CPU, mostly
// making compressors. Reset makes a reused one write the same bytes.
//
// The level is the compressor's default. On the archive's own pages it
// compresses three times as fast as the standard library's best
// compression, for 1.7 % more bytes (26.2 % of the page against 25.8 %):
// at 10,000 publications, best compression was 6.8 s of a cold start's
// 48 s of CPU.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return zw
}}

// PDFInfo is what PDF extraction learnt of an attachment.
type PDFInfo struct {
	Pages  int
	NoText bool   // no text layer: a scan
	Err    string // why the text could not be read
}

// Site is the rendered archive.
type Site struct {
	Content   *content.Site
	Templates *Templates
	Assets    *Assets
	PDFs      map[string]PDFInfo // by attachment path
	Pages     map[string]*Page   // by URL path
	NotFound  *Page
	// Rendered and Reused count the Pages that Rebuild made anew and those
	// it took over from the previous site: Build renders all, OpenPages none.
	Rendered, Reused int
	// ItemsRendered counts the publications' entries in lists that Rebuild
	// rendered anew rather than took over.
	ItemsRendered int

	base         string                   // base_url without its final slash; "" when unknown
	translations map[string][]Translation // by translation key
	// keys are what each page rendered from a template was rendered from
	// (see publicationKey and dataKey), by URL, for the next Rebuild to
	// compare. A Site from OpenPages has those SavePages saved.
	keys map[string][sha256.Size]byte
	// items are the entries of publications in lists, by URL, for the
	// next Rebuild to take over; a Site from OpenPages reads them from
	// itemsDir only then (see keptItems).
	items    map[string]savedItem
	itemsDir string
	// prev is the site Rebuild takes pages over from, set only while it
	// runs so that a chain of rebuilds does not keep every older site alive.
	prev *Site
	// origins are pages completed with a request's origin (OriginPage).
	origins originPages
	// file holds the pages' bodies when BuildInto made the site; nil when
	// they are on the heap.
	file *pageFile
	// navHTML is Data.Nav, made once (nav).
	navOnce sync.Once
	navHTML template.HTML
	navErr  error
}

// Data is what every template receives.
type Data struct {
	Site     content.Settings
	Sections []string
	Menu     []*content.Publication // pages in the top navigation (menu: main)
	// Nav is the navigation's links to Sections and Menu, rendered once
	// for every page (base.html's nav): with 37 sections it was a third
	// of a publication page's rendering.
	Nav         template.HTML `json:"-"`
	CSS, Icon   string
	Lang        string
	Title       string
	Description string
	Canonical   string
	Query       string
	// Image is the absolute URL of the page's picture for link previews,
	// "" when there is none or the base URL is unknown.
	Image string

	Heading string
	Intro   template.HTML
	List    []*content.Publication
	// Items are List rendered, each publication once for all the lists
	// that show it (itemCache): it appears in five on average, and its
	// item was the most of a list page's rendering.
	Items   []template.HTML `json:"-"`
	Pager   *Pager
	Message string

	Pub      *content.Publication
	Body     template.HTML
	TOC      []markdown.Heading
	PDFPages map[string]string

	Years   []YearCount
	TagList []TagCount

	// Search is the search page's own data (package server fills it).
	Search any

	// Path is the page's URL path; URL its absolute URL when the base URL is
	// known ("" otherwise, so that no tag claims a wrong host).
	Path, URL string
	// UILang is the language of the site's own words (menus, labels), marked
	// on them when the page's language differs.
	UILang string
	Dir    string // "rtl" for a page in a right-to-left script
	OGType string // Open Graph type: "article" or "website"
	Feeds  []FeedLink
	JSONLD template.JS // schema.org data, already JSON-encoded
	// Translations of the publication, itself included, when it has any.
	Translations []Translation
	Cite         *CiteBlock
	LastChange   time.Time // latest revision or correction, zero if none
}

// FeedLink is a feed a page announces with <link rel="alternate">.
type FeedLink struct {
	Title, URL, Type string
}

// Translation is one language version of a publication.
type Translation struct {
	Lang, Name, URL, Title string
	Current                bool
}

// CiteBlock is what the publication page says about citing it.
type CiteBlock struct {
	Text  string // the plain citation
	Files []CiteFile
}

// CiteFile is a citation download.
type CiteFile struct {
	Label, URL, Type string
}

// Pager links the pages of a long list.
type Pager struct {
	Page, Pages      int
	PrevURL, NextURL string
}

// YearCount is a line of the year archive.
type YearCount struct{ Year, Count int }

// TagCount is a line of the tag or category list.
type TagCount struct {
	Name  string // in URL form
	Label string // as written
	Count int
	URL   string // of its list page
}

// Build renders every page. It fails only if a template fails, which is a
// bug of the templates, not of the content.
func Build(cs *content.Site, t *Templates, a *Assets, pdfs map[string]PDFInfo) (*Site, error) {
	return Rebuild(nil, cs, t, a, pdfs)
}

// BuildInto renders every page as Build does, but writes each page's
// bodies to a pages file in dir as soon as it is made, and serves them from
// that file mapped into memory (see pagefile.go), so that they are not held
// on the heap. dir must be on a disk, not in memory (not a tmpfs), or
// nothing is gained; SavePages moves the file when it can.
func BuildInto(dir string, cs *content.Site, t *Templates, a *Assets, pdfs map[string]PDFInfo) (*Site, error) {
	pf, err := newPageFile(dir)
	if err != nil {
		return nil, err
	}
	s, err := rebuild(nil, cs, t, a, pdfs, pf)
	if err == nil {
		err = pf.mapPages()
	}
	if err != nil {
		pf.discard()
		return nil, err
	}
	return s, nil
}

// Rebuild renders every page as Build does, but takes over from prev (nil
// for none) each page whose inputs have not changed, so that saving one file
// in watch mode costs a few pages rather than the whole site. A page made
// from a template is not rendered again when its key (publicationKey for a
// publication, with its citation files; dataKey for the lists) is the one
// prev rendered it from. The other pages (feeds, sitemap, checksums) are
// made again, and, like a page whose key changed, replaced by prev's when
// the bytes are the same, which spares compressing them again and keeps
// the ETag that browsers and caches hold.
//
// prev is only read, so it may go on being served meanwhile.
func Rebuild(prev *Site, cs *content.Site, t *Templates, a *Assets, pdfs map[string]PDFInfo) (*Site, error) {
	return rebuild(prev, cs, t, a, pdfs, nil)
}

// rebuild is Rebuild, writing the pages into file when it is not nil.
func rebuild(prev *Site, cs *content.Site, t *Templates, a *Assets, pdfs map[string]PDFInfo, file *pageFile) (*Site, error) {
	s := &Site{Content: cs, Templates: t, Assets: a, PDFs: pdfs, Pages: map[string]*Page{}, keys: map[string][sha256.Size]byte{}, prev: prev, file: file}
	s.base = strings.TrimSuffix(cs.Settings.BaseURL, "/")
	s.translations = translations(cs)
	if s.nav(); s.navErr != nil {
		return nil, s.navErr
	}
	type job struct {
		url  string
		tmpl string
		data *Data
		// A publication's data is made by the job, in parallel: it was a
		// tenth of the rendering, all on one core.
		pub   *content.Publication
		cites []string
	}
	var jobs []job
	shared := s.sharedKey()
	items := &itemCache{s: s, shared: shared, prev: prev.keptItems(), items: map[*content.Publication]*listItem{}}
	// The pages that are not a publication's are listed first, and their
	// keys worked out on all cores: a redeploy of 10,000 publications
	// hashes thousands of list pages to render the few that changed, which
	// took a fifth of a second on one core.
	var lists []job
	add := func(url, tmpl string, d *Data) {
		lists = append(lists, job{url: url, tmpl: tmpl, data: d})
	}

	home := s.Data()
	home.OGType = "website"
	home.Feeds = s.feedLinks("")
	home.JSONLD = s.websiteJSONLD()
	s.lists(add, "/", "", cs.Publications, home)
	for _, sec := range cs.Sections {
		pubs := sectionList(cs, sec)
		d := s.Data()
		d.Heading = SectionTitle(sec)
		d.Feeds = s.feedLinks("/" + sec + "/")
		if sp := cs.SectionPages[sec]; sp != nil {
			// Its intro is in the list's key: a section page taken over
			// from a saved state is parsed again to have it.
			if err := cs.ParseBody(sp); err != nil {
				return nil, err
			}
			d.Heading = sp.Title
			d.Description = sp.Summary
			if sp.Doc != nil {
				d.Intro = template.HTML(sp.Doc.HTML)
			}
		}
		s.lists(add, "/"+sec+"/", d.Heading, pubs, d)
	}
	s.taxonomy(add, "/tags/", "Tags", "Tag: ", cs.Tags, cs.TagLabel, true)
	// Hugo's categories: a second taxonomy, with pages as the tags have.
	if len(cs.Categories) > 0 {
		s.taxonomy(add, "/categories/", "Categories", "Category: ", cs.Categories, cs.CategoryLabel, false)
	}

	var years []YearCount
	for y, pubs := range cs.Years {
		years = append(years, YearCount{y, len(pubs)})
		d := s.Data()
		d.Heading = "Published in " + strconv.Itoa(y)
		s.lists(add, "/archive/"+strconv.Itoa(y)+"/", d.Heading, pubs, d)
	}
	sort.Slice(years, func(i, j int) bool { return years[i].Year > years[j].Year })
	d := s.Data()
	d.Title, d.Heading, d.Years = "Archive", "Archive by year", years
	d.Path, d.URL, d.Canonical = "/archive/", s.absURL("/archive/"), s.linkURL("/archive/")
	d.Feeds = s.feedLinks("")
	add("/archive/", "archive", d)
	type key struct {
		sum [sha256.Size]byte
		ok  bool
	}
	listKeys := make([]key, len(lists))
	parallel.For(len(lists), func(i int) {
		j := lists[i]
		listKeys[i].sum, listKeys[i].ok = s.dataKey(shared, j.tmpl, j.data)
	})
	for i, j := range lists {
		if k := listKeys[i]; k.ok {
			s.keys[j.url] = k.sum
			if s.takeOver(j.url, nil) {
				continue
			}
		}
		items.note(j.data.List)
		jobs = append(jobs, j)
	}

	var render []*content.Publication
	var renderCites [][]string
	pubs := append(append([]*content.Publication{}, cs.Publications...), cs.Pages...)
	pubKeys := make([][sha256.Size]byte, len(pubs))
	pubCites := make([][]string, len(pubs))
	parallel.For(len(pubs), func(i int) {
		pubCites[i] = s.citeURLs(pubs[i])
		pubKeys[i] = s.publicationKey(shared, pubs[i], pubCites[i])
	})
	for i, p := range pubs {
		s.keys[p.URL] = pubKeys[i]
		if !s.takeOver(p.URL, pubCites[i]) {
			render, renderCites = append(render, p), append(renderCites, pubCites[i])
		}
	}
	// A publication whose parse the content took over from a saved state
	// has no Doc until it is parsed again, which only the few rendered
	// again need.
	if err := cs.ParseBodies(render); err != nil {
		return nil, err
	}
	for i, p := range render {
		jobs = append(jobs, job{url: p.URL, tmpl: "publication", pub: p, cites: renderCites[i]})
	}

	// Each job's page, then the citation files its data made.
	pages := make([][]urlPage, len(jobs))
	errs := make([]error, len(jobs))
	// The feeds are made beside the pages (they write only their own
	// pages and keys), rather than after them on one core: 0.24 s at
	// 8,188 publications.
	feedsDone := make(chan error, 1)
	go func() { feedsDone <- s.feeds(shared) }()
	parallel.For(len(jobs), func(i int) {
		j := jobs[i]
		pages[i] = []urlPage{{url: j.url}}
		d := j.data
		if d != nil && d.List != nil {
			if d.Items, errs[i] = items.get(d.List); errs[i] != nil {
				return
			}
		}
		if j.pub != nil {
			d = s.publicationData(j.pub, j.cites, func(url string, p *Page) {
				pages[i] = append(pages[i], urlPage{url, p})
			})
		}
		body, err := t.Render(j.tmpl, d)
		if err != nil {
			errs[i] = fmt.Errorf("%s: %w", j.url, err)
			return
		}
		pages[i][0].page = s.newPage(j.url, http.StatusOK, "text/html; charset=utf-8", body, false)
	})
	if err := <-feedsDone; err != nil {
		return nil, err
	}
	for i := range jobs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		for _, p := range pages[i] {
			s.Pages[p.url] = p.page
		}
	}
	s.items, s.ItemsRendered = items.keep(cs)

	body, err := s.errorBody("Page not found", "There is no page at this address. It may have moved, or the link may be mistyped.")
	if err != nil {
		return nil, err
	}
	var oldNotFound *Page
	if prev != nil {
		oldNotFound = prev.NotFound
	}
	s.NotFound = reuse(oldNotFound, http.StatusNotFound, "text/html; charset=utf-8", body, false)
	if s.file != nil {
		s.file.add(s.NotFound)
	}
	if err := s.extras(); err != nil {
		return nil, err
	}
	if err := s.checksums(); err != nil {
		return nil, err
	}
	for url, p := range s.Pages {
		if prev != nil && prev.Pages[url] == p {
			s.Reused++
		} else {
			s.Rendered++
		}
	}
	s.prev = nil
	return s, nil
}

// Data returns the template data every page shares.
func (s *Site) Data() *Data {
	return &Data{
		Site:     s.Content.Settings,
		Sections: s.Content.Sections,
		Menu:     s.Content.Menu,
		Nav:      s.nav(),
		CSS:      s.Assets.URL("style.css"),
		Icon:     s.Assets.URL("icon.svg"),
		Lang:     UILang,
		UILang:   UILang,
		OGType:   "website",
	}
}

// nav renders the navigation once. An error is that of the templates,
// which rebuild reports before any page uses nav.
func (s *Site) nav() template.HTML {
	s.navOnce.Do(func() {
		s.navHTML, s.navErr = s.Templates.fragment("nav", &Data{Sections: s.Content.Sections, Menu: s.Content.Menu})
	})
	return s.navHTML
}

// UILang is the language of the site's own words.
const UILang = "en"

// ErrorPage renders the error page for a status.
func (s *Site) ErrorPage(status int, heading, message string) (*Page, error) {
	body, err := s.errorBody(heading, message)
	if err != nil {
		return nil, err
	}
	return NewPage(status, "text/html; charset=utf-8", body), nil
}

func (s *Site) errorBody(heading, message string) ([]byte, error) {
	d := s.Data()
	d.Title, d.Heading, d.Message = heading, heading, message
	return s.Templates.Render("error", d)
}

// taxonomy adds the list page of each term of a taxonomy (tags,
// categories) under base, with feeds if asked, and the page listing the
// terms at base.
func (s *Site) taxonomy(add func(string, string, *Data), base, title, prefix string, terms map[string][]*content.Publication, label func(string) string, feeds bool) {
	var list []TagCount
	for term, pubs := range terms {
		name := label(term)
		list = append(list, TagCount{term, name, len(pubs), base + term + "/"})
		d := s.Data()
		d.Heading = prefix + name
		if feeds {
			d.Feeds = s.feedLinks(base + term + "/")
		}
		s.lists(add, base+term+"/", d.Heading, pubs, d)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	d := s.Data()
	d.Title, d.Heading, d.TagList = title, title, list
	d.Path, d.URL, d.Canonical = base, s.absURL(base), s.linkURL(base)
	add(base, "tags", d)
}

// sectionList is what a section's page lists: its publications and its
// standalone documents, newest first, the undated documents last.
func sectionList(cs *content.Site, sec string) []*content.Publication {
	var pubs, docs []*content.Publication
	for _, p := range cs.Publications {
		if p.Section == sec {
			pubs = append(pubs, p)
		}
	}
	for _, d := range cs.Documents {
		if d.Section == sec {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		return pubs
	}
	// Both lists are in order already: merge them.
	out := make([]*content.Publication, 0, len(pubs)+len(docs))
	for len(pubs) > 0 && len(docs) > 0 {
		if !docs[0].Undated && docs[0].Date.After(pubs[0].Date) {
			out, docs = append(out, docs[0]), docs[1:]
		} else {
			out, pubs = append(out, pubs[0]), pubs[1:]
		}
	}
	return append(append(out, pubs...), docs...)
}

// lists adds the paginated list pages of pubs under base.
func (s *Site) lists(add func(string, string, *Data), base, heading string, pubs []*content.Publication, proto *Data) {
	n := max(1, (len(pubs)+PerPage-1)/PerPage)
	for i := 1; i <= n; i++ {
		d := s.Data()
		if proto != nil {
			*d = *proto
		}
		d.Title = heading
		if i > 1 {
			d.Title = fmt.Sprintf("%s (page %d)", heading, i)
		}
		if d.Heading == "" {
			d.Heading = "Latest publications"
			d.Description = s.Content.Settings.Description
		}
		d.List = pubs[(i-1)*PerPage : min(i*PerPage, len(pubs))]
		d.Path = pageURL(base, i)
		d.URL, d.Canonical = s.absURL(d.Path), s.linkURL(d.Path)
		d.Pager = &Pager{Page: i, Pages: n}
		if i > 1 {
			d.Pager.PrevURL = pageURL(base, i-1)
		}
		if i < n {
			d.Pager.NextURL = pageURL(base, i+1)
		}
		add(pageURL(base, i), "list", d)
	}
}

func pageURL(base string, i int) string {
	if i == 1 {
		return base
	}
	return base + "page/" + strconv.Itoa(i) + "/"
}

// TOCMinHeadings is how many headings a text needs before it gets a table of contents.
const TOCMinHeadings = 3

// itemCache renders each publication's entry in lists (partials.html's
// pubitem) once for all the lists it is in, when a list first needs it,
// and only when it changed since the previous site: a redeploy of 10,000
// publications that adds one moves every page of the home page's list,
// and rendering their 10,000 entries again was half of its rendering.
type itemCache struct {
	s      *Site
	shared [sha256.Size]byte
	prev   map[string]savedItem
	items  map[*content.Publication]*listItem
}

type listItem struct {
	once     sync.Once
	saved    savedItem
	err      error
	rendered bool
}

// savedItem is a publication's entry in lists, and the key it was
// rendered from.
type savedItem struct {
	Key  [sha256.Size]byte
	HTML template.HTML
}

// keptItems returns the entries s kept, reading them from the state it was
// opened from if need be; none if s is nil or they cannot be read, which
// only costs rendering them again.
func (s *Site) keptItems() map[string]savedItem {
	switch {
	case s == nil:
		return nil
	case s.items == nil && s.itemsDir != "":
		var items map[string]savedItem
		if readGob(filepath.Join(s.itemsDir, itemsGob), &items) != nil {
			return nil
		}
		return items
	}
	return s.items
}

// keep returns the entries to keep for the next Rebuild, by URL: those
// the lists showed, and the previous ones of publications still in cs
// that no list needed this time. n counts those rendered.
func (c *itemCache) keep(cs *content.Site) (out map[string]savedItem, n int) {
	out = make(map[string]savedItem, len(c.items)+len(c.prev))
	for p, it := range c.items {
		if it.err == nil && it.saved.HTML != "" {
			out[p.URL] = it.saved
		}
		if it.rendered {
			n++
		}
	}
	for url, it := range c.prev {
		if _, ok := out[url]; !ok && cs.ByURL[url] != nil {
			out[url] = it
		}
	}
	return out, n
}

// note adds the publications of list to the cache, before any get: the
// rendering jobs only read its map.
func (c *itemCache) note(list []*content.Publication) {
	for _, p := range list {
		if c.items[p] == nil {
			c.items[p] = new(listItem)
		}
	}
}

// get returns the items of list.
func (c *itemCache) get(list []*content.Publication) ([]template.HTML, error) {
	out := make([]template.HTML, len(list))
	for i, p := range list {
		it := c.items[p]
		it.once.Do(func() {
			key := c.s.itemKey(c.shared, p)
			if old, ok := c.prev[p.URL]; ok && old.Key == key {
				it.saved = old
				return
			}
			it.saved.Key, it.rendered = key, true
			it.saved.HTML, it.err = c.s.Templates.fragment("pubitem", p)
		})
		if it.err != nil {
			return nil, it.err
		}
		out[i] = it.saved.HTML
	}
	return out, nil
}

// urlPage is a page and its URL.
type urlPage struct {
	url  string
	page *Page
}

// publicationData is the data of p's page. It makes p's citation files,
// at cites, and hands them to add.
func (s *Site) publicationData(p *content.Publication, cites []string, add func(string, *Page)) *Data {
	d := s.Data()
	d.Title, d.Description, d.Lang, d.Pub = p.Title, p.Summary, p.Lang, p
	if p.Doc != nil {
		d.Body = template.HTML(p.Doc.HTML)
		var toc []markdown.Heading
		for _, h := range p.Doc.Headings {
			if h.Level == 2 || h.Level == 3 {
				toc = append(toc, h)
			}
		}
		if len(toc) >= TOCMinHeadings {
			d.TOC = toc
		}
	}
	d.PDFPages = map[string]string{}
	for _, a := range p.Attachments {
		info, ok := s.PDFs[a.Path]
		switch {
		case !ok:
		case info.Err != "" && info.Pages == 0:
			d.PDFPages[a.Path] = "text could not be read"
		case info.NoText:
			d.PDFPages[a.Path] = pagesText(info.Pages) + ", scanned (no text layer, not searchable)"
		default:
			d.PDFPages[a.Path] = pagesText(info.Pages)
		}
	}
	d.Path, d.URL, d.Canonical = p.URL, s.absURL(p.URL), s.linkURL(p.URL)
	if p.Image != "" {
		d.Image = s.absURL(p.Image)
	}
	d.OGType = "article"
	d.Dir = textDir(p.Lang)
	if lc := feed.LastChange(p); lc.After(p.Date) {
		d.LastChange = lc
	}
	if !p.Undated {
		d.Feeds = s.feedLinks("/" + p.Section + "/")
		d.Cite = s.citation(p, cites, add)
		d.JSONLD = s.publicationJSONLD(p)
	}
	if ts := s.translations[p.TranslationKey]; p.TranslationKey != "" && len(ts) > 1 {
		for _, t := range ts {
			t.Current = t.URL == p.URL
			d.Translations = append(d.Translations, t)
		}
	}
	return d
}

func pagesText(n int) string {
	if n == 1 {
		return "1 page"
	}
	return strconv.Itoa(n) + " pages"
}

// extras renders sitemap.xml and robots.txt. Both must name absolute URLs,
// so without base_url they carry the origin marker.
func (s *Site) extras() error {
	type loc struct{ Loc, LastMod string }
	base := s.originBase()
	var locs []loc
	locs = append(locs, loc{Loc: feed.Abs(base, "/")})
	for _, sec := range s.Content.Sections {
		locs = append(locs, loc{Loc: feed.Abs(base, "/"+sec+"/")})
	}
	for _, p := range slices.Concat(s.Content.Publications, s.Content.Pages, s.Content.Documents) {
		lm := p.Date
		for _, u := range p.Updated {
			if u.After(lm) {
				lm = u
			}
		}
		l := loc{Loc: feed.Abs(base, p.URL)}
		if !lm.IsZero() {
			l.LastMod = lm.Format(time.DateOnly)
		}
		locs = append(locs, l)
	}
	body, err := s.Templates.Render("sitemap.xml", locs)
	if err != nil {
		return err
	}
	s.addPage("/sitemap.xml", "application/xml; charset=utf-8", body)
	robots := "User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /search\n\nSitemap: " + feed.Abs(base, "/sitemap.xml") + "\n"
	s.addPage("/robots.txt", "text/plain; charset=utf-8", []byte(robots))
	return nil
}
