package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"time"

	"archive/internal/content"
	"archive/internal/feed"
)

// sharedKey hashes what every publication page shows besides its
// publication: the settings and sections (in the header and the citation),
// the templates, and the static files, whose URLs the pages carry.
func (s *Site) sharedKey() [sha256.Size]byte {
	settings, _ := json.Marshal(s.Content.Settings) // strings and booleans always encode
	var b keyBuf
	b.str(string(settings), s.Templates.Hash(), s.Assets.Hash())
	b.str(s.Content.Sections...)
	return sha256.Sum256(b)
}

// publicationKey hashes everything p's page and citation files are made of,
// so that two equal keys mean equal pages. The publication's own fields,
// title to body, all come from its Markdown file, whose hash stands for
// them (the Markdown options come from the settings). Its related
// publications and translations show their titles and URLs; its
// attachments, their files and what PDF extraction learnt; cites, whether a
// file of the bundle pushed a citation aside.
//
// A template that reads something new of the content must have it hashed
// here, or in dataKey, or an edit of it would leave pages stale in watch
// mode; TestRebuild is there to catch that.
func (s *Site) publicationKey(shared [sha256.Size]byte, p *content.Publication, cites []string) [sha256.Size]byte {
	b := newKeyBuf(shared, 512)
	s.own(&b, p)
	for _, r := range p.Related {
		b.str(r.URL, r.SourceSHA256)
	}
	b.num(len(p.Related))
	var ts []Translation
	if p.TranslationKey != "" {
		ts = s.translations[p.TranslationKey]
	}
	for _, t := range ts {
		b.str(t.Lang, t.Name, t.URL, t.Title)
	}
	b.num(len(ts), len(cites))
	b.str(cites...)
	return sha256.Sum256(b)
}

// own adds what p shows of its own: its source and its attachments.
func (s *Site) own(b *keyBuf, p *content.Publication) {
	b.str(p.URL, p.Source, p.SourceSHA256)
	// A standalone document without a sidecar has its title and date from
	// its PDF, not from a source file.
	b.str(p.Title)
	b.time(p.Date)
	b.num(boolNum(p.Undated), boolNum(p.Document), len(p.Attachments))
	for _, a := range p.Attachments {
		info, ok := s.PDFs[a.Path]
		b.str(a.Name, a.Title, a.Path, a.URL, a.SHA256, info.Err)
		b.num(int(a.Size), boolNum(ok), info.Pages, a.Pages, boolNum(info.NoText))
	}
}

// dataKey hashes what a page rendered from d with tmpl shows, for the pages
// that are not a publication's (lists, tags, years): d itself, as JSON,
// which a field added to Data joins without a thought, and what each
// publication listed shows of its own. ok is false when d cannot be told
// by a key; the page is then rendered.
func (s *Site) dataKey(shared [sha256.Size]byte, tmpl string, d *Data) (key [sha256.Size]byte, ok bool) {
	if d.Pub != nil {
		return key, false
	}
	c := *d
	c.List = nil
	js, err := json.Marshal(&c)
	if err != nil {
		return key, false
	}
	b := newKeyBuf(shared, len(js)+128*len(d.List))
	b.str(tmpl, string(js))
	b.num(len(d.List))
	for _, p := range d.List {
		s.own(&b, p)
	}
	return sha256.Sum256(b), true
}

// itemKey hashes what p's entry in lists shows: what it shows of its own.
func (s *Site) itemKey(shared [sha256.Size]byte, p *content.Publication) [sha256.Size]byte {
	b := newKeyBuf(shared, 256)
	s.own(&b, p)
	return sha256.Sum256(b)
}

// feedKey hashes what the feed of m listing items is made of: its
// metadata and what each item shows of its own.
func (s *Site) feedKey(shared [sha256.Size]byte, m feed.Meta, items []*content.Publication) [sha256.Size]byte {
	b := newKeyBuf(shared, 128*len(items))
	b.str(m.Title, m.Description, m.Lang, m.Author, m.HomePath, m.AtomPath, m.JSONPath)
	b.num(len(items))
	for _, p := range items {
		s.own(&b, p)
	}
	return sha256.Sum256(b)
}

// keyBuf collects the fields of a key, each string after its length, so
// that no two different lists of fields make the same bytes.
type keyBuf []byte

// newKeyBuf starts a key with shared, with room for about size bytes more:
// a redeploy computes the keys of every list page, thousands at 10,000
// publications, and growing each buffer from nothing was a tenth of it.
func newKeyBuf(shared [sha256.Size]byte, size int) keyBuf {
	return append(make(keyBuf, 0, len(shared)+size), shared[:]...)
}

// time adds t as the instant, its zone and its offset: what Time.String
// says, without formatting it, which was a third of the keys' time.
func (b *keyBuf) time(t time.Time) {
	name, offset := t.Zone()
	b.num(int(t.Unix()), t.Nanosecond(), offset)
	b.str(name)
}

func (b *keyBuf) str(ss ...string) {
	for _, s := range ss {
		*b = binary.AppendUvarint(*b, uint64(len(s)))
		*b = append(*b, s...)
	}
}

func (b *keyBuf) num(ns ...int) {
	for _, n := range ns {
		*b = binary.AppendVarint(*b, int64(n))
	}
}

func boolNum(v bool) int {
	if v {
		return 1
	}
	return 0
}

// takeOver puts prev's page at url and its citation files at cites into s,
// if prev rendered them from the key s has for url.
func (s *Site) takeOver(url string, cites []string) bool {
	if s.prev == nil {
		return false
	}
	key, ok := s.keys[url]
	if old, found := s.prev.keys[url]; !ok || !found || old != key {
		return false
	}
	urls := append([]string{url}, cites...)
	for _, u := range urls {
		if s.prev.Pages[u] == nil {
			return false
		}
	}
	for _, u := range urls {
		s.Pages[u] = s.prev.Pages[u]
	}
	return true
}

// newPage makes the page at url, or returns prev's if it is the same.
func (s *Site) newPage(url string, status int, contentType string, body []byte, origin bool) *Page {
	var old *Page
	if s.prev != nil {
		old = s.prev.Pages[url]
	}
	p := reuse(old, status, contentType, body, origin)
	if s.file != nil && p != old {
		s.file.add(p)
	}
	return p
}

// reuse returns old when it holds the same response, sparing the
// compression and keeping the ETag that browsers and caches hold; else a
// new page.
func reuse(old *Page, status int, contentType string, body []byte, origin bool) *Page {
	if old != nil && old.Status == status && old.ContentType == contentType && old.Origin == origin && bytes.Equal(old.Body, body) {
		return old
	}
	p := NewPage(status, contentType, body)
	p.Origin = origin
	return p
}
