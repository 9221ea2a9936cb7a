package site

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"archive/internal/atomicfile"
	"archive/internal/content"
	"archive/internal/mapped"
)

// A build's pages are saved in two files, so that a server can serve them
// without rendering or compressing anything:
//
//	pages.bin  every body and gzip body, one after the other, after the
//	           build's id
//	pages.gob  the directory: a savedHeader, then a savedIndex
//
// OpenPages reads the directory and maps pages.bin into memory, so starting
// costs only decoding the directory, replicas serving one build share the
// system's page cache, and a replica's memory grows only with the pages it
// actually sends.
const (
	pagesBin = "pages.bin"
	pagesGob = "pages.gob"
	// itemsGob holds the publications' entries in lists, which only a
	// Rebuild from the opened site reads: a server does not hold them.
	itemsGob = "items.gob"

	// pagesFormat changes whenever what SavePages writes changes, so that
	// OpenPages refuses what another version wrote rather than misread it.
	pagesFormat = 1
)

// savedHeader comes first in pages.gob and never changes, so that any
// version can read another's format number.
type savedHeader struct{ Format int }

type savedIndex struct {
	// ID starts pages.bin too: a pages.bin of another build is refused
	// even when its size matches.
	ID []byte
	// Size is pages.bin's, to tell a truncated file.
	Size int64
	// What the pages were rendered from, to refuse serving them with
	// templates, static files or content they do not match.
	ContentHash, TemplatesHash, AssetsHash string

	PDFs map[string]PDFInfo
	// Keys are what each page of Pages was rendered from (Site.keys),
	// sha256.Size bytes each, zero for a page without one, so that a
	// Rebuild from the opened site takes over the pages that have not
	// changed (a redeploy from the state cache).
	Keys     []byte
	Types    []string // content types, a few shared by all pages
	Pages    []savedPage
	NotFound savedPage
}

type savedPage struct {
	URL    string
	Status int
	Type   int // index in savedIndex.Types
	ETag   string
	Origin bool
	// Offset is the body's in pages.bin; its gzip body follows it. GzipLen
	// is 0 when there is none, since a gzip stream is never empty.
	Offset           int64
	BodyLen, GzipLen int
}

// SavePages writes the pages into dir, which must exist, for OpenPages.
// Each file is written under a temporary name and then renamed, so that a
// server that has the previous pages.bin mapped goes on reading the old
// file, and a failed save leaves no half file behind under the real name.
//
// A site from BuildInto has its pages in a file already: that file is
// moved into dir (copied, if the site is saved again or dir is on another
// file system), and only the directory is written.
func (s *Site) SavePages(dir string) error {
	idx := savedIndex{
		PDFs:        s.PDFs,
		ContentHash: s.Content.Hash, TemplatesHash: s.Templates.Hash(), AssetsHash: s.Assets.Hash(),
	}
	urls := make([]string, 0, len(s.Pages))
	for u := range s.Pages {
		urls = append(urls, u)
	}
	slices.Sort(urls)
	types := map[string]int{}
	entry := func(url string, p *Page, off int64) savedPage {
		t, ok := types[p.ContentType]
		if !ok {
			t = len(idx.Types)
			types[p.ContentType] = t
			idx.Types = append(idx.Types, p.ContentType)
		}
		return savedPage{URL: url, Status: p.Status, Type: t, ETag: p.ETag, Origin: p.Origin, Offset: off, BodyLen: len(p.Body), GzipLen: len(p.Gzip)}
	}
	idx.Pages = make([]savedPage, 0, len(urls))

	binPath := filepath.Join(dir, pagesBin)
	var err error
	if pf := s.file; pf != nil && pf.holds(s) {
		for _, u := range urls {
			idx.Pages = append(idx.Pages, entry(u, s.Pages[u], pf.spans[s.Pages[u]].off))
		}
		idx.NotFound = entry("", s.NotFound, pf.spans[s.NotFound].off)
		idx.ID, idx.Size = pf.id, pf.off
		err = pf.saveTo(binPath)
	} else {
		idx.ID = make([]byte, 16)
		rand.Read(idx.ID)
		err = atomicfile.Write(binPath, func(w *bufio.Writer) error {
			w.Write(idx.ID)
			off := int64(len(idx.ID))
			put := func(url string, p *Page) savedPage {
				sp := entry(url, p, off)
				w.Write(p.Body)
				w.Write(p.Gzip)
				off += int64(len(p.Body) + len(p.Gzip))
				return sp
			}
			for _, u := range urls {
				idx.Pages = append(idx.Pages, put(u, s.Pages[u]))
			}
			idx.NotFound = put("", s.NotFound)
			idx.Size = off
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("save pages %s: %w", binPath, err)
	}
	idx.Keys = make([]byte, 0, len(idx.Pages)*sha256.Size)
	for _, sp := range idx.Pages {
		k := s.keys[sp.URL]
		idx.Keys = append(idx.Keys, k[:]...)
	}
	if err := writeGob(filepath.Join(dir, pagesGob), &idx); err != nil {
		return err
	}
	return writeGob(filepath.Join(dir, itemsGob), s.keptItems())
}

// writeGob writes v to the file name, after the header of the format.
func writeGob(name string, v any) error {
	err := atomicfile.Write(name, func(w *bufio.Writer) error {
		enc := gob.NewEncoder(w)
		if err := enc.Encode(savedHeader{pagesFormat}); err != nil {
			return err
		}
		return enc.Encode(v)
	})
	if err != nil {
		return fmt.Errorf("save pages %s: %w", name, err)
	}
	return nil
}

// readGob reads into v what writeGob wrote to the file name.
func readGob(name string, v any) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("open pages: %w", err)
	}
	dec := gob.NewDecoder(bytes.NewReader(b))
	var h savedHeader
	if err := dec.Decode(&h); err != nil {
		return fmt.Errorf("%s: not a page directory: %w", name, err)
	}
	if h.Format != pagesFormat {
		return fmt.Errorf("%s: format version %d, this program reads %d: build the site again", name, h.Format, pagesFormat)
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: damaged: %w", name, err)
	}
	return nil
}

// OpenPages returns the site that SavePages wrote into dir, rendering
// nothing. cs may hold metadata only (no Markdown: Body and Doc nil); t and a
// must be the templates and static files the pages were rendered with, and
// cs the same content, or OpenPages refuses them.
//
// The pages' bodies are slices of pages.bin mapped read-only, and the
// mapping is never undone: a Site from OpenPages is served for the rest of
// the process's life, and unmapping while a page may still be written to a
// client would crash the server. Writing into a page's body crashes too;
// nothing in the archive does, and appending copies, as the slices end
// where the body does.
func OpenPages(dir string, cs *content.Site, t *Templates, a *Assets) (*Site, error) {
	gobPath, binPath := filepath.Join(dir, pagesGob), filepath.Join(dir, pagesBin)
	idx, err := readIndex(gobPath)
	if err != nil {
		return nil, err
	}
	if idx.TemplatesHash != t.Hash() || idx.AssetsHash != a.Hash() {
		return nil, fmt.Errorf("%s: the pages were rendered with other templates or static files than this program's: build the site again", gobPath)
	}
	if idx.ContentHash != cs.Hash {
		return nil, fmt.Errorf("%s: the pages were rendered from other content than this: build the site again", gobPath)
	}
	data, err := mapPages(binPath, idx.Size)
	if err != nil {
		return nil, err
	}
	if len(idx.ID) == 0 || !bytes.HasPrefix(data, idx.ID) {
		return nil, fmt.Errorf("%s is not the file %s was saved with: build the site again", binPath, gobPath)
	}

	s := &Site{Content: cs, Templates: t, Assets: a, PDFs: idx.PDFs, Pages: make(map[string]*Page, len(idx.Pages)), itemsDir: dir}
	s.base = strings.TrimSuffix(cs.Settings.BaseURL, "/")
	s.translations = translations(cs)
	// One allocation for all pages rather than one each.
	pages := make([]Page, len(idx.Pages)+1)
	fill := func(i int, sp savedPage) error {
		if err := sp.fill(&pages[i], data, idx.Types); err != nil {
			return fmt.Errorf("%s: page %q: %w", gobPath, sp.URL, err)
		}
		return nil
	}
	for i, sp := range idx.Pages {
		if err := fill(i, sp); err != nil {
			return nil, err
		}
		s.Pages[sp.URL] = &pages[i]
	}
	if len(idx.Keys) == len(idx.Pages)*sha256.Size {
		s.keys = make(map[string][sha256.Size]byte, len(idx.Pages))
		var none [sha256.Size]byte
		for i, sp := range idx.Pages {
			if k := [sha256.Size]byte(idx.Keys[i*sha256.Size:]); k != none {
				s.keys[sp.URL] = k
			}
		}
	}
	if err := fill(len(idx.Pages), idx.NotFound); err != nil {
		return nil, err
	}
	s.NotFound = &pages[len(idx.Pages)]
	return s, nil
}

func readIndex(name string) (*savedIndex, error) {
	var idx savedIndex
	if err := readGob(name, &idx); err != nil {
		return nil, err
	}
	return &idx, nil
}

// mapPages returns the bytes of pages.bin, which must be size long. The
// mapping is never undone: pages are served from it for as long as a
// request may hold one, which nothing counts.
func mapPages(name string, size int64) ([]byte, error) {
	data, err := mapped.Open(name, size)
	var wrongSize *mapped.SizeError
	switch {
	case errors.As(err, &wrongSize):
		return nil, fmt.Errorf("%w: it is incomplete or damaged; build the site again", err)
	case err != nil:
		return nil, fmt.Errorf("open pages: %w", err)
	}
	return data, nil
}

// fill sets p to the page sp describes. The body and gzip slices end where
// they do, so that appending to one copies rather than write into the
// mapping.
func (sp savedPage) fill(p *Page, data []byte, types []string) error {
	body := sp.Offset + int64(sp.BodyLen)
	end := body + int64(sp.GzipLen)
	if sp.Offset < 0 || sp.BodyLen < 0 || sp.GzipLen < 0 || end > int64(len(data)) || sp.Type < 0 || sp.Type >= len(types) {
		return errors.New("out of range: the directory is damaged")
	}
	*p = Page{Status: sp.Status, ContentType: types[sp.Type], ETag: sp.ETag, Origin: sp.Origin, Body: data[sp.Offset:body:body]}
	if sp.GzipLen > 0 {
		p.Gzip = data[body:end:end]
	}
	return nil
}
