package server

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"archive/internal/pipeline"
	"archive/internal/search"
)

// newTestServer is the real server, loaded, on cfg.Content (the shipped
// content when nil) and the shipped templates and static files; it logs
// nowhere unless cfg.Logger says where.
func newTestServer(t testing.TB, content fs.FS, cfg Config) *Server {
	t.Helper()
	if content == nil {
		content = os.DirFS("../../content")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := New(cfg)
	p := pipeline.New(pipeline.Config{
		Content:   content,
		Templates: os.DirFS("../../templates"),
		Static:    os.DirFS("../../static"),
		Logger:    cfg.Logger,
	})
	if _, err := p.Load(context.Background(), s.Publish); err != nil {
		t.Fatal(err)
	}
	return s
}

// request asks h for target; header lists names and values.
func request(h http.Handler, target string, header ...string) (*http.Response, string) {
	req := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result(), rec.Body.String()
}

// note is the highlight note of a page, "" when it has none.
func note(body string) string {
	start := strings.Index(body, `<div class="hl-banner"`)
	if start < 0 {
		return ""
	}
	end := strings.Index(body[start:], "</div>")
	return body[start : start+end]
}

// publication is a Markdown publication for a content folder in a test.
func publication(title, lang, body string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte("---\ntitle: " + title + "\ndate: 2022-01-13\nlang: " + lang + "\n---\n" + body + "\n"), ModTime: time.Unix(1e9, 0)}
}

// TestVariantsThroughRouter asks the real server, on the shipped content,
// for a highlighted page and for a feed completed with the request's host.
func TestVariantsThroughRouter(t *testing.T) {
	s := newTestServer(t, nil, Config{})
	plain, plainBody := request(s, "/letters/open-letter-to-interpol/")
	res, body := request(s, "/letters/open-letter-to-interpol/?hl=%22red+notice%22")
	if res.StatusCode != 200 || !strings.Contains(body, `<mark id="hl-1">Red Notices</mark>`) || note(body) == "" {
		t.Errorf("highlighted page: status %d, no mark or note", res.StatusCode)
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("ETag") != "" || plain.Header.Get("ETag") == "" {
		t.Errorf("highlighted page: Cache-Control %q, ETag %q (plain %q), want no-store and none", res.Header.Get("Cache-Control"), res.Header.Get("ETag"), plain.Header.Get("ETag"))
	}
	if strings.Contains(plainBody, "<mark") {
		t.Error("the plain page has marks")
	}
	res, zipped := request(s, "/letters/open-letter-to-interpol/?hl=%22red+notice%22", "Accept-Encoding", "gzip")
	if zr, err := gzip.NewReader(strings.NewReader(zipped)); res.Header.Get("Content-Encoding") != "gzip" || err != nil {
		t.Errorf("highlighted page for gzip: Content-Encoding %q, %v", res.Header.Get("Content-Encoding"), err)
	} else if b, _ := io.ReadAll(zr); string(b) != body {
		t.Error("the gzip body of the highlighted page is not the page")
	}
	// Marks go only into the text: the menu's "Archive" stays unmarked.
	if _, body := request(s, "/letters/open-letter-to-interpol/?hl=archive"); strings.Contains(body, "<mark") {
		t.Error("a word outside the publication's text was marked")
	}
	if _, body := request(s, "/letters/?hl=interpol"); strings.Contains(body, "<mark") {
		t.Error("a list page was highlighted")
	}
	res, body = request(s, "/feed.atom")
	if res.StatusCode != 200 || !strings.Contains(body, "<id>http://example.com/feed.atom</id>") || strings.Contains(body, ".invalid") {
		t.Errorf("feed: status %d, origin not filled in:\n%.400s", res.StatusCode, body)
	}
	req := httptest.NewRequest("GET", "/feed.json", nil)
	req.Host = `evil"><x`
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("a bad Host header: status %d, want 400", rec.Code)
	}
}

// TestHighlightNoWordMarksNothing: an hl that asks for no word (a lone
// combining accent once marked all 8,275 words of a page), and a word
// on every line, which marks no more than search.MaxMarks.
func TestHighlightNoWordMarksNothing(t *testing.T) {
	s := newTestServer(t, fstest.MapFS{
		"reports/long.md": publication("Long", "en", strings.Repeat("A notice and a notice.\n\n", 400)),
	}, Config{})
	_, plain := request(s, "/reports/long/")
	for _, hl := range []string{"%CC%81*", "%CC%81%CC%81%CC%81*", "%CC%81", "*", "%E2%80%94"} {
		res, body := request(s, "/reports/long/?hl="+hl)
		if n := strings.Count(body, "<mark"); res.StatusCode != 200 || n > 0 || len(body) > len(plain)+200 {
			t.Errorf("?hl=%s: status %d, %d marks, %d bytes (plain %d)", hl, res.StatusCode, n, len(body), len(plain))
		}
	}
	_, body := request(s, "/reports/long/?hl=notice")
	if n := strings.Count(body, "<mark"); n != search.MaxMarks {
		t.Errorf("800 matches: %d marks, want %d", n, search.MaxMarks)
	}
	if want := "The first 300 matches for “<bdi>notice</bdi>” are highlighted."; !strings.Contains(note(body), want) {
		t.Errorf("note %q, want %q", note(body), want)
	}
}

// TestHighlightNoteShowsPageWords: the note quotes the words marked, as
// the page writes them, never what the link said: a link cannot make the
// page say "NOTICE: this letter was withdrawn" above the letter.
func TestHighlightNoteShowsPageWords(t *testing.T) {
	s := newTestServer(t, fstest.MapFS{
		"letters/a.md": publication("A", "en", "The red \u202bnotice was served. "+strings.Repeat("word ", 30)+"\n\nشكرا لكم"),
	}, Config{})
	for _, tt := range []struct{ hl, want string }{
		// Typographic quotes close the note's own quotation mark.
		{"“red notice” ” NOTICE: this letter was withdrawn “", "1 match for “<bdi>red notice</bdi>” is highlighted."},
		// A query search would refuse marks nothing and says nothing.
		{"“red notice” ” NOTICE:", ""},
		{"notice \u202eNOTICE: this letter was withdrawn\u202c \u200f", "2 matches for “<bdi>notice</bdi>”, “<bdi>was</bdi>” are highlighted."},
		{"withdrawn", "No exact match for the words searched for in the text of this page."},
		{`"` + strings.Repeat("word ", 30) + `"`, "1 match for “<bdi>" + strings.TrimSpace(strings.Repeat("word ", 12)) + "…</bdi>”"},
		{"شكرا", "1 match for “<bdi>شكرا</bdi>” is highlighted."},
	} {
		_, body := request(s, "/letters/a/?hl="+url.QueryEscape(tt.hl))
		n := note(body)
		if !strings.Contains(n, tt.want) || (tt.want == "") != (n == "") {
			t.Errorf("?hl=%q: note %q, want %q", tt.hl, n, tt.want)
		}
		if strings.Contains(n, "withdrawn") || strings.ContainsAny(n, "\u202e\u202c\u200f") {
			t.Errorf("?hl=%q: the note repeats the link: %q", tt.hl, n)
		}
	}
}

// TestForwardedProtoOnlyFromProxies: a feed names https links when the
// connection was TLS or a trusted proxy says so, not when any client does.
func TestForwardedProtoOnlyFromProxies(t *testing.T) {
	direct := newTestServer(t, nil, Config{})
	proxied := newTestServer(t, nil, Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}) // httptest's peer
	const plain, tls = "http://example.com/", "https://example.com/"
	for _, tt := range []struct {
		name        string
		s           *Server
		header      []string
		want, wrong string
	}{
		{"a client's X-Forwarded-Proto", direct, []string{"X-Forwarded-Proto", "https"}, plain, tls},
		{"a trusted proxy's X-Forwarded-Proto", proxied, []string{"X-Forwarded-Proto", "https"}, tls, plain},
		{"a trusted proxy without it", proxied, nil, plain, tls},
	} {
		for _, path := range []string{"/feed.atom", "/opensearch.xml"} {
			_, body := request(tt.s, path, tt.header...)
			if !strings.Contains(body, tt.want) || strings.Contains(body, tt.wrong) {
				t.Errorf("%s, %s: want links to %s:\n%.300s", tt.name, path, tt.want, body)
			}
		}
	}
}

// discard is a ResponseWriter that keeps nothing, so that what a request
// allocates is the server's.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// TestOriginPageMadeOnce: a feed completed with the request's origin is
// made (filled in, compressed, hashed) once per origin, not per request.
func TestOriginPageMadeOnce(t *testing.T) {
	// A feed large enough that making it costs more than a request's
	// fixed allocations (which vary: under -race sync.Pool drops items).
	fsys := fstest.MapFS{}
	for i := range 20 {
		fsys[fmt.Sprintf("reports/r%d.md", i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf("---\ntitle: Report %d\ndate: 2022-01-%02d\nsummary: %q\n---\nText.\n", i, i+1, strings.Repeat("A long summary of the report. ", 50)))}
	}
	s := newTestServer(t, fsys, Config{})
	allocated := func(target string) uint64 {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		s.ServeHTTP(&discard{h: http.Header{}}, req) // the first may make it
		const n = 50
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range n {
			s.ServeHTTP(&discard{h: http.Header{}}, req)
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / n
	}
	// A page rendered at start costs a request some headers; a feed made
	// per request costs its body, its gzip body and more.
	_, body := request(s, "/feed.atom")
	page, feed := allocated("/reports/"), allocated("/feed.atom")
	t.Logf("bytes allocated per request: page %d, feed %d; the feed has %d", page, feed, len(body))
	if feed > page+uint64(len(body))/2 {
		t.Errorf("a feed request allocates %d bytes, a page request %d: the feed is made per request", feed, page)
	}
	for _, host := range []string{"a.example", "b.example:8080", "a.example"} {
		req := httptest.NewRequest("GET", "/feed.atom", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), "<id>http://"+host+"/feed.atom</id>") {
			t.Errorf("Host %s: feed names another origin:\n%.300s", host, rec.Body.String())
		}
	}
}

// TestHighlightOverBudget: a client past its budget of highlighted pages
// gets the plain page, never a refusal; other clients still get marks.
func TestHighlightOverBudget(t *testing.T) {
	s := newTestServer(t, nil, Config{SearchRate: 0.01, SearchBurst: 2})
	ask := func(remote string) (*http.Response, string) {
		req := httptest.NewRequest("GET", "/letters/open-letter-to-interpol/?hl=interpol", nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Result(), rec.Body.String()
	}
	for i := range 2 {
		if _, body := ask("198.51.100.7:1"); !strings.Contains(body, "<mark") {
			t.Fatalf("highlighted page %d within the budget has no marks", i+1)
		}
	}
	res, body := ask("198.51.100.7:1")
	if res.StatusCode != 200 || strings.Contains(body, "<mark") || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("over the budget: status %d, marks %v, Cache-Control %q; want the plain page, not stored", res.StatusCode, strings.Contains(body, "<mark"), res.Header.Get("Cache-Control"))
	}
	if _, body := ask("203.0.113.9:1"); !strings.Contains(body, "<mark") {
		t.Error("another client's highlighted page has no marks")
	}
	// Searching is a budget of its own.
	req := httptest.NewRequest("GET", "/search?q=interpol", nil)
	req.RemoteAddr = "198.51.100.7:1"
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("a search after the highlighted pages: status %d", rec.Code)
	}
}
