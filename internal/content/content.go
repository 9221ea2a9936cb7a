// Package content loads the archive's publications from a folder of Markdown
// page bundles and checks them.
//
// # Layout
//
// A publication is a page bundle, <section>/<slug>/index.md, with its
// attachments beside it, or a single file <section>/<slug>.md. The section is
// the folder's name; any name works except the few the site reserves for its
// own pages (see ReservedSections). Its URL is /<section>/<slug>/ and an
// attachment's is /<section>/<slug>/<file>.
//
// # Front matter
//
// YAML between "---" lines or TOML between "+++" lines. Typed fields: title
// and date (required), summary, authors (also author and by), tags, lang
// (default "en"), draft, aliases, attachments, related, updated, corrections
// and translationKey. Unknown fields are kept in Publication.Extra and
// reported as warnings. A file whose only field is "redirect" is a redirect
// stub, as Hugo-style sites write them: its URL redirects to the target.
//
// # Problems
//
// Load never stops at the first problem: it returns every one it finds as
// "path:line: message", errors and warnings apart. A site with any error must
// not be served; warnings are for staff to read.
//
// It does not read PDF text (package pdftext) or render pages (package site).
package content

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"archive/internal/markdown"
)

// ReservedSections are top-level URL paths the site uses for its own pages.
var ReservedSections = []string{"api", "archive", "static", "tags", "search", "healthz", "sitemap.xml", "robots.txt", "feed.atom", "feed.json", "opensearch.xml", "checksums.txt", "page", "categories"}

// Publication is one report, letter or investigation.
type Publication struct {
	Section string
	Slug    string
	URL     string // "/<section>/<slug>/"
	Source  string // path of the Markdown file within the content folder
	Dir     string // folder holding the bundle's attachments ("" for a single file)

	Title    string
	Date     time.Time
	Updated  []time.Time
	Summary  string
	Authors  []string
	Tags     []string // in URL form: hong-kong
	TagNames []string // the same tags as written: Hong Kong
	// Categories are a second taxonomy, as Hugo has them: in URL form, and
	// as written.
	Categories, CategoryNames []string
	Keywords                  []string // searched, not shown
	// Image is the URL of the publication's picture (Hugo's images, image,
	// cover or featured_image), shown in lists and to link previews.
	Image          string
	Lang           string
	Draft          bool      // draft: true, or published: false
	PublishDate    time.Time // not published before this time, if set
	ExpiryDate     time.Time // not published from this time on, if set
	Undated        bool      // a plain page without a date (see Site.Pages)
	Aliases        []string
	Attachments    []*Attachment
	RelatedPaths   []string
	Related        []*Publication
	Corrections    []Correction
	TranslationKey string
	// InMenu puts it in the site's top navigation (Hugo's menu: main),
	// ordered by Weight.
	InMenu bool
	Weight int
	// Document marks a standalone document (see document.go): a PDF outside
	// any bundle, whose URL is the file's and Attachments[0] the file.
	// Source is its sidecar, or the PDF when it has none.
	Document bool
	Extra    map[string]any

	Body     []byte // Markdown source of the body
	BodyLine int    // line of the source file where the body starts
	Doc      *markdown.Document

	SourceSHA256 string // of the Markdown file, which names its parsed form in caches

	links []markdown.Link // of the body, when it was taken over without its Doc (see reuse.go)

	explicitURL   string // from url or permalink in front matter
	slugField     string // the slug field as written, for permalinks
	titleFromFile bool   // a document titled by its file name, for SetPDFInfo
	imageLine     int    // of the image field, for its warning
}

// Attachment is a file of a bundle that readers can download.
type Attachment struct {
	Name    string // file name within the bundle
	Title   string
	Path    string // path within the content folder
	URL     string
	Size    int64
	SHA256  string
	ModTime time.Time
	// Pages is the number of pages of a PDF, once its text has been read
	// (see SetPDFInfo); 0 before.
	Pages int

	declLine int // line of the attachments field that lists it
}

// IsPDF reports whether the attachment is a PDF by its name.
func (a *Attachment) IsPDF() bool { return strings.EqualFold(path.Ext(a.Name), ".pdf") }

// Correction is a dated note of what changed in a publication.
type Correction struct {
	Date time.Time
	Text string
}

// Redirect sends readers of an old URL to a new one.
type Redirect struct {
	From, To string
	Source   string

	sum string
}

// Problem is an error or warning about a content file.
type Problem struct {
	Path    string
	Line    int
	Message string
	Warning bool
}

// String writes the problem as editors and compilers do: "path:line: message",
// with "warning: " before the message of a warning.
func (p Problem) String() string {
	msg := p.Message
	if p.Warning {
		msg = "warning: " + msg
	}
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, msg)
	}
	return fmt.Sprintf("%s: %s", p.Path, msg)
}

// Problems is the list Load returns, in file order.
type Problems []Problem

// Errors returns the problems that are not warnings.
func (ps Problems) Errors() Problems {
	var out Problems
	for _, p := range ps {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Warnings returns the problems that are warnings.
func (ps Problems) Warnings() Problems {
	var out Problems
	for _, p := range ps {
		if p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Site is the loaded content.
type Site struct {
	FS           fs.FS
	Publications []*Publication // newest first
	// Pages are undated single files: served at their URL, listed nowhere.
	Pages []*Publication
	// Documents are the standalone PDFs (see document.go), listed on their
	// section's page: newest first, the undated last.
	Documents []*Publication
	// SectionPages hold the title and text of a section, from <section>/index.md.
	SectionPages map[string]*Publication
	ByURL        map[string]*Publication
	Redirects    map[string]string // old URL path -> new URL path
	// RedirectStubs are the files whose only field is redirect, sorted.
	RedirectStubs []string
	Sections      []string // sorted
	Tags          map[string][]*Publication
	Categories    map[string][]*Publication
	Years         map[int][]*Publication
	// Files are the files the site serves from the content folder (paths
	// within it, such as "letters/x/letter.pdf"), with their sizes.
	Files map[string]int64
	// FileAliases are further URL paths (no leading slash) of files in
	// Files: those of a bundle whose page is not at its folder's URL (a
	// slug, a url field, a translation), served beside the page too.
	FileAliases map[string]string
	Settings    Settings
	// Withheld are the files and publications of the content folder that
	// are not published, with the reason (see public.go); Hidden and
	// Ignored count the names skipped for a leading "." or "_" and for
	// site.toml's ignore patterns.
	Withheld        []Withheld
	Hidden, Ignored int
	// NextChange is the next time a publishDate or expiryDate changes what
	// is published (zero if none): until then the site is as loaded.
	NextChange time.Time
	// Menu is what the top navigation lists besides the sections: the
	// pages and publications with Hugo's menu: main, by weight, then title.
	Menu []*Publication
	// Hash identifies the content: it changes when any loaded file changes.
	Hash string
	// Parsed and TakenOver count the Markdown files the load parsed and
	// those whose parse it took over from Options.Previous (reuse.go).
	Parsed, TakenOver int

	parsed     map[string]*parsedFile // by source path, for the next load
	parsedWith string                 // the settings they were parsed with (parseKey)
	takenOver  map[string]bool        // sources whose parse was taken over
	md         *markdown.Renderer     // what the load parsed with, for ParseBody
}

// menu is what the site's top navigation lists besides the sections: the
// pages and publications with Hugo's menu: main, by weight, then title.
func (s *Site) menu() []*Publication {
	var out []*Publication
	for _, list := range [][]*Publication{s.Pages, s.Publications} {
		for _, p := range list {
			if p.InMenu {
				out = append(out, p)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Weight != out[j].Weight {
			return out[i].Weight < out[j].Weight
		}
		return out[i].Title < out[j].Title
	})
	return out
}

// Attachments lists every attachment of every publication, in publication
// order, then the files of the standalone documents.
func (s *Site) Attachments() []*Attachment {
	var out []*Attachment
	for _, p := range slices.Concat(s.Publications, s.Documents) {
		out = append(out, p.Attachments...)
	}
	return out
}

// hashFiles adds each file's name and SHA-256 to the site hash in a fixed
// order, then the sources that are published.
func hashFiles(names []string, sums map[string]string, published []string) string {
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		io.WriteString(h, n+"\x00"+sums[n]+"\n")
	}
	for _, n := range published {
		io.WriteString(h, "published\x00"+n+"\n")
	}
	return hex.EncodeToString(h.Sum(nil))
}

// All is every publication, page, standalone document and section page
// the site publishes, in no particular order.
func (s *Site) All() []*Publication {
	return slices.Concat(s.Publications, s.Pages, s.Documents, slices.Collect(maps.Values(s.SectionPages)))
}

// publishedSources lists the Markdown files of what the site publishes.
func (s *Site) publishedSources() []string {
	var out []string
	for _, p := range s.All() {
		out = append(out, p.Source)
	}
	sort.Strings(out)
	return out
}

// noteChange moves NextChange to p's publishDate or expiryDate if either is
// still to come and sooner.
func (s *Site) noteChange(p *Publication, now time.Time) {
	for _, t := range []time.Time{p.PublishDate, p.ExpiryDate} {
		if t.After(now) && (s.NextChange.IsZero() || t.Before(s.NextChange)) {
			s.NextChange = t
		}
	}
}

// Settings are the site-wide settings read from site.toml at the top of the
// content folder. All are optional.
type Settings struct {
	Title        string `toml:"title"`        // the site's name
	Organisation string `toml:"organisation"` // who publishes, for citations
	Description  string `toml:"description"`
	BaseURL      string `toml:"base_url"` // absolute URL for feeds, sitemaps and citations
	AllowHTML    bool   `toml:"allow_html"`
	// OCRLanguages are read in scanned PDF pages whose publication's
	// language has no Tesseract model installed (default English): BCP 47
	// tags ("zh-Hant") or Tesseract names ("eng+fra").
	OCRLanguages []string `toml:"ocr_languages"`
	// StaticDir is the site's static folder inside the content folder
	// (default "static", as Hugo's static/ copied in): its files are
	// served from the top of the site.
	StaticDir string `toml:"static_dir"`
	// Languages are the languages of translations by file name, as Hugo
	// writes them (index.zh.md, about.fr.md): each is served under /<lang>/.
	Languages []string `toml:"languages"`
	// Permalinks are Hugo's URL patterns per section, whose URLs redirect
	// to the archive's (see hugo.go).
	Permalinks Permalinks `toml:"permalinks"`
	// Ignore lists glob patterns of files and folders never published (see
	// public.go); Hugo calls it ignoreFiles.
	Ignore []string `toml:"ignore"`
}
