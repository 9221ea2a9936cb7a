package benchgen_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"archive/internal/benchgen"
	"archive/internal/content"
)

// sharedDir is the shared test material beside the repository.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "markdown", "go-blog")); err != nil {
		t.Skipf("shared corpus not found at %s", dir)
	}
	return dir
}

func config(t *testing.T, n int) benchgen.Config {
	shared := sharedDir(t)
	return benchgen.Config{
		N:        n,
		Seed:     7,
		ProseDir: filepath.Join(shared, "markdown", "go-blog"),
		PDFDir:   filepath.Join(shared, "pdf"),
	}
}

func TestGenerateLoads(t *testing.T) {
	cfg := config(t, 20)
	dir := t.TempDir()
	sum, err := benchgen.Generate(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cs, problems, err := content.Load(os.DirFS(dir), content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("content problem: %s", p)
	}
	if len(cs.Publications) != cfg.N {
		t.Errorf("loaded %d publications, want %d", len(cs.Publications), cfg.N)
	}
	if diff := cmp.Diff(sum.Sections, cs.Sections); diff != "" {
		t.Errorf("sections (-summary +loaded):\n%s", diff)
	}
	if len(cs.Sections) < 3 {
		t.Errorf("only %d sections: %v", len(cs.Sections), cs.Sections)
	}
	var loadedTags []string
	for tag := range cs.Tags {
		loadedTags = append(loadedTags, tag)
	}
	slices.Sort(loadedTags)
	if diff := cmp.Diff(sum.Tags, loadedTags); diff != "" {
		t.Errorf("tags (-summary +loaded):\n%s", diff)
	}
	if len(cs.Years) != 10 || len(sum.Years) != 10 {
		t.Errorf("years: loaded %d, summary %v; want ten", len(cs.Years), sum.Years)
	}
	// Every tenth publication, starting with the first, has one PDF.
	pdfs := 0
	for _, a := range cs.Attachments() {
		if a.IsPDF() {
			pdfs++
		}
	}
	if pdfs != 2 || sum.PDFs != 2 || len(sum.PDFSources) != 2 {
		t.Errorf("PDFs: loaded %d, summary %d from %v; want 2 from 2 files", pdfs, sum.PDFs, sum.PDFSources)
	}
	var words, related, links, footnotes, tables, headings int
	for _, p := range cs.Publications {
		if cs.ByURL[p.URL] == nil || !slices.Contains(sum.URLs, p.URL) {
			t.Errorf("%s: not in the summary's URLs", p.URL)
		}
		related += len(p.Related)
		links += len(p.Doc.Links)
		headings += len(p.Doc.Headings)
		html := p.Doc.HTML
		footnotes += strings.Count(html, `class="footnote-ref"`)
		tables += strings.Count(html, "<table>")
		for _, b := range p.Doc.Blocks {
			words += len(strings.Fields(b.Text))
		}
	}
	if avg := words / cfg.N; avg < 1200 || avg > 1900 {
		t.Errorf("average body length %d words, want about 1,500", avg)
	}
	if related == 0 || links == 0 || footnotes == 0 || tables != cfg.N || headings < 3*cfg.N {
		t.Errorf("related %d, links %d, footnotes %d, tables %d, headings %d: want all of them, a table each, 3+ headings each",
			related, links, footnotes, tables, headings)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	cfg := config(t, 12)
	a, b := t.TempDir(), t.TempDir()
	if _, err := benchgen.Generate(a, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := benchgen.Generate(b, cfg); err != nil {
		t.Fatal(err)
	}
	fa, fb := files(t, a), files(t, b)
	if diff := cmp.Diff(names(fa), names(fb)); diff != "" {
		t.Fatalf("file names differ between two runs (-first +second):\n%s", diff)
	}
	for name, data := range fa {
		if !bytes.Equal(data, fb[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}

	cfg.Seed++
	c := t.TempDir()
	if _, err := benchgen.Generate(c, cfg); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(fa["site.toml"], nil) || cmp.Equal(names(fa), names(files(t, c))) {
		t.Error("another seed wrote the same file names")
	}
}

func TestEnsureReuses(t *testing.T) {
	cfg := config(t, 3)
	dir := filepath.Join(t.TempDir(), "corpus")
	first, reused, err := benchgen.Ensure(dir, cfg)
	if err != nil || reused {
		t.Fatalf("first Ensure: reused %v, err %v", reused, err)
	}
	again, reused, err := benchgen.Ensure(dir, cfg)
	if err != nil || !reused {
		t.Fatalf("second Ensure: reused %v, err %v", reused, err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("reused summary differs (-first +reused):\n%s", diff)
	}
	cfg.N = 4
	if _, reused, err := benchgen.Ensure(dir, cfg); err != nil || reused {
		t.Fatalf("Ensure with another N: reused %v, err %v", reused, err)
	}

	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "keep.txt"), []byte("not a corpus"), 0o644)
	if _, _, err := benchgen.Ensure(other, cfg); err == nil {
		t.Error("Ensure overwrote a folder that is not a generated corpus")
	}
}

func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func names(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
