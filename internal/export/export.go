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
	"html"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"archive/internal/site"
)

// Options change what the export writes.
type Options struct {
	// Origin is the scheme and host the mirror's absolute URLs use (feeds,
	// citations, the sitemap), such as "https://mirror.example.org". "" uses
	// the site's base URL, or writes paths when there is none: a path at
	// least leads to the mirror, where the origin marker leads nowhere.
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
		p = p.WithOrigin(origin)
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
	// Files served beside a page at another URL than its folder's are
	// copied there too, where the page's relative links point.
	for _, alias := range slices.Sorted(maps.Keys(s.Content.FileAliases)) {
		n, err := copyFile(s.Content.FS, s.Content.FileAliases[alias], filepath.Join(dir, filepath.FromSlash(alias)))
		if err != nil {
			return st, err
		}
		st.Files++
		st.Bytes += n
	}
	// Redirects become small pages, since a static host has no 301 of its own.
	for _, from := range slices.Sorted(maps.Keys(s.Content.Redirects)) {
		if _, taken := s.Pages[from]; taken || strings.Contains(from, "?") {
			continue // a static host cannot answer /?p=ID: that stays the server's
		}
		to, err := redirectTarget(from, s.Content.Redirects[from])
		if err != nil {
			return st, err
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
	a := []byte(`"` + html.EscapeString(searchURL) + `"`)
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

// redirectTarget is where the stub for the redirect from sends readers: an
// http(s) URL, or a path of this site cleaned and escaped so that no browser
// can read it as another host ("//evil.example", "/\evil.example"). A
// relative path is taken from the folder of from, as the server's 301 does.
// The loader refuses other targets; one that reaches here anyway stops the
// export rather than put a javascript: link on the mirror.
func redirectTarget(from, to string) (string, error) {
	u, err := url.Parse(to)
	if err != nil {
		return "", fmt.Errorf("export: redirect from %s: target %q is not a URL: %w", from, to, err)
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		if u.Host == "" {
			return "", fmt.Errorf("export: redirect from %s: target %q names no host", from, to)
		}
		return u.String(), nil
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("export: redirect from %s: target %q is neither a path of this site nor an http(s) URL", from, to)
	}
	p := u.Path
	if !strings.HasPrefix(p, "/") {
		p = from[:strings.LastIndex(from, "/")+1] + p
	}
	clean := path.Clean("/" + p) // one leading slash, never two
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return (&url.URL{Path: clean, RawQuery: u.RawQuery, Fragment: u.Fragment}).String(), nil
}

// redirectPage is the stub a static host serves in place of a 301.
func redirectPage(to string) []byte {
	a := html.EscapeString(to)
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
