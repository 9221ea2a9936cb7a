package export_test

import (
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"archive/internal/content"
	"archive/internal/export"
	"archive/internal/site"
)

// siteWith is a site of the pages given and the redirects given, made by
// hand: the export must write safely whatever the loader lets through.
func siteWith(pages map[string]*site.Page, redirects map[string]string) *site.Site {
	return &site.Site{
		Content: &content.Site{FS: fstest.MapFS{}, Redirects: redirects},
		Assets:  &site.Assets{},
		Pages:   pages,
	}
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stubURLs finds where a redirect stub names its target: the meta refresh,
// the canonical link, the visible link and that link's text. A target that
// closed an attribute or opened an element would stop a match early.
var stubURLs = regexp.MustCompile(`content="0; url=([^"<>]*)"|<link rel="canonical" href="([^"<>]*)">|<a href="([^"<>]*)">([^<>]*)</a>`)

// TestRedirectStubs exports redirects to hostile and ordinary targets. A stub
// must send readers to the target and nowhere else: each URL attribute holds
// exactly the expected URL (so nothing closed the attribute early), the page
// holds no element but its own, and a path never becomes a scheme-relative
// "//host" or "/\host", which browsers read as another site.
func TestRedirectStubs(t *testing.T) {
	tests := []struct {
		name, from, to string
		want           string // "" when the export must refuse the target
	}{
		{"path", "/reports/old/", "/reports/new/", "/reports/new/"},
		{"quotes and angle brackets", "/reports/old/", `/reports/new/"><script>alert(1)</script>`, "/reports/new/%22%3E%3Cscript%3Ealert%281%29%3C/script%3E"},
		{"single quote", "/reports/old/", `/reports/new/'onload='x`, "/reports/new/%27onload=%27x"},
		{"query with quotes", "/reports/old/", `/reports/new/?a=1&b="><b>`, `/reports/new/?a=1&b="><b>`},
		{"fragment", "/reports/old/", "/reports/new/#p-2", "/reports/new/#p-2"},
		{"relative path", "/reports/old/", "../new/", "/reports/new/"},
		{"dot segments to a double slash", "/reports/old/", "/a/..//evil.example/x", "/evil.example/x"},
		{"backslash", "/reports/old/", `/\evil.example/x`, "/%5Cevil.example/x"},
		{"external", "/reports/old/", `https://example.org/a?b="c"&d=<e>`, `https://example.org/a?b="c"&d=<e>`},
		{"scheme-relative", "/reports/old/", "//evil.example/x", ""},
		{"javascript", "/reports/old/", "javascript:alert(1)", ""},
		{"javascript, mixed case", "/reports/old/", "JaVaScRiPt:alert(1)", ""},
		{"data", "/reports/old/", "data:text/html,<script>alert(1)</script>", ""},
		{"http without a host", "/reports/old/", "http:/reports/new/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := siteWith(nil, map[string]string{tt.from: tt.to})
			dir := t.TempDir()
			_, err := export.Write(s, dir, export.Options{})
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), tt.from) {
					t.Fatalf("target %q: error %v, want one naming %s", tt.to, err, tt.from)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			stub := readFile(t, dir, export.FileFor(tt.from))
			ms := stubURLs.FindAllStringSubmatch(stub, -1)
			var got []string
			for _, m := range ms {
				got = append(got, html.UnescapeString(m[1]+m[2]+m[3]))
				if m[4] != "" {
					got = append(got, html.UnescapeString(m[4]))
				}
			}
			if len(got) != 4 || strings.Count(stub, "<") != 16 {
				t.Fatalf("stub names its target %d times, want 4, and has %d tags, want 16:\n%s", len(got), strings.Count(stub, "<"), stub)
			}
			for _, g := range got {
				if g != tt.want {
					t.Errorf("stub sends readers to %q, want %q:\n%s", g, tt.want, stub)
				}
			}
		})
	}
}

// TestOriginMarkerReplaced exports pages that hold the origin marker, as
// the sitemap, robots.txt and feeds do without base_url: they get the
// -origin given, or paths without one, never the marker.
func TestOriginMarkerReplaced(t *testing.T) {
	page := func(body string) *site.Page {
		p := site.NewPage(200, "application/xml; charset=utf-8", []byte(body))
		p.Origin = true
		return p
	}
	s := siteWith(map[string]*site.Page{
		"/sitemap.xml": page("<loc>" + site.OriginMarker + "/reports/new/</loc>"),
		"/robots.txt":  page("Sitemap: " + site.OriginMarker + "/sitemap.xml\n"),
	}, nil)
	for _, origin := range []string{"https://mirror.example.org", ""} {
		dir := t.TempDir()
		if _, err := export.Write(s, dir, export.Options{Origin: origin}); err != nil {
			t.Fatal(err)
		}
		if got, want := readFile(t, dir, "sitemap.xml"), "<loc>"+origin+"/reports/new/</loc>"; got != want {
			t.Errorf("origin %q: sitemap.xml = %q, want %q", origin, got, want)
		}
		if got, want := readFile(t, dir, "robots.txt"), "Sitemap: "+origin+"/sitemap.xml\n"; got != want {
			t.Errorf("origin %q: robots.txt = %q, want %q", origin, got, want)
		}
	}
}
