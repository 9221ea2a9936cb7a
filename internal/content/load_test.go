package content_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"archive/internal/content"
)

func file(s string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(s), ModTime: time.Unix(1e9, 0)}
}

const goodYAML = "---\ntitle: A report\ndate: 2022-01-13\n---\nBody text.\n"

// TestLoadProblems checks that each kind of mistake is reported with the
// file and line a staff member must open.
func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // problems, as printed
	}{
		{
			name:  "good bundle and single file",
			files: map[string]string{"reports/a/index.md": goodYAML, "letters/b.md": strings.Replace(goodYAML, "A report", "B", 1)},
		},
		{
			name:  "broken YAML names its line",
			files: map[string]string{"reports/a.md": "---\ntitle: A\ndate: 2022-01-13\ntags: [a, b\n---\nx\n"},
			want:  []string{"reports/a.md:4: YAML: did not find expected ',' or ']'"},
		},
		{
			name:  "broken TOML names its line",
			files: map[string]string{"reports/a.md": "+++\ntitle = \"A\"\ndate = 2022-01-13\nx = = 1\n+++\nbody\n"},
			want:  []string{"reports/a.md:4: TOML: expected value but found '=' instead"},
		},
		{
			name:  "missing title",
			files: map[string]string{"reports/a/index.md": "---\ndate: 2022-01-13\n---\nx\n"},
			want:  []string{"reports/a/index.md:1: title is missing: every publication needs a title"},
		},
		{
			name:  "missing date in a bundle",
			files: map[string]string{"reports/a/index.md": "---\ntitle: A\nsummary: s\n---\nx\n"},
			want:  []string{"reports/a/index.md:1: date is missing: write the publication date, such as date: 2022-01-13"},
		},
		{
			name:  "bad date",
			files: map[string]string{"reports/a.md": "---\ntitle: A\ndate: 13/01/2022\n---\nx\n"},
			want:  []string{`reports/a.md:3: date: date "13/01/2022" is not a date (write 2022-01-13 or 2022-01-13T10:00:00Z)`},
		},
		{
			name:  "unclosed front matter",
			files: map[string]string{"reports/a.md": "---\ntitle: A\n"},
			want:  []string{`reports/a.md:1: front matter opened with "---" is never closed`},
		},
		{
			name: "same URL twice",
			files: map[string]string{
				"reports/a.md":       goodYAML,
				"reports/a/index.md": goodYAML,
			},
			want: []string{"reports/a.md: reports/a.md has the same URL /reports/a/ as reports/a/index.md: rename one"},
		},
		{
			name: "alias collides with a publication",
			files: map[string]string{
				"reports/a.md": goodYAML,
				"reports/b.md": "---\ntitle: B\ndate: 2022-01-13\naliases: [/reports/a/]\n---\nx\n",
			},
			want: []string{"reports/b.md: alias /reports/a/ is the URL of a publication"},
		},
		{
			name:  "related that does not exist",
			files: map[string]string{"reports/a.md": "---\ntitle: A\ndate: 2022-01-13\nrelated: [letters/nope]\n---\nx\n"},
			want:  []string{"reports/a.md: related: letters/nope is not a publication of this site (write its path, such as letters/open-letter)"},
		},
		{
			name:  "attachment that does not exist",
			files: map[string]string{"reports/a/index.md": "---\ntitle: A\ndate: 2022-01-13\nattachments:\n  - file: gone.pdf\n---\nx\n"},
			want:  []string{"reports/a/index.md:4: attachments: gone.pdf does not exist in reports/a/"},
		},
		{
			name:  "unknown field and dead internal link are warnings",
			files: map[string]string{"reports/a.md": "---\ntitle: A\ndate: 2022-01-13\ncolour: red\n---\n\nSee [this](/reports/nope/).\n"},
			want: []string{
				`reports/a.md:4: warning: unknown field "colour" is kept but not used`,
				"reports/a.md:7: warning: link to /reports/nope/: no such page on this site",
			},
		},
		{
			name:  "not UTF-8",
			files: map[string]string{"reports/a.md": "---\ntitle: A\ndate: 2022-01-13\n---\nline\n\xff\xfe bad\n"},
			want:  []string{"reports/a.md:6: not UTF-8 text: save the file as UTF-8"},
		},
		{
			name:  "base_url that is no web address",
			files: map[string]string{"site.toml": "base_url = \"javascript:alert(1)//\"\n", "reports/a.md": goodYAML},
			want:  []string{`site.toml: base_url "javascript:alert(1)/" must be an http or https URL such as https://archive.example.org`},
		},
		{
			name:  "redirect to a script",
			files: map[string]string{"old/a.md": "---\nredirect: javascript:alert(1)\n---\n"},
			want:  []string{`old/a.md:2: redirect: "javascript:alert(1)" must be a path of this site (/letters/x/) or an http(s) URL`},
		},
		{
			name:  "redirect to another host written as a path",
			files: map[string]string{"old/a.md": "---\nredirect: //evil.example/x\n---\n", "old/b.md": "---\nredirect: /\\evil.example/x\n---\n"},
			want: []string{
				`old/a.md:2: redirect: "//evil.example/x" must be a path of this site (/letters/x/) or an http(s) URL`,
				`old/b.md:2: redirect: "/\\evil.example/x" has a control character or a backslash`,
			},
		},
		{
			name:  "redirect to another site is a warning",
			files: map[string]string{"old/a.md": "---\nredirect: https://evil.example/x\n---\n"},
			want:  []string{"old/a.md:2: warning: redirect: https://evil.example/x sends readers to another site"},
		},
		{
			name:  "reserved section name",
			files: map[string]string{"search/a.md": goodYAML},
			want:  []string{`search/a.md: the name "search" is used by the site itself; choose another`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tt.files {
				fsys[name] = file(data)
			}
			_, problems, err := content.Load(fsys, content.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestLoadFields(t *testing.T) {
	fsys := fstest.MapFS{
		"investigations/x/index.md": file(`---
title: "Pursued"
date: 2012-3-8
by: [Alice]
author: Bob
tags: [Hong Kong, interpol]
lang: zh
aliases: [/old/x.html]
related: [/letters/y/]
attachments:
  - file: report.pdf
    title: The report
---
Intro paragraph.

## Findings

- one
- two
`),
		"investigations/x/report.pdf": file("%PDF-1.4 fake"),
		"investigations/x/annex.pdf":  file("%PDF-1.4 fake annex"),
		"letters/y.md": file(`+++
title = "Letter"
date = 2022-01-13T10:00:00Z
draft = false
related = ["investigations/x"]
+++
Text.
`),
		"letters/z.md": file("---\ntitle: Draft\ndate: 2023-01-01\ndraft: true\n---\nx\n"),
	}
	site, problems, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 0 {
		t.Fatalf("unexpected problems: %v", problems)
	}
	if len(site.Publications) != 2 {
		t.Fatalf("got %d publications, want 2 (the draft excluded)", len(site.Publications))
	}
	x := site.ByURL["/investigations/x/"]
	if x == nil {
		t.Fatal("bundle not at /investigations/x/")
	}
	if got, want := x.Date, time.Date(2012, 3, 8, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("date = %v, want %v", got, want)
	}
	if !slices.Equal(x.Authors, []string{"Bob", "Alice"}) && !slices.Equal(x.Authors, []string{"Alice", "Bob"}) {
		t.Errorf("authors = %v", x.Authors)
	}
	if !slices.Equal(x.Tags, []string{"hong-kong", "interpol"}) {
		t.Errorf("tags = %v", x.Tags)
	}
	if x.Lang != "zh" {
		t.Errorf("lang = %q", x.Lang)
	}
	var names []string
	for _, a := range x.Attachments {
		names = append(names, a.Name+"="+a.Title+"@"+a.URL)
	}
	want := []string{"report.pdf=The report@/investigations/x/report.pdf", "annex.pdf=annex.pdf@/investigations/x/annex.pdf"}
	if !slices.Equal(names, want) {
		t.Errorf("attachments = %v, want %v", names, want)
	}
	if len(x.Related) != 1 || x.Related[0].URL != "/letters/y/" {
		t.Errorf("related = %v", x.Related)
	}
	if site.Redirects["/old/x.html"] != "/investigations/x/" {
		t.Errorf("alias not registered: %v", site.Redirects)
	}
	if site.Publications[0].URL != "/letters/y/" {
		t.Errorf("newest first: got %s first", site.Publications[0].URL)
	}
	var ids []string
	for _, b := range x.Doc.Blocks {
		ids = append(ids, b.ID)
	}
	if !slices.Equal(ids, []string{"p-1", "findings-p1", "findings-p2"}) {
		t.Errorf("block ids = %v", ids)
	}
}

// TestShippedContent is the deploy gate in test form: the archive's own
// content loads without errors or warnings.
func TestShippedContent(t *testing.T) {
	site, problems, err := content.Load(os.DirFS(filepath.Join("..", "..", "content")), content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s", p)
	}
	for _, url := range []string{"/investigations/pursued-for-life/", "/letters/open-letter-to-interpol/"} {
		p := site.ByURL[url]
		if p == nil {
			t.Fatalf("%s missing", url)
		}
		if p.Date.Format("2006-01-02") != "2022-01-13" {
			t.Errorf("%s dated %v", url, p.Date)
		}
		if len(p.Related) != 1 {
			t.Errorf("%s related = %d publications, want 1", url, len(p.Related))
		}
	}
	letter := site.ByURL["/letters/open-letter-to-interpol/"]
	if len(letter.Attachments) != 1 || !letter.Attachments[0].IsPDF() || letter.Attachments[0].SHA256 == "" {
		t.Errorf("letter attachments = %+v", letter.Attachments)
	}
}

// TestGoBlogCorpus loads real articles written for another site: quirks
// become warnings, never errors.
func TestGoBlogCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "markdown")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not found at %s: %v", dir, err)
	}
	site, problems, err := content.Load(os.DirFS(dir), content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems.Errors() {
		t.Errorf("%s", p)
	}
	if n := len(site.Publications); n < 270 {
		t.Errorf("loaded %d articles, want at least 270", n)
	}
}

// TestLoadReusesUnchangedMarkdown checks that a reload parses again only the
// files whose bytes changed.
func TestLoadReusesUnchangedMarkdown(t *testing.T) {
	fsys := fstest.MapFS{
		"reports/a.md": file(goodYAML),
		"reports/b.md": file(strings.Replace(goodYAML, "A report", "B", 1)),
	}
	first, _, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fsys["reports/b.md"] = file(strings.Replace(goodYAML, "Body text.", "New text.", 1))
	second, _, err := content.Load(fsys, content.Options{Previous: first})
	if err != nil {
		t.Fatal(err)
	}
	a1, a2 := first.ByURL["/reports/a/"], second.ByURL["/reports/a/"]
	if a1 == a2 || a1.Doc != a2.Doc {
		t.Errorf("unchanged file: Doc %p then %p, want the same parsed Markdown in a new publication", a1.Doc, a2.Doc)
	}
	if b := second.ByURL["/reports/b/"]; b.Doc == first.ByURL["/reports/b/"].Doc || !strings.Contains(b.Doc.HTML, "New text.") {
		t.Errorf("changed file not parsed again: %q", b.Doc.HTML)
	}
	// A site setting that changes how Markdown renders parses everything again.
	fsys["site.toml"] = file("allow_html = true\n")
	third, _, err := content.Load(fsys, content.Options{Previous: second})
	if err != nil {
		t.Fatal(err)
	}
	if third.ByURL["/reports/a/"].Doc == a2.Doc {
		t.Error("allow_html changed but the Markdown was not parsed again")
	}
}

// TestLoadReusesUnchangedFileSums checks that a reload reads again only the
// attachments whose size or modification time changed.
func TestLoadReusesUnchangedFileSums(t *testing.T) {
	fsys := fstest.MapFS{
		"reports/a/index.md": file(goodYAML),
		"reports/a/r.pdf":    file("%PDF-1.4 first"),
	}
	first, _, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum := first.ByURL["/reports/a/"].Attachments[0].SHA256
	// Same size and time: taken as unchanged, as rsync and make take it.
	fsys["reports/a/r.pdf"] = file("%PDF-1.4 other")
	second, _, err := content.Load(fsys, content.Options{Previous: first})
	if err != nil {
		t.Fatal(err)
	}
	if got := second.ByURL["/reports/a/"].Attachments[0].SHA256; got != sum {
		t.Errorf("unchanged size and time: SHA-256 %s, want the previous %s", got, sum)
	}
	fsys["reports/a/r.pdf"] = &fstest.MapFile{Data: []byte("%PDF-1.4 other"), ModTime: time.Unix(2e9, 0)}
	third, _, err := content.Load(fsys, content.Options{Previous: second})
	if err != nil {
		t.Fatal(err)
	}
	if got := third.ByURL["/reports/a/"].Attachments[0].SHA256; got == sum {
		t.Error("a file with a new modification time was not read again")
	}
	if third.Hash == first.Hash {
		t.Error("the site hash did not change with the file")
	}
}
