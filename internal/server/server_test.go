package server_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"archive/internal/pipeline"
	"archive/internal/server"
)

var update = flag.Bool("update", false, "rewrite golden files")

var (
	shippedOnce sync.Once
	shipped     *server.Server
	shippedErr  error
)

// repo is the repository root, where content/, templates/ and static/ are.
func repo(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// loadShipped loads the real server on the real content, with the PDF's
// text extracted and the given search rate (0: the default limit).
func loadShipped(searchRate float64) (*server.Server, error) {
	return serveContent(shippedContent(), server.Config{Logger: quietLogger(), SearchRate: searchRate})
}

// shippedContent is the pipeline's configuration for the shipped content,
// with the PDF's text extracted.
func shippedContent() pipeline.Config {
	return pipeline.Config{
		Content:    os.DirFS(repo("content")),
		ContentDir: repo("content"),
		Templates:  os.DirFS(repo("templates")),
		Static:     os.DirFS(repo("static")),
		PDF:        testExtractor(),
		Logger:     quietLogger(),
	}
}

// layoutOnly is the pipeline's configuration for content with the shipped
// templates and static files, and no PDF text.
func layoutOnly(fsys fs.FS) pipeline.Config {
	return pipeline.Config{Content: fsys, Templates: os.DirFS(repo("templates")), Static: os.DirFS(repo("static")), Logger: quietLogger()}
}

// serveContent is a server serving the State the pipeline makes of pc, as
// archive serve wires them.
func serveContent(pc pipeline.Config, sc server.Config) (*server.Server, error) {
	if sc.Logger == nil {
		sc.Logger = pc.Logger
	}
	s := server.New(sc)
	_, err := pipeline.New(pc).Load(context.Background(), s.Publish)
	return s, err
}

// shippedServer is the real server on the real content, loaded once.
func shippedServer(t *testing.T) *server.Server {
	t.Helper()
	shippedOnce.Do(func() { shipped, shippedErr = loadShipped(0) })
	if shippedErr != nil {
		t.Fatal(shippedErr)
	}
	return shipped
}

func get(t *testing.T, h http.Handler, method, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRoutes(t *testing.T) {
	s := shippedServer(t)
	tests := []struct {
		method, path string
		status       int
		contains     []string
		header       map[string]string
	}{
		{"GET", "/", 200, []string{"Pursued For Life", "Open letter to INTERPOL", "Investigations", "2022"}, nil},
		{"GET", "/investigations/pursued-for-life/", 200, []string{
			"<h1>Pursued For Life", `id="p-1"`, "13 January 2022", "Safeguard Defenders",
			`href="/letters/open-letter-to-interpol/"`, "hong-kong",
		}, nil},
		{"GET", "/letters/open-letter-to-interpol/", 200, []string{
			"Open letter to INTERPOL", "open-letter-to-interpol.pdf", "KB", "2 pages", "Preventive Notice",
		}, nil},
		{"HEAD", "/letters/open-letter-to-interpol/", 200, nil, nil},
		{"GET", "/investigations/pursued-for-life", 301, nil, map[string]string{"Location": "/investigations/pursued-for-life/"}},
		{"GET", "/letters/", 200, []string{"Open letter to INTERPOL"}, nil},
		{"GET", "/tags/interpol/", 200, []string{"Pursued For Life", "Open letter"}, nil},
		{"GET", "/tags/", 200, []string{"/tags/interpol/"}, nil},
		{"GET", "/archive/", 200, []string{"/archive/2022/"}, nil},
		{"GET", "/archive/2022/", 200, []string{"Pursued For Life"}, nil},
		{"GET", "/sitemap.xml", 200, []string{"<loc>http://example.com/investigations/pursued-for-life/</loc>", "<loc>http://example.com/letters/open-letter-to-interpol/</loc>"}, nil},
		{"GET", "/robots.txt", 200, []string{"Sitemap:"}, nil},
		{"GET", "/healthz", 200, []string{"ok"}, nil},
		{"GET", "/no/such/page/", 404, []string{"Page not found", `href="/"`}, nil},
		{"GET", "/letters/open-letter-to-interpol/index.md", 404, nil, nil},
		{"GET", "/letters/open-letter-to-interpol/letter-print.html", 404, nil, nil},
		{"GET", "/site.toml", 404, nil, nil},
		{"GET", "/embed.go", 404, nil, nil},
		{"POST", "/", 405, nil, map[string]string{"Allow": "GET, HEAD"}},
		{"GET", "/letters/open-letter-to-interpol/open-letter-to-interpol.pdf", 200, []string{"%PDF-"}, map[string]string{"Content-Type": "application/pdf", "Accept-Ranges": "bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res := get(t, s, tt.method, tt.path)
			b := body(t, res)
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d\n%.500s", res.StatusCode, tt.status, b)
			}
			for _, want := range tt.contains {
				if !strings.Contains(b, want) {
					t.Errorf("body lacks %q", want)
				}
			}
			for k, v := range tt.header {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("CSP = %q", csp)
			}
		})
	}
}

func TestConditionalAndCompressed(t *testing.T) {
	s := shippedServer(t)
	res := get(t, s, "GET", "/letters/open-letter-to-interpol/")
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if res := get(t, s, "GET", "/letters/open-letter-to-interpol/", "If-None-Match", etag); res.StatusCode != 304 {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}
	res = get(t, s, "GET", "/letters/open-letter-to-interpol/", "Accept-Encoding", "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("no gzip for a client that takes it")
	}
	res = get(t, s, "GET", "/letters/open-letter-to-interpol/open-letter-to-interpol.pdf", "Range", "bytes=0-3")
	if b := body(t, res); res.StatusCode != 206 || b != "%PDF" {
		t.Errorf("range: status %d body %q", res.StatusCode, b)
	}
}

func TestStaticAssets(t *testing.T) {
	s := shippedServer(t)
	home := body(t, get(t, s, "GET", "/"))
	m := regexp.MustCompile(`href="(/static/[0-9a-f]+/style\.css)"`).FindStringSubmatch(home)
	if m == nil {
		t.Fatal("home page links no fingerprinted stylesheet")
	}
	res := get(t, s, "GET", m[1])
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("stylesheet: status %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if res := get(t, s, "GET", "/static/000000000000/style.css"); res.StatusCode != 404 {
		t.Errorf("stale hash: status %d, want 404", res.StatusCode)
	}
}

// TestPublicationGolden compares the rendered letter with a golden file, so
// that any change to what readers see is a reviewed change.
func TestPublicationGolden(t *testing.T) {
	s := shippedServer(t)
	got := body(t, get(t, s, "GET", "/letters/open-letter-to-interpol/"))
	got = regexp.MustCompile(`/static/[0-9a-f]+/`).ReplaceAllString(got, "/static/HASH/")
	golden := filepath.Join("testdata", "letter.html")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("letter page differs from %s (-want +got); run go test -update if intended:\n%s", golden, diff)
	}
}

// TestRefusesBrokenContent: the server must not come up on content with errors.
func TestRefusesBrokenContent(t *testing.T) {
	s, err := serveContent(layoutOnly(fstest.MapFS{"reports/a.md": {Data: []byte("---\ntitle: [x\n---\n")}}), server.Config{})
	if err == nil || !strings.Contains(err.Error(), "reports/a.md:2:") {
		t.Fatalf("Load error = %v, want one naming reports/a.md:2", err)
	}
	if res := get(t, s, "GET", "/healthz"); res.StatusCode != 503 {
		t.Errorf("healthz = %d, want 503", res.StatusCode)
	}
}

// TestHealthz: 503 until pages and index are served, then 200; the JSON
// says how the State was made and how long its steps took.
func TestHealthz(t *testing.T) {
	var h struct {
		Status  string
		Pages   bool
		Search  bool
		Timings *pipeline.Timings
	}
	read := func(s *server.Server) int {
		t.Helper()
		res := get(t, s, "GET", "/healthz")
		h.Timings = nil
		if err := json.Unmarshal([]byte(body(t, res)), &h); err != nil {
			t.Fatal(err)
		}
		return res.StatusCode
	}
	if code := read(server.New(server.Config{Logger: quietLogger()})); code != 503 || h.Status != "loading content" || h.Pages || h.Timings != nil {
		t.Errorf("before a State: %d %+v", code, h)
	}
	s := shippedServer(t)
	if code := read(s); code != 200 || h.Status != "ok" || !h.Pages || !h.Search || h.Timings == nil {
		t.Fatalf("loaded: %d %+v", code, h)
	}
	tm := h.Timings
	if tm.Source != "content" || tm.Content <= 0 || tm.Render <= 0 || tm.Index <= 0 || tm.Total < tm.Content+tm.Render+tm.Index {
		t.Errorf("timings %+v", *tm)
	}
}

// TestWordPressShortLinks: /?p=ID and /?page_id=ID, written as aliases by
// a WordPress import, redirect to the publication; other queries on the
// home page do not.
func TestWordPressShortLinks(t *testing.T) {
	s, err := serveContent(layoutOnly(fstest.MapFS{
		"posts/hello/index.md": {Data: []byte("---\ntitle: Hello\ndate: 2022-01-13\naliases: [\"/?p=42\", \"/2022/01/13/hello/\"]\n---\nHi.\n")},
		"about.md":             {Data: []byte("---\ntitle: About\naliases: [\"/?page_id=7\"]\n---\nUs.\n")},
	}), server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{
		"/?p=42":              "301 /posts/hello/",
		"/?page_id=7":         "301 /about/",
		"/2022/01/13/hello/":  "301 /posts/hello/",
		"/?p=43":              "200 ",
		"/?p=42&utm_source=x": "200 ",
		"/about/?p=42":        "200 ",
	} {
		res := get(t, s, "GET", target)
		if got := fmt.Sprintf("%d %s", res.StatusCode, res.Header.Get("Location")); got != want {
			t.Errorf("%s: %s, want %s", target, got, want)
		}
	}
}
