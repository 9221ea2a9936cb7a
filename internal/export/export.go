// Package export writes a rendered site as plain files that any static host
// or mirror can serve: every page, feed and citation file, the attachments,
// the stylesheet and checksums.txt. A mirror keeps the archive readable if
// its server is lost or blocked; search, which needs the server, points to
// the main site.
//
// It does not render anything (package site) or serve anything (package
// server).
package export

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"archive/internal/site"
)

// Options change what the export writes.
type Options struct {
	// Origin is the scheme and host the mirror's absolute URLs use (feeds,
	// citations), such as "https://mirror.example.org". "" uses the site's
	// base URL, or leaves the URLs relative to nothing when there is none.
	Origin string
	// SearchURL is where the search forms of the mirror send readers, such
	// as "https://archive.example.org/search". "" keeps "/search", which
	// only works where the mirror is the main site.
	SearchURL string
}

// Stats count what was written.
type Stats struct {
	Pages, Files int
	Bytes        int64
}

// Write writes s into dir, which must not exist yet or be empty.
func Write(s *site.Site, dir string, opts Options) (Stats, error) {
	var st Stats
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return st, fmt.Errorf("export: %s is not empty", dir)
	}
	origin := opts.Origin
	if origin == "" {
		origin = strings.TrimSuffix(s.Content.Settings.BaseURL, "/")
	}
	urls := make([]string, 0, len(s.Pages))
	for u := range s.Pages {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	for _, u := range urls {
		p := s.Pages[u]
		if p.Origin && origin != "" {
			p = p.WithOrigin(origin)
		}
		body := p.Body
		if strings.HasPrefix(p.ContentType, "text/html") && opts.SearchURL != "" {
			body = pointSearch(body, opts.SearchURL)
		}
		if err := writeFile(dir, FileFor(u), body); err != nil {
			return st, err
		}
		st.Pages++
		st.Bytes += int64(len(body))
	}
	if s.NotFound != nil {
		body := s.NotFound.Body
		if opts.SearchURL != "" {
			body = pointSearch(body, opts.SearchURL)
		}
		if err := writeFile(dir, "404.html", body); err != nil {
			return st, err
		}
	}
	if opts.SearchURL != "" {
		title := s.Content.Settings.Title
		if len([]rune(title)) > 16 {
			title = string([]rune(title)[:16]) // OpenSearch's limit for ShortName
		}
		if err := writeFile(dir, "opensearch.xml", openSearch(title, opts.SearchURL)); err != nil {
			return st, err
		}
	}
	for u, a := range s.Assets.ByURL {
		if err := writeFile(dir, strings.TrimPrefix(u, "/"), a.Body); err != nil {
			return st, err
		}
		st.Files++
		st.Bytes += int64(len(a.Body))
	}
	names := make([]string, 0, len(s.Content.Files))
	for name := range s.Content.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		n, err := copyFile(s.Content.FS, name, filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return st, err
		}
		st.Files++
		st.Bytes += n
	}
	// Redirects become small pages, since a static host has no 301 of its own.
	for from, to := range s.Content.Redirects {
		if _, taken := s.Pages[from]; taken {
			continue
		}
		if err := writeFile(dir, FileFor(from), redirectPage(to)); err != nil {
			return st, err
		}
	}
	return st, nil
}

// FileFor is the file that holds the page at url: "/a/b/" is a/b/index.html.
func FileFor(url string) string {
	p := strings.TrimPrefix(path.Clean("/"+url), "/")
	if strings.HasSuffix(url, "/") || p == "" {
		return path.Join(p, "index.html")
	}
	return p
}

// pointSearch sends the page's search forms and links to the main site.
func pointSearch(body []byte, searchURL string) []byte {
	a := []byte(`"` + htmlAttr(searchURL) + `"`)
	body = bytes.ReplaceAll(body, []byte(`action="/search"`), append([]byte(`action=`), a...))
	return bytes.ReplaceAll(body, []byte(`href="/search"`), append([]byte(`href=`), a...))
}

// openSearch describes the main site's search to browsers, from the mirror.
func openSearch(title, searchURL string) []byte {
	esc := func(s string) string {
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
	}
	sep := "?"
	if strings.Contains(searchURL, "?") {
		sep = "&"
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">
<ShortName>` + esc(title) + `</ShortName>
<Description>Search ` + esc(title) + `</Description>
<InputEncoding>UTF-8</InputEncoding>
<Url type="text/html" template="` + esc(searchURL+sep+"q={searchTerms}") + `"/>
</OpenSearchDescription>
`)
}

func htmlAttr(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `"`, "&#34;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func redirectPage(to string) []byte {
	a := htmlAttr(to)
	return []byte(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Moved</title>` +
		`<meta http-equiv="refresh" content="0; url=` + a + `"><link rel="canonical" href="` + a + `"></head>` +
		`<body><p>This page has moved to <a href="` + a + `">` + a + `</a>.</p></body></html>` + "\n")
}

func writeFile(dir, name string, b []byte) error {
	full := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.WriteFile(full, b, 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

func copyFile(fsys fs.FS, name, dst string) (int64, error) {
	src, err := fsys.Open(name)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	out, err := os.Create(dst)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	n, err := io.Copy(out, src)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("export %s: %w", name, err)
	}
	return n, nil
}
