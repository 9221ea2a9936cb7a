package content

import (
	"path"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Standalone documents: a PDF in a folder of the content, outside any page
// bundle (such as documents/annual-report-2019.pdf), is published as it is.
// Its folder's page lists it, the search finds it page by page, and the
// sitemap and checksums name it. Staff give it a title, date, summary, tags
// or language in a sidecar file named after it with ".md" added
// (documents/annual-report-2019.pdf.md), whose front matter is that of a
// publication with every field optional; its Markdown body, if any, is the
// summary when the front matter has none. Without a sidecar the document
// is titled by the PDF's own metadata (see SetPDFInfo), else by its file
// name made readable, and dated by the PDF's creation date.

// sidecarExt ends the name of a document's sidecar: report.pdf.md.
const sidecarExt = ".pdf.md"

// isSidecar reports whether a content file is a standalone document's
// sidecar, by its name.
func isSidecar(file string) bool { return strings.HasSuffix(strings.ToLower(file), sidecarExt) }

// sidecarDocument is the PDF a sidecar describes.
func sidecarDocument(file string) string { return strings.TrimSuffix(file, path.Ext(file)) }

// newDocument is the publication of a standalone PDF with no sidecar.
func newDocument(file string) *Publication {
	section, rest, _ := strings.Cut(file, "/")
	return &Publication{
		Document:      true,
		Section:       section,
		Slug:          strings.TrimSuffix(rest, path.Ext(rest)),
		URL:           "/" + file,
		Source:        file,
		Title:         readableName(file),
		Lang:          "en",
		Undated:       true,
		Extra:         map[string]any{},
		titleFromFile: true,
	}
}

// readableName makes a file name a title: "annual-report_2019.pdf" is
// "Annual report 2019".
func readableName(file string) string {
	name := path.Base(file)
	name = strings.TrimSuffix(name, path.Ext(name))
	name = strings.Join(strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || unicode.IsSpace(r) }), " ")
	if name == "" {
		return path.Base(file)
	}
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[n:]
}

// documents makes the standalone documents of the published files: each
// PDF outside any bundle and the site's static folder, with the sidecar
// that describes it if there is one. Sidecars of files that are not
// published documents are reported.
func (l *loader) documents(pubs []*Publication, files, candidates map[string]int64, bundles map[string]string) ([]*Publication, []Withheld) {
	var withheld []Withheld
	sidecars := map[string]*Publication{} // PDF path -> its sidecar's publication
	var out []*Publication
	for _, p := range pubs {
		if !p.Document {
			out = append(out, p)
			continue
		}
		pdf := sidecarDocument(p.Source)
		_, published := files[pdf]
		_, exists := candidates[pdf]
		switch {
		case !strings.Contains(pdf, "/"):
			withheld = append(withheld, Withheld{p.Source, "it describes " + pdf + ", but files at the top of the content folder are not served; put both in a folder such as documents/"})
		case !exists:
			l.errorf(p.Source, 0, "%s describes %s, which does not exist", path.Base(p.Source), pdf)
		case bundleOf(pdf, bundles) != "":
			l.errorf(p.Source, 0, "%s is an attachment of %s: give its title in that page's attachments, not in a sidecar", pdf, bundleOf(pdf, bundles))
		case published || p.Draft:
			// A draft sidecar keeps its document back: decidePublic has
			// withheld both, and index leaves the draft out.
			sidecars[pdf] = p
			out = append(out, p)
		default:
			withheld = append(withheld, Withheld{p.Source, "it describes " + pdf + ", which is not published"})
		}
	}
	for _, f := range keys(files) {
		if !strings.EqualFold(path.Ext(f), ".pdf") || bundleOf(f, bundles) != "" || strings.HasPrefix(f, l.staticDir+"/") || !strings.Contains(f, "/") {
			continue
		}
		d := sidecars[f]
		if d == nil {
			d = newDocument(f)
			out = append(out, d)
		}
		d.Attachments = []*Attachment{{Name: path.Base(f), Title: d.Title, Path: f, URL: "/" + f, Size: files[f]}}
	}
	return out, withheld
}

// sidecar parses a document's sidecar, whose front matter src holds.
func (l *loader) sidecar(file string, src []byte, fm *frontMatter) *Publication {
	pdf := sidecarDocument(file)
	p := newDocument(pdf)
	p.Source, p.titleFromFile = file, false
	p.BodyLine, p.Body = fm.bodyLine, src[fm.bodyStart:]
	l.fields(p, fm)
	if p.Title == "" {
		p.Title, p.titleFromFile = readableName(pdf), true
	}
	doc, err := l.md.Render(p.Body)
	if err != nil {
		l.errorf(file, p.BodyLine, "%v", err)
		return p
	}
	p.Doc = doc
	if p.Summary == "" && len(doc.Blocks) > 0 {
		p.Summary = doc.Blocks[0].Text
	}
	return p
}

// PDFMeta is what a PDF says of itself, read when its text is.
type PDFMeta struct {
	Title   string    // the document information's Title, may be ""
	Created time.Time // its CreationDate, zero if none or unreadable
	Pages   int
}

// SetPDFInfo gives each standalone document what its PDF says of itself,
// where its sidecar does not: a title from the PDF's metadata when it is a
// real title (not a file name or "Untitled"), and the creation date; and
// every PDF attachment its number of pages. meta is by file path. The
// documents are then ordered again.
func (s *Site) SetPDFInfo(meta map[string]PDFMeta) {
	for _, a := range s.Attachments() {
		if m, ok := meta[a.Path]; ok {
			a.Pages = m.Pages
		}
	}
	for _, d := range s.Documents {
		m, ok := meta[d.Attachments[0].Path]
		if !ok {
			continue
		}
		if t := usefulPDFTitle(m.Title); t != "" && d.titleFromFile {
			d.Title, d.Attachments[0].Title = t, t
		}
		if d.Undated && !m.Created.IsZero() {
			d.Date, d.Undated = m.Created, false
		}
	}
	sortDocuments(s.Documents)
}

// sortDocuments orders documents as lists show them: newest first, the
// undated after the dated, then by weight and title.
func sortDocuments(docs []*Publication) {
	sort.SliceStable(docs, func(i, j int) bool {
		a, b := docs[i], docs[j]
		if a.Undated != b.Undated {
			return !a.Undated
		}
		if !a.Date.Equal(b.Date) {
			return a.Date.After(b.Date)
		}
		if a.Weight != b.Weight {
			return a.Weight < b.Weight
		}
		return a.Title < b.Title
	})
}

// usefulPDFTitle is the PDF's Title metadata if readers should see it:
// word processors often write the file name there ("Microsoft Word -
// report.docx"), or nothing meaningful.
func usefulPDFTitle(t string) string {
	t = strings.Join(strings.Fields(t), " ")
	t = strings.TrimPrefix(t, "Microsoft Word - ")
	lower := strings.ToLower(t)
	for _, ext := range []string{".doc", ".docx", ".odt", ".rtf", ".pdf", ".indd", ".pages", ".txt", ".tex", ".xls", ".xlsx", ".ppt", ".pptx"} {
		if strings.HasSuffix(lower, ext) {
			return ""
		}
	}
	switch lower {
	case "", "untitled", "untitled document", "title", "document", "no title", "microsoft word":
		return ""
	}
	if !strings.ContainsFunc(t, unicode.IsLetter) {
		return ""
	}
	return t
}
