package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"path"
	"sort"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"archive/internal/cite"
	"archive/internal/content"
	"archive/internal/feed"
)

// OriginMarker stands for the site's scheme and host in pages flagged
// Page.Origin. The .invalid top-level domain is reserved, so a marker that
// were ever sent unreplaced could not lead a reader to anyone's server.
const OriginMarker = "http://archive-origin.invalid"

// WithOrigin returns the page with OriginMarker replaced by origin (such as
// "https://archive.example.org"), compressed and tagged anew. Pages without
// the flag are returned as they are.
func (p *Page) WithOrigin(origin string) *Page {
	if !p.Origin {
		return p
	}
	body := bytes.ReplaceAll(p.Body, []byte(OriginMarker), []byte(origin))
	return NewPage(p.Status, p.ContentType, body)
}

// absURL is the absolute URL of a site path, or "" when the base URL is not
// configured: tags such as og:url must not guess a host.
func (s *Site) absURL(p string) string {
	if s.base == "" {
		return ""
	}
	return feed.Abs(s.base, p)
}

// linkURL is what HTML links to a site path: absolute when the base URL is
// known, the escaped path otherwise.
func (s *Site) linkURL(p string) string { return feed.Abs(s.base, p) }

// originBase is the start of absolute URLs in pages that must have them
// (feeds, citation files): the base URL, or the marker the server replaces.
func (s *Site) originBase() string {
	if s.base != "" {
		return s.base
	}
	return OriginMarker
}

// addPage adds a rendered page that is not HTML, flagged when it holds the
// origin marker.
func (s *Site) addPage(url, contentType string, body []byte) {
	s.Pages[url] = s.page(url, contentType, body)
}

// page makes the page at url of body, which holds the origin marker or not.
func (s *Site) page(url, contentType string, body []byte) *Page {
	return s.newPage(url, http.StatusOK, contentType, body, bytes.Contains(body, []byte(OriginMarker)))
}

const (
	atomType = "application/atom+xml"
	jsonType = "application/feed+json"
)

// feedLinks are the feeds a page under dir ("/letters/", "/tags/x/", or ""
// for the whole site) announces: its own, then the whole site's.
func (s *Site) feedLinks(dir string) []FeedLink {
	title := s.Content.Settings.Title
	var links []FeedLink
	if dir != "" {
		name := feedTitle(title, dir)
		links = append(links,
			FeedLink{Title: name + " (Atom)", URL: dir + "feed.atom", Type: atomType},
			FeedLink{Title: name + " (JSON Feed)", URL: dir + "feed.json", Type: jsonType})
	}
	return append(links,
		FeedLink{Title: title + " (Atom)", URL: "/feed.atom", Type: atomType},
		FeedLink{Title: title + " (JSON Feed)", URL: "/feed.json", Type: jsonType})
}

// feedTitle names the feed of a section or tag folder.
func feedTitle(site, dir string) string {
	if tag, ok := cutPrefixSuffix(dir, "/tags/", "/"); ok {
		return site + ": " + tag
	}
	sec, _ := cutPrefixSuffix(dir, "/", "/")
	return site + ": " + SectionTitle(sec)
}

func cutPrefixSuffix(s, prefix, suffix string) (string, bool) {
	if len(s) < len(prefix)+len(suffix) || s[:len(prefix)] != prefix || s[len(s)-len(suffix):] != suffix {
		return "", false
	}
	return s[len(prefix) : len(s)-len(suffix)], true
}

// feeds renders the site's feeds, and each section's and tag's; shared is
// the site's sharedKey, which rebuild has made already.
func (s *Site) feeds(shared [sha256.Size]byte) error {
	cs := s.Content
	type set struct {
		dir, title, description string
		pubs                    []*content.Publication
	}
	sets := []set{{"/", cs.Settings.Title, cs.Settings.Description, cs.Publications}}
	for _, sec := range cs.Sections {
		var pubs []*content.Publication
		for _, p := range cs.Publications {
			if p.Section == sec {
				pubs = append(pubs, p)
			}
		}
		desc := ""
		if sp := cs.SectionPages[sec]; sp != nil {
			desc = sp.Summary
		}
		sets = append(sets, set{"/" + sec + "/", feedTitle(cs.Settings.Title, "/"+sec+"/"), desc, pubs})
	}
	for tag, pubs := range cs.Tags {
		dir := "/tags/" + tag + "/"
		sets = append(sets, set{dir, feedTitle(cs.Settings.Title, dir), "Publications tagged " + tag + ".", pubs})
	}
	for _, st := range sets {
		m := feed.Meta{
			Title: st.title, Description: st.description, Lang: UILang, Author: cs.Settings.Organisation,
			HomePath: st.dir, AtomPath: st.dir + "feed.atom", JSONPath: st.dir + "feed.json",
		}
		items := st.pubs[:min(len(st.pubs), feed.MaxItems)]
		// A feed whose items are the same publications, unchanged, is the
		// same feed: a new publication changes a few of the hundreds a
		// large archive has (the site's, its section's, its tags').
		key := s.feedKey(shared, m, items)
		s.keys[m.AtomPath], s.keys[m.JSONPath] = key, key
		if s.takeOver(m.AtomPath, []string{m.JSONPath}) {
			continue
		}
		f := feed.New(m, items, s.originBase())
		atom, err := f.Atom()
		if err != nil {
			return err
		}
		js, err := f.JSON()
		if err != nil {
			return err
		}
		s.addPage(st.dir+"feed.atom", atomType+"; charset=utf-8", atom)
		s.addPage(st.dir+"feed.json", jsonType+"; charset=utf-8", js)
	}
	return nil
}

// translations groups the publications that share a translation key, each
// group sorted by language.
func translations(cs *content.Site) map[string][]Translation {
	out := map[string][]Translation{}
	for _, p := range append(append([]*content.Publication{}, cs.Publications...), cs.Pages...) {
		if p.TranslationKey == "" {
			continue
		}
		out[p.TranslationKey] = append(out[p.TranslationKey], Translation{Lang: p.Lang, Name: LanguageName(p.Lang), URL: p.URL, Title: p.Title})
	}
	for _, ts := range out {
		sort.Slice(ts, func(i, j int) bool { return ts[i].Lang < ts[j].Lang })
	}
	return out
}

// LanguageName is a language's name in that language ("中文", "français"),
// which is how readers look for their own; the code itself when unknown.
func LanguageName(code string) string {
	tag, err := language.Parse(code)
	if err != nil {
		return code
	}
	if name := display.Self.Name(tag); name != "" {
		return name
	}
	return code
}

// textDir is "rtl" for languages written right to left, "" otherwise.
func textDir(code string) string {
	tag, err := language.Parse(code)
	if err != nil {
		return ""
	}
	script, _ := tag.Script()
	switch script.String() {
	case "Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm", "Rohg", "Mand", "Samr":
		return "rtl"
	}
	return ""
}

// jsonLD encodes schema.org data for a <script type="application/ld+json">
// block. encoding/json escapes <, > and &, so the text cannot close the
// element early.
func jsonLD(v any) template.JS {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("JSON-LD: %v", err)) // maps of strings always encode
	}
	return template.JS(b)
}

type ldThing = map[string]any

func (s *Site) organisation() ldThing {
	set := s.Content.Settings
	name := set.Organisation
	if name == "" {
		name = set.Title
	}
	org := ldThing{"@type": "Organization", "name": name}
	if u := s.absURL("/"); u != "" {
		org["url"] = u
	}
	return org
}

func (s *Site) websiteJSONLD() template.JS {
	set := s.Content.Settings
	w := ldThing{
		"@context": "https://schema.org", "@type": "WebSite", "name": set.Title,
		"url": s.linkURL("/"), "inLanguage": UILang, "publisher": s.organisation(),
	}
	if set.Description != "" {
		w["description"] = set.Description
	}
	return jsonLD(w)
}

// publicationJSONLD describes p as a schema.org Report or Article, with its
// attachments as media objects carrying their SHA-256.
func (s *Site) publicationJSONLD(p *content.Publication) template.JS {
	typ := "Article"
	if cite.IsReport(p.Section) {
		typ = "Report"
	}
	org := s.organisation()
	var authors []ldThing
	for _, a := range p.Authors {
		if a == org["name"] {
			authors = append(authors, org)
		} else {
			authors = append(authors, ldThing{"@type": "Person", "name": a})
		}
	}
	if len(authors) == 0 {
		authors = []ldThing{org}
	}
	url := s.linkURL(p.URL)
	d := ldThing{
		"@context": "https://schema.org", "@type": typ, "headline": p.Title, "name": p.Title,
		"url": url, "mainEntityOfPage": url, "inLanguage": p.Lang, "author": authors, "publisher": org,
		"datePublished": p.Date.Format(time.DateOnly), "isAccessibleForFree": true,
	}
	if lc := feed.LastChange(p); lc.After(p.Date) {
		d["dateModified"] = lc.Format(time.DateOnly)
	}
	if p.Summary != "" {
		d["description"] = p.Summary
	}
	if len(p.Tags) > 0 {
		d["keywords"] = p.Tags
	}
	var media []ldThing
	for _, a := range p.Attachments {
		m := ldThing{"@type": "MediaObject", "name": a.Title, "contentUrl": s.linkURL(a.URL), "contentSize": HumanSize(a.Size), "sha256": a.SHA256}
		if t := mime.TypeByExtension(path.Ext(a.Name)); t != "" {
			m["encodingFormat"] = t
		}
		media = append(media, m)
	}
	if len(media) > 0 {
		d["associatedMedia"] = media
	}
	return jsonLD(d)
}
