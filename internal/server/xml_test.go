package server_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"archive/internal/server"
	"archive/internal/site"
)

// xmlContent is the shipped content with base_url set to base ("" for
// none), a title that XML must escape, and a publication whose URL holds an
// ampersand.
func xmlContent(t *testing.T, base string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(repo("content")), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(repo("content", name))
		fsys[name] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fsys["site.toml"] = &fstest.MapFile{Data: fmt.Appendf(nil, "title = %q\nbase_url = %q\n", `Rights & <Wrongs> "Archive"`, base)}
	fsys["reports/r&d/index.md"] = &fstest.MapFile{Data: []byte("---\ntitle: \"Research & <development>\"\ndate: 2024-02-03\ntags: [a&b]\n---\nText.\n")}
	return fsys
}

// TestXMLWellFormed fetches every XML response of the server through the
// real router, with and without base_url, and parses each to the end: one
// root element after the XML declaration, nothing but white space around it.
// Every URL in them (sitemap <loc>, OpenSearch templates and image, feed
// links) and the Sitemap line of robots.txt must be absolute, on base_url
// when it is set and on the request's origin otherwise.
func TestXMLWellFormed(t *testing.T) {
	const reqOrigin = "http://archive.test:8080"
	for _, base := range []string{"", "https://archive.example.org"} {
		t.Run("base_url="+base, func(t *testing.T) {
			s, err := serveContent(layoutOnly(xmlContent(t, base)), server.Config{})
			if err != nil {
				t.Fatal(err)
			}
			origin := base
			if origin == "" {
				origin = reqOrigin
			}
			paths := []string{"/opensearch.xml"}
			for u, p := range s.Site().Pages {
				if strings.Contains(p.ContentType, "xml") {
					paths = append(paths, u)
				}
			}
			slices.Sort(paths)
			for _, want := range []string{"/sitemap.xml", "/feed.atom", "/reports/feed.atom", "/tags/a&b/feed.atom"} {
				if !slices.Contains(paths, want) {
					t.Fatalf("no XML response %s among %v", want, paths)
				}
			}
			for _, p := range paths {
				res := get(t, s, "GET", reqOrigin+p)
				b := body(t, res)
				if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "xml") {
					t.Errorf("GET %s: %d %s", p, res.StatusCode, res.Header.Get("Content-Type"))
					continue
				}
				urls, err := parseXML(b)
				if err != nil {
					t.Errorf("GET %s: not well-formed XML: %v\n%s", p, err, b)
					continue
				}
				if p == "/sitemap.xml" && !slices.Contains(urls, origin+"/reports/r&d/") {
					t.Errorf("GET %s: no <loc> %s/reports/r&d/ among %q", p, origin, urls)
				}
				if len(urls) == 0 {
					t.Errorf("GET %s: no URLs found", p)
				}
				for _, u := range urls {
					if !strings.HasPrefix(u, origin+"/") {
						t.Errorf("GET %s: URL %q is not absolute on %s", p, u, origin)
					}
				}
				if strings.Contains(b, site.OriginMarker) {
					t.Errorf("GET %s keeps the origin marker", p)
				}
			}
			robots := body(t, get(t, s, "GET", reqOrigin+"/robots.txt"))
			if want := "\nSitemap: " + origin + "/sitemap.xml\n"; !strings.Contains(robots, want) {
				t.Errorf("robots.txt lacks %q:\n%s", want, robots)
			}
		})
	}
}

// parseXML decodes doc to the end and returns the URLs it holds: the text of
// <loc> and <Image>, and the href and template attributes.
func parseXML(doc string) ([]string, error) {
	d := xml.NewDecoder(strings.NewReader(doc))
	var urls []string
	depth, roots := 0, 0
	first, inURL := true, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if pi, ok := tok.(xml.ProcInst); first && (!ok || pi.Target != "xml") {
			return nil, fmt.Errorf("does not begin with the XML declaration but %T", tok)
		}
		first = false
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
			inURL = tok.Name.Local == "loc" || tok.Name.Local == "Image"
			for _, a := range tok.Attr {
				if a.Name.Local == "href" || a.Name.Local == "template" {
					urls = append(urls, a.Value)
				}
			}
		case xml.EndElement:
			depth--
			inURL = false
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(tok)) > 0 {
				return nil, fmt.Errorf("text outside the root element: %q", tok)
			}
			if inURL {
				urls = append(urls, string(tok))
			}
		}
	}
	if roots != 1 {
		return nil, fmt.Errorf("%d root elements, want 1", roots)
	}
	return urls, nil
}
