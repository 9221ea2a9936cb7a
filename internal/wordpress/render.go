package wordpress

import (
	"bytes"
	"fmt"
	"html"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"archive/internal/content"
)

// frontMatter is what a post or page says of itself, in the order staff
// read it. Fields that are empty are left out.
type frontMatter struct {
	Title       string       `yaml:"title"`
	Date        time.Time    `yaml:"date,omitempty"`
	PublishDate time.Time    `yaml:"publishDate,omitempty"`
	Draft       bool         `yaml:"draft,omitempty"`
	Authors     []string     `yaml:"authors,omitempty"`
	Summary     string       `yaml:"summary,omitempty"`
	Tags        []string     `yaml:"tags,omitempty"`
	Categories  []string     `yaml:"categories,omitempty"`
	Lang        string       `yaml:"lang,omitempty"`
	Aliases     []string     `yaml:"aliases,omitempty"`
	Attachments []attachment `yaml:"attachments,omitempty"`
}

type attachment struct {
	File  string `yaml:"file"`
	Title string `yaml:"title,omitempty"`
}

// An output is one file to write into the content folder.
type output struct {
	path   string // slash path in the content folder
	data   []byte // Markdown, or
	src    string // the upload to copy
	kind   string // "post", "page" or "file"
	from   string // the post or page it belongs to, for the manifest
	upload string // the path of a copied file in the uploads folder
}

// render converts every doc and lists the files to write, in a fixed order.
func (imp *importer) render() ([]output, error) {
	var outs []output
	for _, d := range imp.docs {
		d.files = newFileSet(d)
		site := siteKey(d.ex)
		attached := imp.children[itemKey{site, d.it.id}]
		// Attachments first, in WordPress's order, so that their names do
		// not depend on where the body links them.
		for _, a := range attached {
			rel, ok := imp.attachmentRel(a)
			if !ok {
				imp.warnf(d.it, "attachment %d: %q is not a file of the site's uploads; not copied", a.id, a.attachmentURL)
				continue
			}
			imp.addFile(d.files, rel, a.attachmentURL, plainText(a.title))
		}
		notes := map[string]int{}
		env := &bodyEnv{
			link:     func(u, text string) string { return imp.resolveLink(d, u, text) },
			attached: attached,
			byID:     func(id int) *item { return imp.items[itemKey{site, id}] },
			reusable: func(id int) (string, bool) {
				c, ok := imp.reusable[itemKey{site, id}]
				return c, ok
			},
			notes: notes,
		}
		body, err := imp.conv.convert(d.it.content, env)
		if err != nil {
			imp.warnf(d.it, "%v: the body is kept as HTML", err)
			body = d.it.content + "\n"
		}
		for _, k := range slices.Sorted(maps.Keys(notes)) {
			if notes[k] > 1 {
				imp.warnf(d.it, "%s (%d times)", k, notes[k])
			} else {
				imp.warnf(d.it, "%s", k)
			}
		}
		fm := imp.frontMatter(d)
		if d.kind == "page" {
			body = appendFileLinks(body, d.files)
		}
		md, err := markdownFile(fm, body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.name(), err)
		}
		outs = append(outs, output{path: d.file, data: md, kind: d.kind, from: docFrom(d)})
		for _, f := range d.files.list {
			outs = append(outs, output{path: path.Join(d.dir, f.name), src: f.src, kind: "file", from: docFrom(d), upload: f.rel})
		}
	}
	return outs, nil
}

func siteURL(ex *export) string { return strings.TrimSuffix(ex.blogURL, "/") }

// frontMatter fills in what the doc says of itself.
func (imp *importer) frontMatter(d *doc) frontMatter {
	it := d.it
	fm := frontMatter{Title: plainText(it.title), Draft: d.draft, PublishDate: d.publishDate}
	if fm.Title == "" {
		fm.Title = titleFromSlug(d.slug)
		imp.warnf(it, "no title: titled %q; give it one", fm.Title)
	}
	for _, t := range it.terms {
		name := strings.TrimSpace(html.UnescapeString(t.name))
		switch t.domain {
		case "post_tag", "tag":
			fm.Tags = appendNew(fm.Tags, name)
		case "category":
			fm.Categories = appendNew(fm.Categories, name)
		case "language":
			// Polylang's taxonomy: the item's own language.
			if fm.Lang == "" {
				fm.Lang = cleanSlug(t.nicename)
			}
		}
	}
	if fm.Lang == "" {
		fm.Lang = d.ex.language
	}
	if d.inFolder() {
		// A page in a folder carries nothing that marks a publication,
		// or the archive would ask for its date.
		return frontMatter{Title: fm.Title, Draft: fm.Draft, PublishDate: fm.PublishDate, Categories: fm.Categories, Lang: fm.Lang}
	}
	// Some exports write the login with a stray ">".
	if login := strings.Trim(it.creator, " \t\n<>"); login != "" {
		fm.Authors = []string{firstOf(d.ex.authors[login], login)}
	}
	fm.Summary = plainText(it.excerpt)
	fm.Aliases = d.aliases
	if d.kind == "post" {
		fm.Date = d.date.UTC()
		for _, f := range d.files.list {
			if mediaKind(f.name) == "" && content.ServedTypes[strings.ToLower(path.Ext(f.name))] {
				fm.Attachments = append(fm.Attachments, attachment{File: f.name, Title: f.title})
			}
		}
	} else {
		fm.Tags = nil
	}
	return fm
}

func appendNew(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return list
		}
	}
	return append(list, s)
}

func titleFromSlug(slug string) string {
	s := strings.TrimSpace(strings.ReplaceAll(slug, "-", " "))
	if s == "" {
		return "Untitled"
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// appendFileLinks lists below a page's text the documents it has that its
// text does not link: a page has no attachments field, and a reader must
// still find them.
func appendFileLinks(body string, set *fileSet) string {
	var lines []string
	for _, f := range set.list {
		if mediaKind(f.name) != "" || strings.Contains(body, "("+fileLink(f.name)+")") {
			continue
		}
		lines = append(lines, "- ["+escapeLinkText(firstOf(f.title, f.name))+"]("+fileLink(f.name)+")")
	}
	if len(lines) == 0 {
		return body
	}
	if body != "" {
		body += "\n"
	}
	return body + "Files:\n\n" + strings.Join(lines, "\n") + "\n"
}

func escapeLinkText(s string) string {
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`).Replace(s)
}

// fileLink is the link to a file beside the page, relative to its URL.
func fileLink(name string) string {
	s := (&url.URL{Path: name}).EscapedPath()
	if strings.Contains(s, ":") {
		s = "./" + s
	}
	return s
}

// markdownFile writes front matter and body as the archive reads them.
func markdownFile(fm frontMatter, body string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("---\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(fm); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	buf.WriteString("---\n")
	if body != "" {
		buf.WriteString("\n" + body)
	}
	return buf.Bytes(), nil
}

// resolveLink says what a URL in a body of d becomes: a file of its
// folder, the new address of a post or page of the site, or itself.
func (imp *importer) resolveLink(d *doc, raw, text string) string {
	if raw == "" || strings.HasPrefix(raw, "#") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		return raw
	}
	frag := ""
	if u.Fragment != "" {
		frag = "#" + u.EscapedFragment()
	}
	if rel, ok := imp.uploadPath(u); ok {
		title := text
		if a := imp.attachmentByRel[rel]; a != nil {
			title = firstOf(plainText(a.title), title)
		}
		if name := imp.addFile(d.files, rel, raw, title); name != "" {
			return fileLink(name)
		}
		return raw
	}
	host := strings.ToLower(u.Host)
	site := siteKey(d.ex)
	if host != "" {
		site = imp.blogHosts[host]
	}
	if site == "" || (u.Path == "" && u.RawQuery == "") {
		return raw
	}
	if host == "" && !strings.HasPrefix(u.Path, "/") && u.RawQuery == "" {
		return raw // relative to a page of the old site: nothing to go by
	}
	p := oldPath(raw)
	if a := imp.attachmentPages[site+" "+p]; a != nil {
		if rel, ok := imp.attachmentRel(a); ok {
			if name := imp.addFile(d.files, rel, a.attachmentURL, plainText(a.title)); name != "" {
				return fileLink(name)
			}
		}
		return raw
	}
	if t := imp.targets[site+" "+p]; t != nil {
		return t.url + frag
	}
	return raw
}
