package content

import (
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"time"

	"archive/internal/markdown"
	"archive/internal/parallel"
)

// Taking a previous load's parse over. A redeploy of a large archive
// changes a few files of thousands, and parsing the others again (reading
// them, their front matter and their Markdown) was most of a start. So a
// Site keeps, for every Markdown file it parsed, what parsing gave before
// anything else was decided (parsedFile), with the file's size and
// modification time; a load given it as Options.Previous takes a file's
// record over, without reading the file, while the file has the same name,
// size and modification time (as rsync and make tell a changed file), or
// after reading it when its bytes are the same. The site-wide steps (what
// is public, attachments, URLs, redirects, links) then run on every file as
// in a first load, so drafts, publishDate and expiryDate, removed and
// renamed files come out as they would.
//
// Parsing a file depends on the settings too (site.toml's languages, static
// folder and raw HTML): records are taken over only from a load with the
// same settings.
//
// A record keeps the links of the body, which deciding what is public
// reads, but not its HTML and blocks: a taken-over publication has no Doc
// until ParseBody parses it, which only what renders or indexes it again
// calls. Problems found while parsing a file (unknown fields, shortcodes)
// are reported by the load that parsed it, not by one that takes it over.

// parsedFile is what parsing one Markdown file gave.
type parsedFile struct {
	Size    int64
	ModTime time.Time
	Sum     string // SHA-256 of the file
	// Pub is the publication as parse made it, before attachments, URLs and
	// links were settled, without Body, Doc and Extra; nil for a redirect
	// stub or a file whose parse failed.
	Pub   *Publication
	Links []markdown.Link
	// Unexported fields of Pub and its attachments, which gob leaves out.
	ExplicitURL, SlugField string
	TitleFromFile          bool
	ImageLine              int
	DeclLines              []int
	Redirect               *Redirect
}

// record makes the record of r, the parse of a file of size and mtime.
func record(r parsed, size int64, mtime time.Time) *parsedFile {
	rec := &parsedFile{Size: size, ModTime: mtime, Sum: r.sum, Redirect: r.redirect}
	if p := r.pub; p != nil {
		c := *p
		c.Body, c.Doc, c.Extra = nil, nil, nil
		c.Attachments = cloneAttachments(p.Attachments)
		rec.Pub = &c
		if p.Doc != nil {
			// Only links to paths of this site matter to what is public
			// and to the link checks: a large archive's bodies link
			// elsewhere hundreds of thousands of times. An invalid one
			// was reported by this parse.
			for _, link := range p.Doc.Links {
				if u, err := url.Parse(link.Dest); err == nil && u.Scheme == "" && u.Host == "" && u.Path != "" {
					rec.Links = append(rec.Links, link)
				}
			}
		}
		rec.ExplicitURL, rec.SlugField, rec.TitleFromFile, rec.ImageLine = p.explicitURL, p.slugField, p.titleFromFile, p.imageLine
		for _, a := range p.Attachments {
			rec.DeclLines = append(rec.DeclLines, a.declLine)
		}
	}
	return rec
}

// parsed is the record taken over as a new parse: a copy the load may
// change, as it changes what parse returns.
func (rec *parsedFile) parsed() parsed {
	out := parsed{sum: rec.Sum}
	if rec.Redirect != nil {
		r := *rec.Redirect
		out.redirect = &r
	}
	if rec.Pub != nil {
		p := *rec.Pub
		p.Extra = map[string]any{}
		p.Attachments = cloneAttachments(rec.Pub.Attachments)
		p.explicitURL, p.slugField, p.titleFromFile, p.imageLine = rec.ExplicitURL, rec.SlugField, rec.TitleFromFile, rec.ImageLine
		for i, a := range p.Attachments {
			if i < len(rec.DeclLines) {
				a.declLine = rec.DeclLines[i]
			}
		}
		p.links = rec.Links
		out.pub = &p
	}
	return out
}

func cloneAttachments(as []*Attachment) []*Attachment {
	if as == nil {
		return nil
	}
	out := make([]*Attachment, len(as))
	for i, a := range as {
		c := *a
		out[i] = &c
	}
	return out
}

// takeOver returns the previous load's parse of file if the file has not
// changed since: the same size and modification time, or else the same
// bytes (src, read by the caller, nil if not read yet).
func (l *loader) takeOver(file string, size int64, mtime time.Time, src []byte) (*parsedFile, bool) {
	rec := l.prevParsed[file]
	if rec == nil {
		return nil, false
	}
	if src == nil {
		return rec, rec.Size == size && rec.ModTime.Equal(mtime) && !mtime.IsZero()
	}
	sum := sha256.Sum256(src)
	return rec, hex.EncodeToString(sum[:]) == rec.Sum
}

// TookOver reports whether the load took the parse of the Markdown file
// source over from Options.Previous rather than parse it.
func (s *Site) TookOver(source string) bool { return s.takenOver[source] }

// Links are the links of p's body: its Doc's, or, for a publication taken
// over from a previous load without its Doc, those the load kept (the
// links to paths of this site).
func (p *Publication) Links() []markdown.Link {
	if p.Doc != nil {
		return p.Doc.Links
	}
	return p.links
}

// ParseBody parses p's body if p has no Doc: a publication a load took over
// from a previous one (see Options.LazyBodies). The file must still be the
// one the load read (its SourceSHA256), or ParseBody fails: the content
// changed while the site was being made, and it must be loaded again.
// Calls for different publications may run at once.
func (s *Site) ParseBody(p *Publication) error {
	if p.Doc != nil || p.Source == "" || p.Document {
		// A standalone document's sidecar gave its summary when parsed;
		// nothing renders or indexes its body.
		return nil
	}
	src, err := fs.ReadFile(s.FS, p.Source)
	if err != nil {
		return fmt.Errorf("content/%s: %w", p.Source, unwrapPath(err))
	}
	if sum := sha256.Sum256(src); hex.EncodeToString(sum[:]) != p.SourceSHA256 {
		return fmt.Errorf("content/%s changed while the site was being made: load it again", p.Source)
	}
	fm, err := splitFrontMatter(src)
	if err != nil {
		return fmt.Errorf("content/%s: %w", p.Source, err)
	}
	md := s.renderer()
	render := md.Render
	if isHTMLContent(p.Source) {
		render = md.RenderHTML
	}
	doc, err := render(src[fm.bodyStart:])
	if err != nil {
		return fmt.Errorf("content/%s:%d: %w", p.Source, fm.bodyLine, err)
	}
	p.Doc = doc
	return nil
}

// renderer is what the load parsed with, or for a decoded site the same
// made from its settings.
func (s *Site) renderer() *markdown.Renderer {
	if s.md == nil {
		s.md = markdown.New(markdown.Options{AllowHTML: s.Settings.AllowHTML})
	}
	return s.md
}

// ParseBodies parses, on all cores, the body of each of pubs that has no
// Doc (see ParseBody), for what renders or indexes many again.
func (s *Site) ParseBodies(pubs []*Publication) error {
	errs := make([]error, len(pubs))
	s.renderer() // before the goroutines read it
	parallel.For(len(pubs), func(i int) {
		if pubs[i].Doc == nil {
			errs[i] = s.ParseBody(pubs[i])
		}
	})
	return errors.Join(errs...)
}

// parsedVersion changes whenever what EncodeParsed writes changes.
const parsedVersion = 1

type encodedParsed struct {
	Version int
	With    string
	Files   map[string]*parsedFile
}

// parseKey says what parsing a file depends on besides the file: the
// settings (languages by file name, the static folder, raw HTML) and the
// Markdown options. Records parsed under another key are not taken over.
func parseKey(s Settings, md markdown.Options) string {
	b, _ := json.Marshal(struct { // strings, booleans and lists always encode
		Settings Settings
		Markdown markdown.Options
	}{s, md})
	return string(b)
}

// EncodeParsed writes what the site's load parsed of each Markdown file,
// for a later load to take over (DecodeParsed, then Options.Previous).
func (s *Site) EncodeParsed(w io.Writer) error {
	if err := gob.NewEncoder(w).Encode(&encodedParsed{Version: parsedVersion, With: s.parsedWith, Files: s.parsed}); err != nil {
		return fmt.Errorf("encode parsed content: %w", err)
	}
	return nil
}

// DecodeParsed reads what EncodeParsed wrote into s, a site Decode made,
// so that s can be a load's Options.Previous.
func (s *Site) DecodeParsed(r io.Reader) error {
	var e encodedParsed
	if err := gob.NewDecoder(r).Decode(&e); err != nil {
		return fmt.Errorf("decode parsed content: %w", err)
	}
	if e.Version != parsedVersion {
		return fmt.Errorf("decode parsed content: format version %d, this program reads %d", e.Version, parsedVersion)
	}
	s.parsed, s.parsedWith = e.Files, e.With
	return nil
}
