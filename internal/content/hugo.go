package content

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Sites moved in from Hugo or Jekyll arrive with their own file names,
// front matter and URL patterns. This file reads them as those programs
// do, so that nothing is dropped and every old URL still leads somewhere.

// markdownExts are the endings Hugo and Jekyll read as Markdown.
var markdownExts = []string{".md", ".markdown", ".mdown", ".mkd", ".mkdn"}

func isMarkdown(ext string) bool { return slices.Contains(markdownExts, ext) }

// isSectionIndex reports the names that describe their folder: Hugo's
// _index.md (a branch bundle) and index.md.
func isSectionIndex(name string) bool {
	stem := strings.TrimSuffix(name, path.Ext(name))
	return (stem == "index" || stem == "_index") && isMarkdown(strings.ToLower(path.Ext(name)))
}

// splitLang reads Hugo's translation suffix: with zh among the site's
// languages, "post/x/index.zh.md" is the Chinese version of
// "post/x/index.md".
func (l *loader) splitLang(file string) (logical, lang string) {
	ext := path.Ext(file)
	stem := strings.TrimSuffix(file, ext)
	suffix := path.Ext(stem)
	if suffix == "" || !slices.Contains(l.languages, suffix[1:]) {
		return file, ""
	}
	return strings.TrimSuffix(stem, suffix) + ext, suffix[1:]
}

// quietFields are front matter fields Hugo or Jekyll define that the
// archive does not use: they are kept in Extra without a warning. The
// README lists them.
var quietFields = map[string]bool{
	"layout": true, "type": true, "toc": true, "comments": true, "share": true, "menu": true,
	"showToc": true, "TocOpen": true, "math": true, "mathjax": true, "katex": true, "hidden": true,
	"sitemap": true, "outputs": true, "markup": true, "headless": true, "cascade": true, "build": true,
	"linkTitle": true, "resources": true, "series": true, "audio": true, "videos": true,
	"isCJKLanguage": true, "thumbnail": true, "hero": true,
	"excerpt_separator": true, "canonicalURL": true, "disqus_identifier": true,
	"no_index": true, "noindex": true, "private": true, "tocLevels": true, "subtitle": true,
}

// hugoKnown are the Hugo and Jekyll fields hugoFields reads.
var hugoKnown = map[string]bool{
	"slug": true, "url": true, "permalink": true, "lastmod": true, "description": true, "excerpt": true,
	"weight": true, "categories": true, "keywords": true,
	"images": true, "image": true, "cover": true, "featured_image": true,
}

// hugoFields reads the Hugo and Jekyll fields that map to the archive's own:
// slug and url (and Jekyll's permalink) choose the URL, lastmod is a
// revision, description or excerpt is the summary when there is none.
func (l *loader) hugoFields(p *Publication, fm *frontMatter, line func(string) int) {
	str := func(k string) string {
		s, _ := asString(fm.fields[k])
		return strings.TrimSpace(s)
	}
	if p.Summary == "" {
		p.Summary = cmpOr(str("description"), str("excerpt"))
	}
	if v, ok := fm.fields["lastmod"]; ok {
		if t, err := parseDate(v); err != nil {
			l.errorf(p.Source, line("lastmod"), "lastmod: %v", err)
		} else if !t.Equal(p.Date) {
			p.Updated = append(p.Updated, t)
		}
	}
	p.InMenu, p.Weight = menuField(fm.fields["menu"])
	if w, ok := fm.fields["weight"]; ok {
		switch n := w.(type) {
		case int:
			p.Weight = n
		case int64:
			p.Weight = int(n)
		}
	}
	if v, ok := fm.fields["categories"]; ok {
		list, err := asStrings(v)
		if err != nil {
			l.errorf(p.Source, line("categories"), "categories: %v", err)
		}
		p.Categories, p.CategoryNames = normalizeTags(list)
	}
	if v, ok := fm.fields["keywords"]; ok {
		list, err := asStrings(v)
		if err != nil {
			l.errorf(p.Source, line("keywords"), "keywords: %v", err)
		}
		p.Keywords = list
	}
	for _, k := range []string{"images", "image", "cover", "featured_image"} {
		img := imageField(fm.fields[k])
		if img == "" || p.Image != "" {
			continue
		}
		if u, err := url.Parse(img); err != nil || u.Scheme != "" || u.Host != "" {
			// Readers' browsers load nothing from other sites.
			l.warnf(p.Source, line(k), "%s %s is not a file of this site, so it is not shown", k, img)
			continue
		}
		p.Image, p.imageLine = img, line(k)
	}
	if s := str("slug"); s != "" {
		p.slugField = s
		if strings.Contains(s, "/") || s == "." || s == ".." {
			l.errorf(p.Source, line("slug"), "slug %q must be one path segment, such as what-it-costs", s)
		} else if p.Slug != "" {
			dir := path.Dir(p.Slug)
			if dir == "." {
				dir = ""
			}
			p.Slug = path.Join(dir, s)
		}
	}
	for _, k := range []string{"url", "permalink"} {
		u := str(k)
		if u == "" {
			continue
		}
		clean := cleanURLPath(u)
		if strings.Contains(u, ":") || strings.Contains(u, "//") || clean == "/" {
			l.errorf(p.Source, line(k), "%s %q must be a path of this site, such as /about/", k, u)
			continue
		}
		p.explicitURL = clean
	}
}

// imageField reads an image field as themes write them: a path, a list of
// paths (Hugo's images), or a map with an image entry (cover: {image: x}).
func imageField(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case []any:
		if len(v) > 0 {
			return imageField(v[0])
		}
	case map[string]any:
		return imageField(v["image"])
	}
	return ""
}

// menuField reads Hugo's menu field for the main menu: "main", a list
// holding "main", or a map whose "main" entry may give a weight.
func menuField(v any) (in bool, weight int) {
	switch m := v.(type) {
	case string:
		return m == "main", 0
	case []any:
		for _, e := range m {
			if e == "main" {
				return true, 0
			}
		}
	case map[string]any:
		entry, ok := m["main"]
		if !ok {
			return false, 0
		}
		if em, ok := entry.(map[string]any); ok {
			switch n := em["weight"].(type) {
			case int:
				weight = n
			case int64:
				weight = int(n)
			}
		}
		return true, weight
	}
	return false, 0
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// jekyllName splits Jekyll's "2016-9-20-what-it-costs" into its date and
// its slug.
var jekyllName = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)$`)

func jekyllDate(stem string) (time.Time, string, bool) {
	m := jekyllName.FindStringSubmatch(stem)
	if m == nil {
		return time.Time{}, "", false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Month() != time.Month(mo) || t.Day() != d {
		return time.Time{}, "", false
	}
	return t, m[4], true
}

// Permalinks are Hugo's [permalinks] table in site.toml: a URL pattern per
// section, such as post = "/:year/:month/:day/:slug/". A publication keeps
// the archive's URL; the one the pattern gives, and the same path ending in
// .html (Jekyll's and older Hugo sites' form), redirect to it with 301.
type Permalinks map[string]string

var permalinkToken = regexp.MustCompile(`:[a-z]+`)

// permalinkTokens are Hugo's tokens that the archive knows.
var permalinkTokens = []string{":year", ":month", ":day", ":slug", ":title", ":section", ":filename", ":contentbasename"}

func (pl Permalinks) check() error {
	for sec, pat := range pl {
		if !strings.HasPrefix(pat, "/") {
			return fmt.Errorf("permalinks: %s = %q must start with /", sec, pat)
		}
		for _, tok := range permalinkToken.FindAllString(pat, -1) {
			if !slices.Contains(permalinkTokens, tok) {
				return fmt.Errorf("permalinks: %s = %q: unknown token %s (known: %s)", sec, pat, tok, strings.Join(permalinkTokens, " "))
			}
		}
	}
	return nil
}

// oldURL is the URL p had under the pattern, lower-cased as Hugo writes
// URLs, or "" when its section has none.
func (pl Permalinks) oldURL(p *Publication, slugField string) string {
	pat, ok := pl[p.Section]
	dated := strings.Contains(pat, ":year") || strings.Contains(pat, ":month") || strings.Contains(pat, ":day")
	if !ok || dated && p.Date.IsZero() {
		return ""
	}
	base := path.Base(strings.TrimSuffix(p.Source, path.Ext(p.Source)))
	if isSectionIndex(path.Base(p.Source)) {
		base = path.Base(path.Dir(p.Source))
	}
	if _, rest, ok := jekyllDate(base); ok {
		base = rest
	}
	slug := cmpOr(slugField, urlize(p.Title))
	out := permalinkToken.ReplaceAllStringFunc(pat, func(tok string) string {
		switch tok {
		case ":year":
			return fmt.Sprintf("%04d", p.Date.Year())
		case ":month":
			return fmt.Sprintf("%02d", int(p.Date.Month()))
		case ":day":
			return fmt.Sprintf("%02d", p.Date.Day())
		case ":slug":
			return slug
		case ":title":
			return urlize(p.Title)
		case ":section":
			return p.Section
		case ":filename", ":contentbasename":
			return base
		}
		return tok
	})
	return cleanURLPath(strings.ToLower(out))
}

// urlize makes a title into a URL segment as Hugo does: lower case,
// accents kept, spaces to hyphens, punctuation dropped.
func urlize(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFC.String(strings.ToLower(strings.TrimSpace(s))) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.':
			b.WriteRune(r)
			hyphen = false
		case unicode.IsSpace(r) || r == '-':
			if !hyphen && b.Len() > 0 {
				b.WriteByte('-')
				hyphen = true
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

// unknownFields gathers unknown front matter fields by name, so that a site
// whose every post has "template: x" gets one warning, not hundreds.
type unknownFields map[string]*unknownField

type unknownField struct {
	files     int
	firstFile string
	firstLine int
}

func (u unknownFields) add(name, file string, line int) {
	f := u[name]
	if f == nil {
		f = &unknownField{firstFile: file, firstLine: line}
		u[name] = f
	} else if file < f.firstFile {
		f.firstFile, f.firstLine = file, line
	}
	f.files++
}

// report warns once per name, at its first place, with the number of
// files; format holds one %s for the name.
func (u unknownFields) report(l *loader, format string) {
	for _, name := range keys(u) {
		f := u[name]
		msg := fmt.Sprintf(format, strconv.Quote(name))
		if f.files > 1 {
			msg += fmt.Sprintf(" (in %d files)", f.files)
		}
		l.warnf(f.firstFile, f.firstLine, "%s", msg)
	}
}

// isHTMLContent reports the endings of HTML content files: with front
// matter, their body is HTML, sanitized as raw HTML in Markdown is.
func isHTMLContent(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".html" || ext == ".htm"
}

// hasFrontMatter tells a content file from an HTML file kept for staff
// (letter-print.html): only the first has front matter.
func hasFrontMatter(fsys fs.FS, name string) bool {
	f, err := fsys.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	head = bytes.TrimPrefix(head[:n], []byte("\ufeff"))
	return bytes.HasPrefix(head, []byte("---")) || bytes.HasPrefix(head, []byte("+++"))
}
