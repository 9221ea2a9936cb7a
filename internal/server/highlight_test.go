package server

import (
	"archive/internal/pipeline"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"archive/internal/site"
)

func TestHighlight(t *testing.T) {
	tests := []struct {
		name, src, hl, lang string
		want                string
		matches             int
	}{
		{"word, any case", `<p>A Red Notice, a red notice.</p>`, "notice", "en",
			`<p>A Red <mark id="hl-1">Notice</mark>, a red <mark>notice</mark>.</p>`, 2},
		{"whole words only", `<p>noticeable notice</p>`, "notice", "fr",
			`<p>noticeable <mark id="hl-1">notice</mark></p>`, 1},
		{"English stems", `<p>Notices were noticed.</p>`, "notice", "en",
			`<p><mark id="hl-1">Notices</mark> were <mark>noticed</mark>.</p>`, 2},
		{"other languages exactly", `<p>Notices notice</p>`, "notice", "fr",
			`<p>Notices <mark id="hl-1">notice</mark></p>`, 1},
		{"accents folded", `<p>Secretary-General Jürgen Stock</p>`, "JURGEN", "en",
			`<p>Secretary-General <mark id="hl-1">Jürgen</mark> Stock</p>`, 1},
		{"prefix", `<p>INTERPOL’s and Interpol</p>`, "interp*", "en",
			`<p><mark id="hl-1">INTERPOL</mark>’s and <mark>Interpol</mark></p>`, 2},
		{"phrase", `<p>red notice, notice red, red  notice</p>`, `"red notice"`, "en",
			`<p><mark id="hl-1">red notice</mark>, notice red, <mark>red  notice</mark></p>`, 2},
		{"phrase across tags", `<p>a red <em>notice</em></p>`, `"red notice"`, "en",
			`<p>a <mark id="hl-1">red</mark> <em><mark>notice</mark></em></p>`, 1},
		{"never in tags or attributes", `<p><a href="/notice" title="notice &gt; x">link</a> notice</p>`, "notice", "en",
			`<p><a href="/notice" title="notice &gt; x">link</a> <mark id="hl-1">notice</mark></p>`, 1},
		{"quoted > inside a tag", `<p><a title="a>notice">x</a></p>`, "notice", "en",
			`<p><a title="a>notice">x</a></p>`, 0},
		{"entities", `<p>Tom &amp; Jerry &lt;notice&gt;</p>`, `"tom jerry" notice`, "en",
			`<p><mark id="hl-1">Tom &amp; Jerry</mark> &lt;<mark>notice</mark>&gt;</p>`, 2},
		{"entity inside a word", `<p>J&uuml;rgen</p>`, "jurgen", "en",
			`<p><mark id="hl-1">J&uuml;rgen</mark></p>`, 1},
		{"comments and scripts skipped", `<!-- notice --><script>notice</script><p>notice</p>`, "notice", "en",
			`<!-- notice --><script>notice</script><p><mark id="hl-1">notice</mark></p>`, 1},
		{"CJK without spaces", `<p>国家安全法的通缉</p>`, "国家安全", "zh",
			`<p><mark id="hl-1">国家安全</mark>法的通缉</p>`, 1},
		{"exclusions and OR are not words", `<p>china or hong kong</p>`, "-china hong OR kong", "en",
			`<p>china or <mark id="hl-1">hong</mark> <mark>kong</mark></p>`, 2},
		{"overlapping terms share one mark", `<p>red notice</p>`, `"red notice" notice`, "en",
			`<p><mark id="hl-1">red notice</mark></p>`, 1},
		{"the paragraph link is no word", `<p>notice <a class="anchor" href="#p-1" aria-label="Link to this paragraph">¶</a></p>`, "notice ¶", "en",
			`<p><mark id="hl-1">notice</mark> <a class="anchor" href="#p-1" aria-label="Link to this paragraph">¶</a></p>`, 1},
		{"nothing to mark", `<p>text</p>`, "   ", "en", `<p>text</p>`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, _ := highlight(tt.src, tt.hl, tt.lang)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("highlight(%q) (-want +got):\n%s", tt.hl, diff)
			}
			if n != tt.matches {
				t.Errorf("%d matches, want %d", n, tt.matches)
			}
		})
	}
}

func TestParseHighlightLimits(t *testing.T) {
	_, shown := parseHighlight(strings.Repeat("word", 0) + "a b c d e f g h i j k l")
	if len(shown) != maxHighlightTerms {
		t.Errorf("%d terms kept, want %d", len(shown), maxHighlightTerms)
	}
	_, shown = parseHighlight(strings.Repeat("é", 150)) // 300 bytes
	if len(shown) != 1 || len(shown[0]) > maxHighlightBytes || !strings.HasSuffix(shown[0], "é") {
		t.Errorf("long term not cut to %d bytes on a character boundary: %d bytes", maxHighlightBytes, len(shown[0]))
	}
	_, shown = parseHighlight(`"unclosed phrase`)
	if diff := cmp.Diff([]string{"unclosed phrase"}, shown); diff != "" {
		t.Errorf("unclosed quote (-want +got):\n%s", diff)
	}
}

func TestHighlightPage(t *testing.T) {
	page := "<html><title>notice</title><nav>notice</nav>" + site.TextStart + "<p>notice</p>" + site.TextEnd + "<footer>notice</footer>"
	got, ok := highlightPage([]byte(page), `notice "<script>"`, "en", "/letters/x/")
	if !ok {
		t.Fatal("page with markers not highlighted")
	}
	s := string(got)
	if strings.Count(s, "<mark") != 1 || !strings.Contains(s, "<p><mark id=\"hl-1\">notice</mark></p>") {
		t.Errorf("marks outside the text, or none in it:\n%s", s)
	}
	if strings.Contains(s, "<script>") || !strings.Contains(s, "&lt;script&gt;") {
		t.Errorf("search words not escaped in the note:\n%s", s)
	}
	if !strings.Contains(s, `href="/letters/x/">Show the page without highlighting`) {
		t.Errorf("no link to the plain page:\n%s", s)
	}
	if _, ok := highlightPage([]byte("<p>notice</p>"), "notice", "en", "/"); ok {
		t.Error("a page without markers was highlighted")
	}
}

// TestVariantsThroughRouter asks the real server, on the shipped content,
// for a highlighted page and for a feed completed with the request's host.
func TestVariantsThroughRouter(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.DiscardHandler)})
	p := pipeline.New(pipeline.Config{
		Content:   os.DirFS("../../content"),
		Templates: os.DirFS("../../templates"),
		Static:    os.DirFS("../../static"),
		Logger:    slog.New(slog.DiscardHandler),
	})
	if _, err := p.Load(context.Background(), s.Publish); err != nil {
		t.Fatal(err)
	}
	do := func(target string, header ...string) (*http.Response, string) {
		req := httptest.NewRequest("GET", target, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Result(), rec.Body.String()
	}
	plain, plainBody := do("/letters/open-letter-to-interpol/")
	res, body := do("/letters/open-letter-to-interpol/?hl=%22red+notice%22")
	if res.StatusCode != 200 || !strings.Contains(body, `<mark id="hl-1">Red Notices</mark>`) || !strings.Contains(body, `class="hl-banner"`) {
		t.Errorf("highlighted page: status %d, no mark or note", res.StatusCode)
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("ETag") == plain.Header.Get("ETag") {
		t.Errorf("highlighted page: Cache-Control %q, ETag %q (plain %q)", res.Header.Get("Cache-Control"), res.Header.Get("ETag"), plain.Header.Get("ETag"))
	}
	if strings.Contains(plainBody, "<mark") {
		t.Error("the plain page has marks")
	}
	// Marks go only into the text: the menu's "Archive" stays unmarked.
	if _, body := do("/letters/open-letter-to-interpol/?hl=archive"); strings.Contains(body, "<mark") {
		t.Error("a word outside the publication's text was marked")
	}
	if _, body := do("/letters/?hl=interpol"); strings.Contains(body, "<mark") {
		t.Error("a list page was highlighted")
	}

	res, body = do("/feed.atom", "X-Forwarded-Proto", "https")
	if res.StatusCode != 200 || !strings.Contains(body, "<id>https://example.com/feed.atom</id>") || strings.Contains(body, ".invalid") {
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
