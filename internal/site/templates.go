package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"text/template/parse"
	"time"
	"unicode"
	"unicode/utf8"

	"archive/internal/content"
)

// Templates are the site's page templates, parsed once at start.
type Templates struct {
	pages map[string]executor
	hash  string
}

// executor is an HTML template (*.html) or an XML one (*.xml).
type executor interface {
	ExecuteTemplate(w io.Writer, name string, data any) error
}

// pageTemplates are rendered inside base.html; the rest are standalone.
var pageTemplates = []string{"list", "publication", "archive", "tags", "error", "search", "pdfpage"}

// ParseTemplates parses every template in fsys. A template that fails to
// parse stops the server from starting, with the file named.
func ParseTemplates(fsys fs.FS) (*Templates, error) {
	t := &Templates{pages: map[string]executor{}}
	files := []string{"base.html", "partials.html"}
	base, err := template.New("base.html").Funcs(funcs).ParseFS(fsys, "base.html", "partials.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	for _, name := range pageTemplates {
		file := name + ".html"
		if _, err := fs.Stat(fsys, file); err != nil {
			continue // optional pages come with their feature
		}
		clone := template.Must(base.Clone())
		if _, err := clone.ParseFS(fsys, file); err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		t.pages[name] = clone
		files = append(files, file)
	}
	matches, _ := fs.Glob(fsys, "*.xml")
	for _, file := range matches {
		x, err := parseXMLTemplate(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		t.pages[file] = x
		files = append(files, file)
	}
	for _, required := range []string{"list", "publication", "error"} {
		if t.pages[required] == nil {
			return nil, fmt.Errorf("templates: %s.html is missing", required)
		}
	}
	t.hash, err = hashFiles(fsys, files)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return t, nil
}

// Hash identifies the templates by the files they were parsed from: two
// parses of the same files have the same hash, so that Rebuild can tell an
// edited template from a reload.
func (t *Templates) Hash() string { return t.hash }

// hashFiles is the SHA-256 of the names and bytes of files.
func hashFiles(fsys fs.FS, files []string) (string, error) {
	h := sha256.New()
	for _, name := range files {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%q %d\n", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Render executes the named template into memory, so a failure never sends
// half a page.
func (t *Templates) Render(name string, data any) ([]byte, error) {
	tmpl, ok := t.pages[name]
	if !ok {
		return nil, fmt.Errorf("template %q does not exist", name)
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			renderBuffers.Put(buf)
		}
	}()
	entry := "base"
	if path.Ext(name) != "" {
		entry = name
	}
	if err := tmpl.ExecuteTemplate(buf, entry, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return bytes.Clone(buf.Bytes()), nil
}

// fragment renders the named template of base.html or partials.html: a
// part of pages that is rendered once for many of them.
func (t *Templates) fragment(name string, data any) (template.HTML, error) {
	var b strings.Builder
	if err := t.pages["list"].ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return template.HTML(b.String()), nil
}

// renderBuffers are reused by Render, which returns an exact copy. A fresh
// buffer grown to a page's size allocated about twice the page, and the
// spare room stayed allocated for as long as the page was served: at
// 10,000 publications, 423 MB of buffers held 255 MB of HTML.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps a rare huge page from pinning its buffer.
const maxPooledBuffer = 1 << 20

// parseXMLTemplate parses an XML template with text/template: html/template
// would escape the XML declaration itself into "&lt;?xml". Text templates
// escape nothing, so every value must go through the xml function, and a
// template with an action that does not is refused.
func parseXMLTemplate(fsys fs.FS, file string) (*texttemplate.Template, error) {
	x, err := texttemplate.New(file).Funcs(texttemplate.FuncMap{"xml": xmlEscape}).ParseFS(fsys, file)
	if err != nil {
		return nil, err
	}
	for _, tmpl := range x.Templates() {
		if tmpl.Tree == nil {
			continue
		}
		if err := checkEscaped(tmpl.Tree, tmpl.Tree.Root); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// xmlEscape escapes s for XML text and attribute values alike; characters
// XML cannot hold become U+FFFD, so the document stays well-formed.
func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}

// checkEscaped returns an error naming the first action under n that writes
// a value without passing it to xml last.
func checkEscaped(tree *parse.Tree, n parse.Node) error {
	var lists []*parse.ListNode
	switch n := n.(type) {
	case *parse.ListNode:
		lists = append(lists, n)
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 {
			return nil // {{$x := …}} writes nothing
		}
		last := n.Pipe.Cmds[len(n.Pipe.Cmds)-1]
		if id, ok := last.Args[0].(*parse.IdentifierNode); !ok || id.Ident != "xml" {
			loc, ctx := tree.ErrorContext(n)
			return fmt.Errorf("%s: %s writes a value unescaped: end it with | xml", loc, ctx)
		}
	case *parse.IfNode:
		lists = append(lists, n.List, n.ElseList)
	case *parse.RangeNode:
		lists = append(lists, n.List, n.ElseList)
	case *parse.WithNode:
		lists = append(lists, n.List, n.ElseList)
	}
	for _, l := range lists {
		if l == nil {
			continue
		}
		for _, c := range l.Nodes {
			if err := checkEscaped(tree, c); err != nil {
				return err
			}
		}
	}
	return nil
}

var funcs = template.FuncMap{
	"isoDate":      func(t time.Time) string { return t.Format("2006-01-02") },
	"longDate":     func(t time.Time) string { return t.Format("2 January 2006") },
	"sectionTitle": SectionTitle,
	"join":         strings.Join,
	"humanSize":    HumanSize,
	"pagesText":    pagesText,
	"fileKinds":    fileKinds,
	"pdfs":         pdfAttachments,
	"tags":         tagLinks,
	"categories":   categoryLinks,
	"uiLang":       func() string { return UILang },
	"textDir":      textDir,
	"textStart":    func() template.HTML { return TextStart },
	"textEnd":      func() template.HTML { return TextEnd },
	"upper":        strings.ToUpper,
	"fileType":     func(name string) string { return strings.ToUpper(strings.TrimPrefix(path.Ext(name), ".")) },
}

// TextStart and TextEnd enclose the words of a publication page that a
// search highlight may mark (title, summary, body), so that the server never
// marks menus, citations or file names. html/template strips comments from
// templates, so the page gets them through the textStart and textEnd
// functions.
const (
	TextStart = "<!--text-->"
	TextEnd   = "<!--/text-->"
)

// SectionTitle turns a folder name such as "open-letters" into "Open letters".
func SectionTitle(s string) string {
	s = sectionSpaces.Replace(s)
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// sectionSpaces is made once: every page calls SectionTitle for each
// section of its menu, and making a Replacer builds its table.
var sectionSpaces = strings.NewReplacer("-", " ", "_", " ")

// HumanSize writes a byte count as readers expect: 41 KB, 1.3 MB.
// tagLink is a tag of a publication: its URL form and as written.
type tagLink struct{ Slug, Name string }

func tagLinks(p *content.Publication) []tagLink { return termLinks(p.Tags, p.TagNames) }

func categoryLinks(p *content.Publication) []tagLink {
	return termLinks(p.Categories, p.CategoryNames)
}

func termLinks(slugs, names []string) []tagLink {
	out := make([]tagLink, len(slugs))
	for i, t := range slugs {
		out[i] = tagLink{t, t}
		if i < len(names) && names[i] != "" {
			out[i].Name = names[i]
		}
	}
	return out
}

// pdfAttachments are the PDFs among as, linked beside the title.
func pdfAttachments(as []*content.Attachment) []*content.Attachment {
	var out []*content.Attachment
	for _, a := range as {
		if a.IsPDF() {
			out = append(out, a)
		}
	}
	return out
}

// fileKinds says in lists what a publication offers to download: "PDF",
// "2 PDFs", "PDF and 1 file".
func fileKinds(as []*content.Attachment) string {
	pdfs, others := 0, 0
	for _, a := range as {
		if a.IsPDF() {
			pdfs++
		} else {
			others++
		}
	}
	var parts []string
	switch {
	case pdfs == 1:
		parts = append(parts, "PDF")
	case pdfs > 1:
		parts = append(parts, strconv.Itoa(pdfs)+" PDFs")
	}
	switch {
	case others == 1:
		parts = append(parts, "1 file")
	case others > 1:
		parts = append(parts, strconv.Itoa(others)+" files")
	}
	return strings.Join(parts, " and ")
}

func HumanSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.0f KB", float64(n)/1000)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}
