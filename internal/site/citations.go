package site

import (
	"strconv"
	"strings"

	"archive/internal/cite"
	"archive/internal/content"
	"archive/internal/feed"
)

// citeFormats are the citation downloads of every publication.
var citeFormats = []struct{ label, ext, contentType string }{
	{"BibTeX", "bib", "application/x-bibtex; charset=utf-8"},
	{"RIS", "ris", "application/x-research-info-systems; charset=utf-8"},
	{"CSL-JSON", "json", "application/vnd.citationstyles.csl+json; charset=utf-8"},
}

// citeURLs are the URLs of p's citation files, in the order of
// citeFormats, or nil for an undated page, which is not cited. The files are
// named cite.bib and so on, unless the bundle holds a file of that name: the
// publication's own file keeps its URL and the citation moves to cite-2.bib.
func (s *Site) citeURLs(p *content.Publication) []string {
	if p.Undated {
		return nil
	}
	urls := make([]string, len(citeFormats))
	for i, f := range citeFormats {
		urls[i] = s.freeURL(p.URL, "cite", f.ext)
	}
	return urls
}

// citation renders p's citation files at urls (from citeURLs), hands each
// to add, and returns what p's page shows.
func (s *Site) citation(p *content.Publication, urls []string, add func(string, *Page)) *CiteBlock {
	// The page shows the link a reader can follow (a path without base_url);
	// the files, read outside the site, always get an absolute URL.
	onPage := cite.New(p, s.Content.Settings, s.linkURL(p.URL))
	inFile := cite.New(p, s.Content.Settings, feed.Abs(s.originBase(), p.URL))
	b := &CiteBlock{Text: onPage.Plain()}
	for i, f := range citeFormats {
		var body []byte
		switch f.ext {
		case "bib":
			body = []byte(inFile.BibTeX())
		case "ris":
			body = []byte(inFile.RIS())
		case "json":
			js, err := inFile.CSLJSON()
			if err != nil {
				continue // cannot happen: the item holds strings and numbers only
			}
			body = js
		}
		add(urls[i], s.page(urls[i], f.contentType, body))
		mediaType, _, _ := strings.Cut(f.contentType, ";")
		b.Files = append(b.Files, CiteFile{Label: f.label, URL: urls[i], Type: mediaType})
	}
	return b
}

// freeURL is dir+name+"."+ext, or the first of name-2, name-3… that neither
// a content file nor another page uses.
func (s *Site) freeURL(dir, name, ext string) string {
	for i := 1; ; i++ {
		n := name
		if i > 1 {
			n += "-" + strconv.Itoa(i)
		}
		url := dir + n + "." + ext
		_, isFile := s.Content.Files[strings.TrimPrefix(url, "/")]
		_, isPage := s.Pages[url]
		if !isFile && !isPage {
			return url
		}
	}
}
