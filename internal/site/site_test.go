package site_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/mmcdole/gofeed"

	"archive/internal/content"
	"archive/internal/site"
)

// testContent is a small archive: a report in English and its Chinese and
// Arabic translations, revised and corrected, and a letter whose bundle
// holds a file named like a citation download.
func testContent(baseURL string) fstest.MapFS {
	return fstest.MapFS{
		"site.toml": {Data: []byte(fmt.Sprintf("title = \"Test Archive\"\norganisation = \"Safeguard Defenders\"\nbase_url = %q\n", baseURL))},
		"reports/detained/index.md": {Data: []byte(`---
title: "Detained abroad"
date: 2023-05-04
summary: "Forty cases."
authors: [Research team]
tags: [extradition]
translationKey: detained
updated: [2023-05-20]
corrections:
  - date: 2023-06-01
    text: "Spain had 4 cases, not 5."
attachments:
  - file: report.pdf
    title: Full report
---
First paragraph.

Second paragraph.
`)},
		"reports/detained/report.pdf":    {Data: []byte("%PDF-1.4 not really")},
		"reports/detained-zh/index.md":   {Data: []byte("---\ntitle: \"境外拘留\"\ndate: 2023-05-05\nlang: zh\ntranslationKey: detained\n---\n第一段。\n")},
		"reports/detained-ar/index.md":   {Data: []byte("---\ntitle: \"محتجزون في الخارج\"\ndate: 2023-05-06\nlang: ar\ntranslationKey: detained\n---\nفقرة.\n")},
		"letters/to-interpol/index.md":   {Data: []byte("---\ntitle: \"Open letter\"\ndate: 2022-01-13\ntags: [interpol]\nattachments: [figure.png]\n---\nDear INTERPOL.\n")},
		"letters/to-interpol/cite.bib":   {Data: []byte("@misc{staff-own-file}")},
		"letters/to-interpol/figure.png": {Data: []byte("\x89PNG not really")},
	}
}

func build(t *testing.T, fsys fstest.MapFS, change ...func(*content.Site)) *site.Site {
	t.Helper()
	cs := loadContent(t, fsys)
	for _, c := range change {
		c(cs)
	}
	tmpl, err := site.ParseTemplates(os.DirFS("../../templates"))
	if err != nil {
		t.Fatal(err)
	}
	assets, err := site.LoadAssets(os.DirFS("../../static"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := site.Build(cs, tmpl, assets, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func page(t *testing.T, s *site.Site, url string) string {
	t.Helper()
	p, ok := s.Pages[url]
	if !ok {
		t.Fatalf("no page %s", url)
	}
	return string(p.Body)
}

func TestPublicationPage(t *testing.T) {
	s := build(t, testContent(""))
	tests := []struct {
		url  string
		want []string
	}{
		{"/reports/detained/", []string{
			`<html lang="en">`,
			// Translations: hreflang links and a switch, each name in its language.
			`<link rel="alternate" hreflang="zh" href="/reports/detained-zh/">`,
			`<link rel="alternate" hreflang="ar" href="/reports/detained-ar/">`,
			`<link rel="alternate" hreflang="en" href="/reports/detained/">`,
			`<a href="/reports/detained-zh/" hreflang="zh" lang="zh">中文</a>`,
			`<a href="/reports/detained-ar/" hreflang="ar" lang="ar">العربية</a>`,
			// What changed.
			`updated</span> <time datetime="2023-05-20">20 May 2023</time>`,
			`<time datetime="2023-06-01">1 June 2023</time>: Spain had 4 cases, not 5.`,
			`<meta property="article:modified_time" content="2023-06-01">`,
			// Provenance.
			`<code>` + sha("%PDF-1.4 not really") + `</code>`,
			`href="/checksums.txt"`,
			// Citing.
			`<p class="citation">Research team. “Detained abroad.” Safeguard Defenders, 4 May 2023, updated 20 May 2023. /reports/detained/. Retrieved [date].</p>`,
			`<a href="/reports/detained/cite.bib" type="application/x-bibtex" download>BibTeX</a>`,
			`href="/reports/detained/cite.ris"`, `href="/reports/detained/cite.json"`,
			`<p id="p-2">Second paragraph.` + "\u00a0" + `<a class="anchor" href="#p-2" aria-label="Link to this paragraph">¶</a></p>`,
			// Discovery.
			`<link rel="alternate" type="application/atom&#43;xml" href="/reports/feed.atom"`,
			`<link rel="alternate" type="application/feed&#43;json" href="/feed.json"`,
			`<meta property="og:type" content="article">`,
			`<meta name="twitter:card" content="summary">`,
			`<link rel="canonical" href="/reports/detained/">`,
		}},
		{"/reports/detained-zh/", []string{`<html lang="zh">`, `<header class="site-header" lang="en" dir="ltr">`,
			`<span lang="en">Published</span>`, `<a href="/reports/detained/" hreflang="en" lang="en">English</a>`}},
		{"/reports/detained-ar/", []string{`<html lang="ar" dir="rtl">`, `<footer class="site-footer" lang="en" dir="ltr">`}},
		{"/", []string{`"@type":"WebSite"`, `<li lang="ar" dir="rtl">`, `<li lang="zh">`, `<link rel="alternate" type="application/atom&#43;xml" href="/feed.atom"`}},
		{"/tags/interpol/", []string{`href="/tags/interpol/feed.atom"`}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			body := page(t, s, tt.url)
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %s", w)
				}
			}
			if strings.Contains(body, site.OriginMarker) || strings.Contains(body, "og:url") {
				t.Error("an HTML page guesses an origin without base_url")
			}
		})
	}
	if body := page(t, s, "/letters/to-interpol/"); strings.Contains(body, "hreflang=") || strings.Contains(body, "Corrections") {
		t.Error("a publication without translations or corrections shows them")
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestJSONLD parses each publication's schema.org data as JSON.
func TestJSONLD(t *testing.T) {
	s := build(t, testContent("https://archive.example.org"))
	re := regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`)
	for url, want := range map[string]string{"/reports/detained/": "Report", "/letters/to-interpol/": "Article", "/": "WebSite"} {
		m := re.FindStringSubmatch(page(t, s, url))
		if m == nil {
			t.Fatalf("%s: no JSON-LD", url)
		}
		var ld struct {
			Context       string `json:"@context"`
			Type          string `json:"@type"`
			URL           string `json:"url"`
			DatePublished string `json:"datePublished"`
			Author        []struct {
				Type string `json:"@type"`
				Name string `json:"name"`
			} `json:"author"`
			Media []struct {
				SHA256 string `json:"sha256"`
			} `json:"associatedMedia"`
		}
		if err := json.Unmarshal([]byte(m[1]), &ld); err != nil {
			t.Fatalf("%s: JSON-LD does not parse: %v\n%s", url, err, m[1])
		}
		if ld.Context != "https://schema.org" || ld.Type != want || !strings.HasPrefix(ld.URL, "https://archive.example.org/") {
			t.Errorf("%s: @context %q @type %q url %q", url, ld.Context, ld.Type, ld.URL)
		}
		if want != "WebSite" && (ld.DatePublished == "" || len(ld.Author) == 0 || ld.Author[0].Name == "") {
			t.Errorf("%s: no date or author: %+v", url, ld)
		}
		if url == "/letters/to-interpol/" && ld.Author[0].Type != "Organization" {
			t.Errorf("a publication without authors is not by the organisation: %+v", ld.Author)
		}
		if url == "/reports/detained/" && (len(ld.Media) != 1 || ld.Media[0].SHA256 != sha("%PDF-1.4 not really")) {
			t.Errorf("attachment media = %+v", ld.Media)
		}
	}
}

// TestCitationFiles: every publication gets the three files, with the
// content types citation managers expect; a file of the bundle keeps its name.
func TestCitationFiles(t *testing.T) {
	// .bib files are not served today; were they, the letter's own cite.bib
	// would be reachable at its URL and the citation would move aside.
	s := build(t, testContent("https://archive.example.org"), func(cs *content.Site) {
		cs.Files["letters/to-interpol/cite.bib"] = 22
	})
	tests := []struct{ url, ctype, contains string }{
		{"/reports/detained/cite.bib", "application/x-bibtex; charset=utf-8", "@techreport{detained-2023,"},
		{"/reports/detained/cite.ris", "application/x-research-info-systems; charset=utf-8", "UR  - https://archive.example.org/reports/detained/\r\n"},
		{"/reports/detained/cite.json", "application/vnd.citationstyles.csl+json; charset=utf-8", `"URL": "https://archive.example.org/reports/detained/"`},
		{"/letters/to-interpol/cite-2.bib", "application/x-bibtex; charset=utf-8", "@misc{to-interpol-2022,"},
		{"/letters/to-interpol/cite.ris", "application/x-research-info-systems; charset=utf-8", "TY  - ELEC"},
	}
	for _, tt := range tests {
		p, ok := s.Pages[tt.url]
		if !ok {
			t.Errorf("no %s", tt.url)
			continue
		}
		if p.ContentType != tt.ctype || !strings.Contains(string(p.Body), tt.contains) || p.Origin {
			t.Errorf("%s: type %q, origin %v, body:\n%s", tt.url, p.ContentType, p.Origin, p.Body)
		}
	}
	if _, ok := s.Pages["/letters/to-interpol/cite.bib"]; ok {
		t.Error("a citation page hides the bundle's own cite.bib")
	}
	if body := page(t, s, "/letters/to-interpol/"); !strings.Contains(body, `href="/letters/to-interpol/cite-2.bib"`) {
		t.Error("the page does not link the renamed citation file")
	}
	if body := page(t, s, "/reports/detained/"); !strings.Contains(body, "<p class=\"citation\">Research team. “Detained abroad.” Safeguard Defenders, 4 May 2023, updated 20 May 2023. https://archive.example.org/reports/detained/. Retrieved [date].</p>") {
		t.Error("the citation on the page has no absolute URL although base_url is set")
	}
}

// TestChecksums: one "<sha256>  <path>" line for every served file, in the
// format sha256sum -c reads.
func TestChecksums(t *testing.T) {
	fsys := testContent("")
	s := build(t, fsys)
	p := s.Pages["/checksums.txt"]
	if p == nil || p.ContentType != "text/plain; charset=utf-8" {
		t.Fatalf("checksums.txt = %+v", p)
	}
	var want []string
	for _, name := range []string{"letters/to-interpol/figure.png", "reports/detained/report.pdf"} {
		want = append(want, sha(string(fsys[name].Data))+"  "+name)
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(string(p.Body), "\n"), "\n")); diff != "" {
		t.Errorf("checksums.txt (-want +got):\n%s", diff)
	}
}

// TestFeeds parses every feed with a real feed parser.
func TestFeeds(t *testing.T) {
	for _, base := range []string{"", "https://archive.example.org"} {
		s := build(t, testContent(base))
		for _, url := range []string{"/feed.atom", "/feed.json", "/reports/feed.atom", "/reports/feed.json", "/tags/interpol/feed.atom", "/tags/extradition/feed.json"} {
			p := s.Pages[url]
			if p == nil {
				t.Fatalf("no %s", url)
			}
			if p.Origin != (base == "") {
				t.Errorf("%s with base %q: Origin = %v", url, base, p.Origin)
			}
			origin := base
			if p.Origin {
				origin = "http://127.0.0.1:8080"
				p = p.WithOrigin(origin)
			}
			f, err := gofeed.NewParser().Parse(bytes.NewReader(p.Body))
			if err != nil {
				t.Fatalf("%s does not parse: %v", url, err)
			}
			if len(f.Items) == 0 || !strings.HasPrefix(f.Items[0].Link, origin+"/") || f.Language != "en" {
				t.Errorf("%s: %d items, first link %q, language %q", url, len(f.Items), f.Items[0].Link, f.Language)
			}
			if strings.Contains(string(p.Body), site.OriginMarker) {
				t.Errorf("%s keeps the origin marker", url)
			}
		}
		f, _ := gofeed.NewParser().Parse(bytes.NewReader(s.Pages["/reports/feed.atom"].WithOrigin("http://h").Body))
		var detained *gofeed.Item
		for _, it := range f.Items {
			if it.Title == "Detained abroad" {
				detained = it
			}
		}
		if detained == nil || !strings.Contains(detained.Content, "Spain had 4 cases") || len(detained.Enclosures) != 1 {
			t.Errorf("the report's entry lacks its correction or its enclosure: %+v", detained)
		}
	}
}

// TestOtherAnchorsUnchanged renders a publication, edits one paragraph and
// adds another, and checks every other paragraph link still points where it
// did: the promise journalists rely on when they cite a paragraph.
func TestOtherAnchorsUnchanged(t *testing.T) {
	links := func(body string) map[string]string {
		m := map[string]string{}
		re := regexp.MustCompile(`<p id="([^"]+)">([^<]*?)` + "\u00a0" + `<a class="anchor" href="#([^"]+)"`)
		for _, sub := range re.FindAllStringSubmatch(body, -1) {
			if sub[1] != sub[3] {
				t.Errorf("paragraph %s links to #%s", sub[1], sub[3])
			}
			m[sub[2]] = sub[1]
		}
		return m
	}
	src := "---\ntitle: T\ndate: 2024-01-01\n---\nIntro.\n\n## Findings\n\nOne.\n\nTwo.\n\n## Method\n\nThree.\n"
	before := testContent("")
	before["reports/r/index.md"] = &fstest.MapFile{Data: []byte(src)}
	after := testContent("")
	edited := strings.Replace(strings.Replace(src, "One.", "One, corrected.", 1), "Three.\n", "Three.\n\nFour, added.\n", 1)
	after["reports/r/index.md"] = &fstest.MapFile{Data: []byte(edited)}
	a, b := links(page(t, build(t, before), "/reports/r/")), links(page(t, build(t, after), "/reports/r/"))
	if len(a) != 4 {
		t.Fatalf("found %d paragraph links, want 4: %v", len(a), a)
	}
	for text, id := range a {
		if text == "One." {
			text = "One, corrected."
		}
		if b[text] != id {
			t.Errorf("%q moved from #%s to #%s", text, id, b[text])
		}
	}
}

// TestImageField: a publication's picture is in its link preview, by
// absolute URL, and beside it in lists.
func TestImageField(t *testing.T) {
	fsys := testContent("https://archive.example.org")
	fsys["letters/to-interpol/index.md"] = &fstest.MapFile{Data: []byte("---\ntitle: \"Open letter\"\ndate: 2022-01-13\nimage: figure.png\n---\nDear INTERPOL.\n")}
	s := build(t, fsys)
	if body := page(t, s, "/letters/to-interpol/"); !strings.Contains(body, `<meta property="og:image" content="https://archive.example.org/letters/to-interpol/figure.png">`) {
		t.Error("the page has no og:image")
	}
	if body := page(t, s, "/letters/"); !strings.Contains(body, `<img class="thumb" src="/letters/to-interpol/figure.png" alt=""`) {
		t.Error("the list does not show the picture")
	}
	if body := page(t, s, "/reports/detained/"); strings.Contains(body, "og:image") {
		t.Error("a publication without a picture claims one")
	}
}
