package content

import (
	"encoding/gob"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"time"
)

// encodingVersion changes whenever what Encode writes changes, so that
// Decode refuses what an older program wrote rather than misread it.
const encodingVersion = 6

// encoded is what Encode writes: the site's metadata without its Markdown.
type encoded struct {
	Version      int
	Publications []Publication
	Pages        []Publication
	Documents    []Publication
	SectionPages []Publication
	Redirects    map[string]string
	Sections     []string
	Files        map[string]int64
	FileAliases  map[string]string
	Settings     Settings
	Hash         string
	NextChange   time.Time
}

// Encode writes what a server needs of the site once its pages are rendered
// and its search index built: every publication's metadata and attachments,
// the redirects, the served files and the settings. It leaves out the
// Markdown and its parsed form (Body, Doc), the unknown front matter fields
// (Extra) and the links between publications (Related), which only
// rendering reads; a build stores the rendered pages beside it.
func (s *Site) Encode(w io.Writer) error {
	e := encoded{
		Version:      encodingVersion,
		Publications: strip(s.Publications),
		Pages:        strip(s.Pages),
		Documents:    strip(s.Documents),
		Redirects:    s.Redirects,
		Sections:     s.Sections,
		Files:        s.Files,
		FileAliases:  s.FileAliases,
		Settings:     s.Settings,
		Hash:         s.Hash,
		NextChange:   s.NextChange,
	}
	// The ignore patterns name files kept from readers; a server has no
	// use for them, so a build does not carry them.
	e.Settings.Ignore = nil
	for _, sec := range s.Sections {
		if p := s.SectionPages[sec]; p != nil {
			e.SectionPages = append(e.SectionPages, strip([]*Publication{p})...)
		}
	}
	if err := gob.NewEncoder(w).Encode(&e); err != nil {
		return fmt.Errorf("encode content: %w", err)
	}
	return nil
}

func strip(pubs []*Publication) []Publication {
	out := make([]Publication, len(pubs))
	for i, p := range pubs {
		out[i] = *p
		out[i].Body, out[i].Doc, out[i].Related, out[i].Extra = nil, nil, nil, nil
	}
	return out
}

// Decode reads what Encode wrote. The site it returns serves its files from
// fsys and has no Markdown: Body, Doc, Related and Extra are empty.
func Decode(r io.Reader, fsys fs.FS) (*Site, error) {
	var e encoded
	if err := gob.NewDecoder(r).Decode(&e); err != nil {
		return nil, fmt.Errorf("decode content: %w", err)
	}
	if e.Version != encodingVersion {
		return nil, fmt.Errorf("decode content: format version %d, this program reads %d", e.Version, encodingVersion)
	}
	s := &Site{
		FS:           fsys,
		ByURL:        map[string]*Publication{},
		Redirects:    e.Redirects,
		Sections:     e.Sections,
		Tags:         map[string][]*Publication{},
		Categories:   map[string][]*Publication{},
		Years:        map[int][]*Publication{},
		Files:        e.Files,
		FileAliases:  e.FileAliases,
		SectionPages: map[string]*Publication{},
		Settings:     e.Settings,
		Hash:         e.Hash,
		NextChange:   e.NextChange,
	}
	if s.Redirects == nil {
		s.Redirects = map[string]string{}
	}
	if s.Files == nil {
		s.Files = map[string]int64{}
	}
	s.Publications = pointers(e.Publications)
	s.Pages = pointers(e.Pages)
	s.Documents = pointers(e.Documents)
	defer func() { s.Menu = s.menu() }()
	for _, p := range s.Publications {
		s.ByURL[p.URL] = p
		for _, t := range p.Tags {
			s.Tags[t] = append(s.Tags[t], p)
		}
		for _, c := range p.Categories {
			s.Categories[c] = append(s.Categories[c], p)
		}
		s.Years[p.Date.Year()] = append(s.Years[p.Date.Year()], p)
	}
	for _, p := range slices.Concat(s.Pages, s.Documents) {
		s.ByURL[p.URL] = p
	}
	for _, p := range pointers(e.SectionPages) {
		s.SectionPages[p.Section] = p
	}
	return s, nil
}

func pointers(pubs []Publication) []*Publication {
	out := make([]*Publication, len(pubs))
	for i := range pubs {
		out[i] = &pubs[i]
	}
	return out
}
