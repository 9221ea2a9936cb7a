package search

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"archive/internal/content"
)

// TestOpenRenumbers checks that Open numbers the documents again, rather
// than map bleve's hits to the wrong entries, when bleve numbers them
// otherwise than the saved table.
func TestOpenRenumbers(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := range 20 {
		body := fmt.Sprintf("---\ntitle: Note %d\ndate: 2022-01-%02d\n---\nA note about apples, number %d.\n\nAnd %d pears.\n", i, i+1, i, i)
		fsys[fmt.Sprintf("notes/n%d.md", i)] = &fstest.MapFile{Data: []byte(body)}
	}
	cs, _, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	built, err := Build(context.Background(), cs, nil, Options{CacheDir: filepath.Join(dir, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	saved := filepath.Join(dir, "saved")
	if err := built.Save(saved); err != nil {
		t.Fatal(err)
	}

	// A number without a document in front shifts every saved number by one.
	tab, err := readTable(saved)
	if err != nil {
		t.Fatal(err)
	}
	tab.IDs = append([]string{""}, tab.IDs...)
	tab.Group = append([]uint8{0}, tab.Group...)
	tab.Page = append([]int32{0}, tab.Page...)
	tab.OCR = append([]bool{false}, tab.OCR...)
	tab.TextOff = append([]int64{0}, tab.TextOff...)
	tab.Size = append([]int32{0}, tab.Size...)
	tab.Segs = append([]int32{0}, tab.Segs...)
	tab.Titles = append([]int32{0}, tab.Titles...)
	tab.Hits = append([]int32{0}, tab.Hits...)
	if err := writeTable(filepath.Join(saved, tableFile), tab); err != nil {
		t.Fatal(err)
	}

	var log bytes.Buffer
	opened, err := Open(saved, cs, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	if !strings.Contains(log.String(), "numbering again") {
		t.Errorf("no warning logged: %s", log.String())
	}
	for _, q := range []string{"apples", "pears 7", `"number 12"`} {
		want, err := built.Search(context.Background(), Request{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		got, err := opened.Search(context.Background(), Request{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Result{}, "Took")); diff != "" {
			t.Errorf("Search(%q) (-built +opened):\n%s", q, diff)
		}
	}
}
