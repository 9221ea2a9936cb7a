// Package feed writes the archive's feeds: Atom (RFC 4287) and JSON Feed
// 1.1, each item with its full summary, its revision dates and corrections,
// and its attachments as enclosures, so that a reader following the feed sees
// what was published and what changed.
//
// Feeds carry absolute URLs only; the caller gives the base (scheme and host)
// they start with. It does not decide which feeds exist (package site).
package feed

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"mime"
	"net/url"
	"path"
	"time"

	"archive/internal/content"
)

// MaxItems is how many publications a feed holds, newest first.
const MaxItems = 50

// Feed is one feed, ready to be written in either format.
type Feed struct {
	Title       string
	Description string
	Lang        string
	Author      string // the organisation, for entries without authors
	HomeURL     string // the HTML page the feed follows
	AtomURL     string
	JSONURL     string
	Updated     time.Time // latest change of any item
	Items       []Item
}

// Item is one publication in a feed.
type Item struct {
	ID          string // the publication's absolute URL, which never changes
	URL         string
	Title       string
	Summary     string
	ContentHTML string // summary, revisions and corrections, as HTML
	Published   time.Time
	Updated     time.Time
	Authors     []string
	Tags        []string
	Lang        string
	Enclosures  []Enclosure
}

// Enclosure is an attachment of an item.
type Enclosure struct {
	URL, Type, Title string
	Size             int64
}

// Meta describes a feed: everything but its items.
type Meta struct {
	Title, Description, Lang, Author string
	// Paths of the HTML page and of the two feed files, such as "/letters/".
	HomePath, AtomPath, JSONPath string
}

// New makes the feed of the newest MaxItems of pubs (which are newest
// first), with URLs under base ("https://archive.example.org").
func New(m Meta, pubs []*content.Publication, base string) *Feed {
	f := &Feed{
		Title: m.Title, Description: m.Description, Lang: m.Lang, Author: m.Author,
		HomeURL: Abs(base, m.HomePath), AtomURL: Abs(base, m.AtomPath), JSONURL: Abs(base, m.JSONPath),
	}
	for _, p := range pubs[:min(len(pubs), MaxItems)] {
		it := Item{
			ID: Abs(base, p.URL), URL: Abs(base, p.URL), Title: p.Title, Summary: p.Summary,
			Published: p.Date, Updated: LastChange(p), Authors: p.Authors, Tags: p.Tags, Lang: p.Lang,
		}
		it.ContentHTML = contentHTML(p)
		for _, a := range p.Attachments {
			typ := mime.TypeByExtension(path.Ext(a.Name))
			if typ == "" {
				typ = "application/octet-stream"
			}
			it.Enclosures = append(it.Enclosures, Enclosure{URL: Abs(base, a.URL), Type: typ, Title: a.Title, Size: a.Size})
		}
		if it.Updated.After(f.Updated) {
			f.Updated = it.Updated
		}
		f.Items = append(f.Items, it)
	}
	return f
}

// Abs joins base and a site path, escaping the path as a URL needs.
func Abs(base, p string) string { return base + (&url.URL{Path: p}).EscapedPath() }

// LastChange is when p last changed: its latest revision or correction, or
// its date.
func LastChange(p *content.Publication) time.Time {
	t := p.Date
	for _, u := range p.Updated {
		if u.After(t) {
			t = u
		}
	}
	for _, c := range p.Corrections {
		if c.Date.After(t) {
			t = c.Date
		}
	}
	return t
}

var contentTmpl = template.Must(template.New("content").Parse(
	`{{with .Summary}}<p>{{.}}</p>{{end}}` +
		`{{with .Updated}}<p>Updated {{range $i, $d := .}}{{if $i}}, {{end}}{{$d.Format "2 January 2006"}}{{end}}.</p>{{end}}` +
		`{{with .Corrections}}<p>Corrections:</p><ul>{{range .}}<li>{{.Date.Format "2 January 2006"}}: {{.Text}}</li>{{end}}</ul>{{end}}`))

// contentHTML is what readers see of an item: the summary, then what changed.
func contentHTML(p *content.Publication) string {
	var b bytes.Buffer
	if err := contentTmpl.Execute(&b, p); err != nil {
		panic(err) // the template only reads fields that exist
	}
	return b.String()
}

// Atom writes the feed as Atom.
func (f *Feed) Atom() ([]byte, error) {
	type link struct {
		Rel    string `xml:"rel,attr,omitempty"`
		Type   string `xml:"type,attr,omitempty"`
		Href   string `xml:"href,attr"`
		Title  string `xml:"title,attr,omitempty"`
		Length int64  `xml:"length,attr,omitempty"`
	}
	type person struct {
		Name string `xml:"name"`
	}
	type text struct {
		Type string `xml:"type,attr,omitempty"`
		Body string `xml:",chardata"`
	}
	type category struct {
		Term string `xml:"term,attr"`
	}
	type entry struct {
		Lang       string     `xml:"xml:lang,attr,omitempty"`
		ID         string     `xml:"id"`
		Title      string     `xml:"title"`
		Links      []link     `xml:"link"`
		Published  string     `xml:"published"`
		Updated    string     `xml:"updated"`
		Authors    []person   `xml:"author"`
		Categories []category `xml:"category"`
		Summary    *text      `xml:"summary,omitempty"`
		Content    *text      `xml:"content,omitempty"`
	}
	type atomFeed struct {
		XMLName  xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		Lang     string   `xml:"xml:lang,attr,omitempty"`
		ID       string   `xml:"id"`
		Title    string   `xml:"title"`
		Subtitle string   `xml:"subtitle,omitempty"`
		Links    []link   `xml:"link"`
		Updated  string   `xml:"updated"`
		Author   *person  `xml:"author,omitempty"`
		Entries  []entry  `xml:"entry"`
	}
	a := atomFeed{
		Lang: f.Lang, ID: f.AtomURL, Title: f.Title, Subtitle: f.Description, Updated: atomTime(f.Updated),
		Links: []link{{Rel: "self", Type: "application/atom+xml", Href: f.AtomURL}, {Rel: "alternate", Type: "text/html", Href: f.HomeURL}},
	}
	if f.Author != "" {
		a.Author = &person{f.Author}
	}
	for _, it := range f.Items {
		e := entry{
			Lang: it.Lang, ID: it.ID, Title: it.Title, Published: atomTime(it.Published), Updated: atomTime(it.Updated),
			Links: []link{{Rel: "alternate", Type: "text/html", Href: it.URL}},
		}
		for _, a := range it.Authors {
			e.Authors = append(e.Authors, person{a})
		}
		if len(e.Authors) == 0 && f.Author == "" {
			// RFC 4287 wants an author on every entry, from the entry or the feed.
			e.Authors = []person{{f.Title}}
		}
		for _, t := range it.Tags {
			e.Categories = append(e.Categories, category{t})
		}
		for _, enc := range it.Enclosures {
			e.Links = append(e.Links, link{Rel: "enclosure", Type: enc.Type, Href: enc.URL, Title: enc.Title, Length: enc.Size})
		}
		if it.Summary != "" {
			e.Summary = &text{Type: "text", Body: it.Summary}
		}
		if it.ContentHTML != "" {
			e.Content = &text{Type: "html", Body: it.ContentHTML}
		}
		a.Entries = append(a.Entries, e)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", " ")
	if err := enc.Encode(a); err != nil {
		return nil, fmt.Errorf("atom feed %s: %w", f.AtomURL, err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// atomTime writes t as RFC 3339. A feed with no items is dated at the epoch
// rather than at the time of rendering, so that its ETag stays put.
func atomTime(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format(time.RFC3339)
}

// JSON writes the feed as JSON Feed 1.1.
func (f *Feed) JSON() ([]byte, error) {
	type author struct {
		Name string `json:"name"`
	}
	type attachment struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
		Title    string `json:"title,omitempty"`
		Size     int64  `json:"size_in_bytes,omitempty"`
	}
	type item struct {
		ID            string       `json:"id"`
		URL           string       `json:"url"`
		Title         string       `json:"title"`
		Summary       string       `json:"summary,omitempty"`
		ContentHTML   string       `json:"content_html"`
		DatePublished string       `json:"date_published"`
		DateModified  string       `json:"date_modified,omitempty"`
		Authors       []author     `json:"authors,omitempty"`
		Tags          []string     `json:"tags,omitempty"`
		Language      string       `json:"language,omitempty"`
		Attachments   []attachment `json:"attachments,omitempty"`
	}
	type jsonFeed struct {
		Version     string   `json:"version"`
		Title       string   `json:"title"`
		HomePageURL string   `json:"home_page_url"`
		FeedURL     string   `json:"feed_url"`
		Description string   `json:"description,omitempty"`
		Language    string   `json:"language,omitempty"`
		Authors     []author `json:"authors,omitempty"`
		Items       []item   `json:"items"`
	}
	j := jsonFeed{
		Version: "https://jsonfeed.org/version/1.1", Title: f.Title, HomePageURL: f.HomeURL, FeedURL: f.JSONURL,
		Description: f.Description, Language: f.Lang, Items: []item{},
	}
	if f.Author != "" {
		j.Authors = []author{{f.Author}}
	}
	for _, it := range f.Items {
		ji := item{
			ID: it.ID, URL: it.URL, Title: it.Title, Summary: it.Summary, ContentHTML: it.ContentHTML,
			DatePublished: atomTime(it.Published), Tags: it.Tags, Language: it.Lang,
		}
		if it.Updated.After(it.Published) {
			ji.DateModified = atomTime(it.Updated)
		}
		for _, a := range it.Authors {
			ji.Authors = append(ji.Authors, author{a})
		}
		for _, e := range it.Enclosures {
			ji.Attachments = append(ji.Attachments, attachment{URL: e.URL, MimeType: e.Type, Title: e.Title, Size: e.Size})
		}
		j.Items = append(j.Items, ji)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // a file of its own, never inlined in a page
	enc.SetIndent("", " ")
	if err := enc.Encode(j); err != nil {
		return nil, fmt.Errorf("JSON feed %s: %w", f.JSONURL, err)
	}
	return b.Bytes(), nil
}
