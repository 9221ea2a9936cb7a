package site_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"archive/internal/site"
)

// TestBuildInto renders into a pages file: every page must be the one
// Build makes, read-only slices of the file, and the site must save and
// open as a built one does, first by moving its file (nothing left in the
// folder it was written to), then, saved again, by copying it.
func TestBuildInto(t *testing.T) {
	for _, baseURL := range []string{"", "https://archive.example.org"} {
		t.Run("base_url="+baseURL, func(t *testing.T) {
			cs := loadContent(t, testContent(baseURL))
			tmpl, assets := parse(t, os.DirFS("../../templates"), os.DirFS("../../static"))
			pdfs := map[string]site.PDFInfo{"reports/detained/report.pdf": {Pages: 12}}
			built, err := site.Build(cs, tmpl, assets, pdfs)
			if err != nil {
				t.Fatal(err)
			}
			spill := t.TempDir()
			// A pages file a crashed start left behind two hours ago.
			stale := filepath.Join(spill, ".pages.bin.tmp-123")
			if err := os.WriteFile(stale, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-2 * time.Hour)
			os.Chtimes(stale, old, old)

			filed, err := site.BuildInto(spill, cs, tmpl, assets, pdfs)
			if err != nil {
				t.Fatal(err)
			}
			samePages(t, built, filed)
			for url, p := range filed.Pages {
				if cap(p.Body) != len(p.Body) || cap(p.Gzip) != len(p.Gzip) {
					t.Fatalf("%s: appending to the body would write into the pages file", url)
				}
			}
			if _, err := os.Stat(stale); !os.IsNotExist(err) {
				t.Errorf("the stale pages file is still there (%v)", err)
			}

			for i, dir := range []string{t.TempDir(), t.TempDir()} {
				if err := filed.SavePages(dir); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					if left, _ := os.ReadDir(spill); len(left) != 0 {
						t.Errorf("saving left %d files where the pages were written, want the pages file moved", len(left))
					}
				}
				info, err := os.Stat(filepath.Join(dir, "pages.bin"))
				if err != nil || info.Mode().Perm() != 0o644 {
					t.Errorf("save %d: pages.bin %v, %v; want it readable by all", i+1, info, err)
				}
				opened, err := site.OpenPages(dir, metadataOnly(cs), tmpl, assets)
				if err != nil {
					t.Fatalf("save %d: %v", i+1, err)
				}
				samePages(t, built, opened)
			}
			// Still served from its file, wherever that now is.
			samePages(t, built, filed)
		})
	}
}
