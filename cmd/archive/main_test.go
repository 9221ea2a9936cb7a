package main_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"archive/internal/archivetest"
)

// archive builds the command once for the test run.
func archive(t *testing.T) string {
	t.Helper()
	bin, err := archivetest.Binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	archivetest.RemoveBinary()
	os.Exit(code)
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(archive(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// copyDir copies the shipped content so a test can break it.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestCheckShippedContent(t *testing.T) {
	out, errOut, code := run(t, "check", "-content", "../../content")
	if code != 0 {
		t.Fatalf("check exit %d\n%s%s", code, out, errOut)
	}
	if strings.TrimSpace(out) != "" {
		t.Errorf("check printed problems for the shipped content:\n%s", out)
	}
}

func TestCheckBrokenFile(t *testing.T) {
	dir := copyDir(t, "../../content")
	bad := filepath.Join(dir, "letters", "open-letter-to-interpol", "index.md")
	b, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	// Break the date on line 3.
	b = regexp.MustCompile(`(?m)^date: .*$`).ReplaceAll(b, []byte("date: 13 January 2022"))
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := run(t, "check", "-content", dir)
	if code != 1 {
		t.Fatalf("check exit %d, want 1\n%s", code, out)
	}
	want := "letters/open-letter-to-interpol/index.md:3: date:"
	if !strings.Contains(out, want) {
		t.Errorf("check output lacks %q:\n%s", want, out)
	}
	// serve refuses the same content, with the same message.
	_, errOut, code := run(t, "serve", "-content", dir, "-addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("serve exit %d, want 1 with %q:\n%s", code, want, errOut)
	}
}

func TestCheckGoBlogCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "markdown")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not found: %v", err)
	}
	out, errOut, code := run(t, "check", "-content", dir)
	if code != 0 {
		t.Fatalf("check exit %d on the Go blog corpus\n%s", code, errOut)
	}
	if strings.Contains(out, ": warning:") == false && out != "" {
		t.Errorf("non-warning output: %s", out)
	}
}

// startServe starts archive serve with args and returns its base URL once
// /healthz says 200.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	s, _, err := archivetest.Serve(context.Background(), archivetest.Config{Bin: archive(t), Args: args, Log: filepath.Join(t.TempDir(), "serve.log")}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s.URL
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestBuildServedByReplicas builds once, serves the build from two processes
// at the same time, and checks that they answer as a server that loaded the
// content itself does, byte for byte.
func TestBuildServedByReplicas(t *testing.T) {
	out := filepath.Join(t.TempDir(), "build")
	if _, errOut, code := run(t, "build", "-content", "../../content", "-o", out); code != 0 {
		t.Fatalf("build exit %d\n%s", code, errOut)
	}
	for _, f := range []string{"manifest.json", "state/content.gob", "content/letters/open-letter-to-interpol/open-letter-to-interpol.pdf"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("build lacks %s", f)
		}
	}
	if _, _, code := run(t, "build", "-content", "../../content", "-o", out); code != 1 {
		t.Errorf("a second build into the same folder: exit %d, want 1", code)
	}
	direct := startServe(t, "-content", "../../content")
	a := startServe(t, "-from", out)
	b := startServe(t, "-from", out)
	paths := []string{
		"/", "/letters/", "/letters/open-letter-to-interpol/", "/investigations/pursued-for-life/",
		"/letters/open-letter-to-interpol/?hl=preventive+notice", "/tags/", "/archive/", "/feed.atom", "/feed.json",
		"/letters/open-letter-to-interpol/cite.bib", "/checksums.txt", "/sitemap.xml", "/no/such/page/",
		"/letters/open-letter-to-interpol/open-letter-to-interpol.pdf",
		"/search?q=%22Preventive+Notice%22", "/api/search?q=interpol+red+notice&source=pdf",
	}
	took := regexp.MustCompile(`"took_ms":[0-9.e-]+`)
	for _, p := range paths {
		wantCode, want := fetch(t, direct+p)
		want = took.ReplaceAllString(want, "")
		for _, base := range []string{a, b} {
			code, got := fetch(t, base+p)
			got = took.ReplaceAllString(strings.ReplaceAll(got, base, direct), "")
			if code != wantCode || got != want {
				t.Errorf("%s%s: status %d, %d bytes; the server of the content says %d, %d bytes", base, p, code, len(got), wantCode, len(want))
			}
		}
	}
	if code, body := fetch(t, a+"/letters/open-letter-to-interpol/"); code != 200 || !strings.Contains(body, "Preventive Notice") {
		t.Errorf("build serves the letter with status %d", code)
	}
}

// TestBuildReusesPDFText builds twice with one -cache: the second build
// reads no PDF again.
func TestBuildReusesPDFText(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	_, first, code := run(t, "build", "-content", "../../content", "-cache", cache, "-o", filepath.Join(dir, "1"))
	if code != 0 || !strings.Contains(first, "pdf text extracted") {
		t.Fatalf("first build: exit %d\n%s", code, first)
	}
	_, second, code := run(t, "build", "-content", "../../content", "-cache", cache, "-o", filepath.Join(dir, "2"))
	if code != 0 || strings.Contains(second, "pdf text extracted") {
		t.Fatalf("second build with the same cache: exit %d\n%s", code, second)
	}
	base := startServe(t, "-from", filepath.Join(dir, "2"))
	if code, body := fetch(t, base+"/api/search?q=%22preventive+notice%22&source=pdf"); code != 200 || !strings.Contains(body, "open-letter-to-interpol.pdf#page=") {
		t.Errorf("the second build does not find the PDF's text: %d %s", code, body)
	}
}

// TestBrokenBuildRefused checks that a server does not start from a build
// whose files were damaged, and says which file.
func TestBrokenBuildRefused(t *testing.T) {
	out := filepath.Join(t.TempDir(), "build")
	if _, errOut, code := run(t, "build", "-content", "../../content", "-o", out); code != 0 {
		t.Fatalf("build exit %d\n%s", code, errOut)
	}
	pages := filepath.Join(out, "state", "pages", "pages.bin")
	info, err := os.Stat(pages)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(pages, info.Size()/2); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "serve", "-from", out, "-addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "pages.bin") {
		t.Errorf("serve -from a damaged build: exit %d, want 1 and the file named\n%s", code, errOut)
	}
}

// TestExportLinksResolve exports the site and follows every internal link
// of every page to a file of the export.
func TestExportLinksResolve(t *testing.T) {
	out := filepath.Join(t.TempDir(), "mirror")
	if _, errOut, code := run(t, "export", "-content", "../../content", "-o", out, "-search-url", "https://archive.example.org/search"); code != 0 {
		t.Fatalf("export exit %d\n%s", code, errOut)
	}
	attr := regexp.MustCompile(`(?:href|src)="([^"]*)"`)
	pages := 0
	err := filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		pages++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(`action="/search"`)) {
			t.Errorf("%s: search form still points to /search", p)
		}
		for _, m := range attr.FindAllSubmatch(b, -1) {
			link := strings.ReplaceAll(string(m[1]), "&amp;", "&")
			if link == "" || strings.HasPrefix(link, "#") || strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
				continue
			}
			link, _, _ = strings.Cut(link, "#")
			link, _, _ = strings.Cut(link, "?")
			var target string
			if strings.HasPrefix(link, "/") {
				target = filepath.Join(out, filepath.FromSlash(link))
			} else {
				target = filepath.Join(filepath.Dir(p), filepath.FromSlash(link))
			}
			if strings.HasSuffix(link, "/") {
				target = filepath.Join(target, "index.html")
			}
			if _, err := os.Stat(target); err != nil {
				rel, _ := filepath.Rel(out, p)
				t.Errorf("%s links %s: no such file in the export", rel, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages < 10 {
		t.Errorf("export has %d HTML pages, want at least 10", pages)
	}
}

// TestNothingUnpublishedLeaks adds to the shipped content a draft bundle
// with a PDF, a scheduled and an expired publication, a stray note, hidden,
// private and ignored files, and symbolic links to /etc/passwd and to the
// process's environment. Nothing of them may reach a reader: not a page, a
// file, a checksum line, a search hit or a feed item, in a served content
// folder, a build, the servers of the build, or an export.
func TestNothingUnpublishedLeaks(t *testing.T) {
	const marker = "zebracorn"
	t.Setenv("ARCHIVE_LEAK_PROBE", marker+"-environment")
	dir := copyDir(t, "../../content")
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pub := func(extra string) string {
		return "---\ntitle: Zebracorn files\ndate: 2022-02-01\n" + extra + "---\nThe zebracorn testimony, not for readers yet.\n"
	}
	write("letters/zebracorn-draft/index.md", pub("draft: true\n"))
	write("letters/zebracorn-draft/zebracorn-embargo.pdf", "%PDF-1.4 zebracorn embargoed")
	write("letters/zebracorn-later/index.md", pub("publishDate: 2099-01-01\n"))
	write("letters/zebracorn-gone/index.md", pub("expiryDate: 2001-01-01\n"))
	write("letters/zebracorn-jekyll.md", pub("published: false\n"))
	write("letters/zebracorn-notes.txt", "zebracorn production note")
	write("letters/.zebracorn-hidden.pdf", "%PDF-1.4 zebracorn")
	write("letters/_zebracorn/private.pdf", "%PDF-1.4 zebracorn")
	write("letters/zebracorn-plan.psd", "zebracorn")
	settings, err := os.ReadFile(filepath.Join(dir, "site.toml"))
	if err != nil {
		t.Fatal(err)
	}
	write("site.toml", strings.Replace(string(settings), "ignore = [", `ignore = ["*.psd", `, 1))
	letter := filepath.Join(dir, "letters", "open-letter-to-interpol")
	for name, target := range map[string]string{"zebracorn-passwd.txt": "/etc/passwd", "zebracorn-env.txt": "/proc/self/environ"} {
		if err := os.Symlink(target, filepath.Join(letter, name)); err != nil {
			t.Fatal(err)
		}
	}
	secret := regexp.MustCompile(`(?i)` + marker + `|root:x:0:0|PDF-SOURCE|letter-print`)

	out, errOut, code := run(t, "check", "-content", dir)
	if code != 0 {
		t.Fatalf("check exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"letters/zebracorn-draft/zebracorn-embargo.pdf: not published: it belongs to letters/zebracorn-draft/index.md, a draft",
		"letters/zebracorn-later/index.md: not published: scheduled for 2099-01-01",
		"letters/zebracorn-gone/index.md: not published: expired on 2001-01-01",
		"letters/zebracorn-notes.txt: not published: no page links to it",
		"letters/open-letter-to-interpol/zebracorn-passwd.txt: warning: not published: a symbolic link to /etc/passwd, outside the content folder",
		"letters/open-letter-to-interpol/zebracorn-env.txt: warning: not published: a symbolic link to /proc/self/environ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check does not say %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "2 publications, 0 pages, 0 section pages, 1 attachments, 0 documents (PDFs: 1 with text, 0 scans without), 0 redirect stubs, 1 files served; not published:") {
		t.Errorf("check's summary: %s", errOut)
	}

	probes := []string{
		"/letters/zebracorn-draft/", "/letters/zebracorn-draft/zebracorn-embargo.pdf", "/letters/zebracorn-later/",
		"/letters/zebracorn-gone/", "/letters/zebracorn-jekyll/", "/letters/zebracorn-notes.txt", "/letters/.zebracorn-hidden.pdf",
		"/letters/_zebracorn/private.pdf", "/letters/zebracorn-plan.psd",
		"/letters/open-letter-to-interpol/zebracorn-passwd.txt", "/letters/open-letter-to-interpol/zebracorn-env.txt",
		"/letters/open-letter-to-interpol/PDF-SOURCE.txt",
	}
	lists := []string{
		"/", "/letters/", "/archive/", "/tags/", "/feed.atom", "/feed.json", "/sitemap.xml", "/checksums.txt",
		"/search?q=testimony", "/api/search?q=testimony", "/api/search?q=readers+yet", "/api/search?q=root", "/letters/open-letter-to-interpol/",
	}
	probe := func(base string) {
		t.Helper()
		for _, p := range probes {
			if code, _ := fetch(t, base+p); code != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", p, code)
			}
		}
		for _, p := range lists {
			code, body := fetch(t, base+p)
			if code != 200 {
				t.Errorf("%s: status %d", p, code)
			}
			if m := secret.FindString(body); m != "" {
				t.Errorf("%s reveals %q", p, m)
			}
		}
	}
	probe(startServe(t, "-content", dir))

	noSecrets := func(root string) {
		t.Helper()
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if secret.MatchString(p) {
				t.Errorf("%s is in %s", p, root)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if m := secret.Find(b); m != nil {
				t.Errorf("%s reveals %q", p, m)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	build := filepath.Join(t.TempDir(), "build")
	if _, errOut, code := run(t, "build", "-content", dir, "-o", build); code != 0 {
		t.Fatalf("build exit %d\n%s", code, errOut)
	}
	noSecrets(build)
	probe(startServe(t, "-from", build))

	mirror := filepath.Join(t.TempDir(), "mirror")
	if _, errOut, code := run(t, "export", "-content", dir, "-o", mirror); code != 0 {
		t.Fatalf("export exit %d\n%s", code, errOut)
	}
	noSecrets(mirror)
}

// TestHugoSiteServed serves a site written for Hugo and Jekyll: its pages
// outside sections answer, and its old permalinks redirect to the archive's
// URLs, in both the Hugo and the .html form.
func TestHugoSiteServed(t *testing.T) {
	const dir = "../../internal/content/testdata/hugo"
	out, errOut, code := run(t, "check", "-content", dir)
	if code != 0 || !strings.Contains(errOut, "9 publications, 2 pages, 2 section pages, 1 attachments, 3 documents (PDFs: 3 with text, 0 scans without)") ||
		!strings.Contains(out, "post/2020-01-01-kept-back.mkd: not published: a draft") ||
		!strings.Contains(out, "documents/withdrawn.pdf: not published: its sidecar documents/withdrawn.pdf.md is a draft") {
		t.Fatalf("check exit %d\n%s%s", code, out, errOut)
	}
	base := startServe(t, "-content", dir)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]string{
		"/about/":                         "200",
		"/docs/faq/":                      "200",
		"/post/what-it-costs/":            "200",
		"/reports/fixed-address/":         "200",
		"/2016/09/20/what-it-costs/":      "301 /post/what-it-costs/",
		"/2016/09/20/what-it-costs.html":  "301 /post/what-it-costs/",
		"/2017/01/02/second/":             "301 /post/second/",
		"/zh/post/bundle-post/":           "200",
		"/zh/post/bundle-post/report.pdf": "200",
		"/post/bundle-post/report.pdf":    "200",
		"/images/chart.svg":               "200",
		"/post/html-report/":              "200",
		"/old.html":                       "404",
		"/documents/briefing.pdf":         "200",
		"/documents/withdrawn.pdf":        "404",
		"/documents/withdrawn.pdf.md":     "404",
	} {
		res, err := noRedirect.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		got := strconv.Itoa(res.StatusCode)
		if loc := res.Header.Get("Location"); loc != "" {
			got += " " + strings.TrimPrefix(loc, base)
		}
		if got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	if code, body := fetch(t, base+"/post/"); code != 200 || !strings.Contains(body, "Our blog.") {
		t.Errorf("/post/ does not show post/_index.md: %d", code)
	}
	// about.md has Hugo's menu: main, so every page's navigation has it.
	if _, body := fetch(t, base+"/post/second/"); !strings.Contains(body, `<li><a href="/about/">About us</a></li>`) {
		t.Error("the navigation lacks the page with menu: main")
	}
	if _, body := fetch(t, base+"/post/bundle-post/"); !strings.Contains(body, `hreflang="zh"`) {
		t.Error("the page does not link its translation from index.zh.md")
	}
	// Pages are searched, and told apart from publications.
	if code, body := fetch(t, base+"/api/search?q=%22document+transnational+repression%22"); code != 200 || !strings.Contains(body, `"kind":"page","url":"/about/`) {
		t.Errorf("a quote from about.md: %d %s", code, body)
	}
	if _, body := fetch(t, base+"/sitemap.xml"); !strings.Contains(body, "/about/</loc>") || !strings.Contains(body, "/documents/annual-report-2019.pdf</loc>") {
		t.Errorf("the sitemap lacks /about/ or a document")
	}
	// Hugo's categories have their pages; an image field shows in lists.
	if code, body := fetch(t, base+"/categories/field-reports/"); code != 200 || !strings.Contains(body, "Category: Field Reports") || !strings.Contains(body, `href="/post/second/"`) || !strings.Contains(body, `href="/post/figure/"`) {
		t.Errorf("/categories/field-reports/: %d", code)
	}
	if code, body := fetch(t, base+"/categories/"); code != 200 || !strings.Contains(body, `<a href="/categories/data/">Data</a>`) {
		t.Errorf("/categories/: %d", code)
	}
	if _, body := fetch(t, base+"/post/second/"); !strings.Contains(body, `Categories: <a href="/categories/field-reports/">Field Reports</a>`) {
		t.Error("the publication page does not link its category")
	}
	if _, body := fetch(t, base+"/post/"); !strings.Contains(body, `<img class="thumb" src="/images/chart.svg" alt="" loading="lazy" decoding="async">`) {
		t.Error("the list does not show the image field")
	}
	testDocumentsServed(t, base)
}

// testDocumentsServed checks the standalone PDFs of testdata/hugo/documents
// as readers meet them: listed on their folder's page with what their PDFs
// or sidecars say, found by search page by page, and in checksums.txt.
func testDocumentsServed(t *testing.T, base string) {
	t.Helper()
	code, body := fetch(t, base+"/documents/")
	if code != 200 || !strings.Contains(body, "Reports and papers as we filed them.") {
		t.Fatalf("/documents/: %d, without its _index.md", code)
	}
	// Newest first: the sidecar's date, then the PDF's creation date, then
	// the undated one, titled by its file name since its PDF's title is a
	// word processor's file name.
	var last int
	for _, want := range []string{
		`<a href="/documents/briefing.pdf">Briefing for the committee</a>`,
		`<time datetime="2021-06-01">1 June 2021</time>`,
		`What the committee asked for in June, and our answers.`,
		`<a href="/documents/annual-report-2019.pdf">Annual Report 2019: Detentions in the Region</a>`,
		`<time datetime="2019-03-15">15 March 2019</time> · PDF document, 1 KB, 2 pages`,
		`<a href="/documents/Field_notes-harbour.pdf">Field notes harbour</a>`,
	} {
		i := strings.Index(body[last:], want)
		if i < 0 {
			t.Fatalf("/documents/ lacks, or has out of order, %s\n%s", want, body)
		}
		last += i
	}
	if strings.Contains(body, "withdrawn") {
		t.Error("/documents/ lists the document of a draft sidecar")
	}
	code, body = fetch(t, base+"/api/search?q=%22seventeen+witnesses+in+closed+session%22")
	if code != 200 || !strings.Contains(body, `"kind":"document","url":"/documents/annual-report-2019.pdf#page=2"`) || !strings.Contains(body, `"text_url":"/documents/annual-report-2019.pdf/page/2/?hl=`) {
		t.Errorf("a quote from page 2 of a document: %d %s", code, body)
	}
	if code, body := fetch(t, base+"/documents/annual-report-2019.pdf/page/2/"); code != 200 || !strings.Contains(body, "seventeen witnesses") {
		t.Errorf("page 2 of a document as text: %d", code)
	}
	if code, body := fetch(t, base+"/api/search?q=casework"); code != 200 || !strings.Contains(body, `"title":"Briefing for the committee"`) {
		t.Errorf("a word of a document with a sidecar: %d %s", code, body)
	}
	if _, body := fetch(t, base+"/checksums.txt"); !strings.Contains(body, "  documents/annual-report-2019.pdf\n") || strings.Contains(body, "withdrawn") {
		t.Errorf("checksums.txt and documents:\n%s", body)
	}
}
