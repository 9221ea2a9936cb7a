package content_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"archive/internal/content"
)

// TestEncodeDecode checks that a decoded site has every field a server reads
// once its pages are rendered, over the shipped content and the Go blog
// corpus (aliases, redirect stubs, tags, undated pages, a section page).
func TestEncodeDecode(t *testing.T) {
	dirs := []string{filepath.Join("..", "..", "content"), filepath.Join("..", "..", "..", "shared", "corpus", "markdown")}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			if _, err := os.Stat(dir); err != nil {
				t.Skipf("no %s: %v", dir, err)
			}
			fsys := os.DirFS(dir)
			want, _, err := content.Load(fsys, content.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := want.Encode(&buf); err != nil {
				t.Fatal(err)
			}
			got, err := content.Decode(&buf, fsys)
			if err != nil {
				t.Fatal(err)
			}
			if got.Hash != want.Hash || got.Settings.Title != want.Settings.Title || got.Settings.BaseURL != want.Settings.BaseURL || got.Settings.Ignore != nil || !got.NextChange.Equal(want.NextChange) || !reflect.DeepEqual(got.Sections, want.Sections) ||
				!reflect.DeepEqual(got.Redirects, want.Redirects) || !reflect.DeepEqual(got.Files, want.Files) {
				t.Errorf("site fields differ after decoding")
			}
			if len(got.Publications) != len(want.Publications) || len(got.Pages) != len(want.Pages) || len(got.ByURL) != len(want.ByURL) {
				t.Fatalf("decoded %d publications, %d pages, %d URLs; want %d, %d, %d",
					len(got.Publications), len(got.Pages), len(got.ByURL), len(want.Publications), len(want.Pages), len(want.ByURL))
			}
			for i, w := range want.Publications {
				g := got.Publications[i]
				if g.Doc != nil || g.Body != nil {
					t.Fatalf("%s: decoded with its Markdown", g.URL)
				}
				stripped := *w
				stripped.Body, stripped.Doc, stripped.Related, stripped.Extra = nil, nil, nil, nil
				if gj, wj := metadata(t, g), metadata(t, &stripped); gj != wj {
					t.Errorf("%s: decoded\n%s\nwant\n%s", w.URL, gj, wj)
				}
				if got.ByURL[w.URL] != g {
					t.Errorf("%s: ByURL does not point to the decoded publication", w.URL)
				}
			}
			for tag, pubs := range want.Tags {
				if len(got.Tags[tag]) != len(pubs) {
					t.Errorf("tag %s: %d publications, want %d", tag, len(got.Tags[tag]), len(pubs))
				}
			}
			for sec, p := range want.SectionPages {
				if g := got.SectionPages[sec]; g == nil || g.Title != p.Title {
					t.Errorf("section page %s lost", sec)
				}
			}
		})
	}
}

// metadata writes a publication's fields as JSON, where an empty list and
// none are the same (gob does not tell them apart, and no reader does).
func metadata(t *testing.T, p *content.Publication) string {
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), ":[]", ":null")
}

func TestDecodeRefusesOtherInput(t *testing.T) {
	for _, in := range []string{"", "not gob at all", strings.Repeat("\xff", 64)} {
		if _, err := content.Decode(strings.NewReader(in), nil); err == nil {
			t.Errorf("Decode(%q) succeeded", in)
		}
	}
}
