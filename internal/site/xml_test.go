package site_test

import (
	"encoding/xml"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"archive/internal/site"
)

// templatesWith is the shipped templates with one file replaced.
func templatesWith(t *testing.T, name, text string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	entries, err := os.ReadDir("../../templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile("../../templates/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		fsys[e.Name()] = &fstest.MapFile{Data: b}
	}
	fsys[name] = &fstest.MapFile{Data: []byte(text)}
	return fsys
}

// TestXMLTemplateUnescaped refuses an XML template that writes a value
// without the xml function, naming the file and line, wherever the action is.
func TestXMLTemplateUnescaped(t *testing.T) {
	for _, body := range []string{
		"<a>{{.}}</a>",
		"<a>{{. | printf \"%s\"}}</a>",
		"<a>{{range .}}{{if .}}x{{else}}{{.Loc}}{{end}}{{end}}</a>",
		"<a>{{with .}}{{$x := .}}{{$x}}{{end}}</a>",
		"{{define \"item\"}}{{.}}{{end}}<a>{{template \"item\" . | xml}}</a>",
	} {
		_, err := site.ParseTemplates(templatesWith(t, "sitemap.xml", "<?xml version=\"1.0\"?>\n"+body))
		if err == nil || !strings.Contains(err.Error(), "sitemap.xml:2") || !strings.Contains(err.Error(), "| xml") {
			t.Errorf("%s: error %v, want one naming sitemap.xml:2 and | xml", body, err)
		}
	}
	good := "<?xml version=\"1.0\"?>\n<a>{{with .}}{{$x := .}}{{$x | xml}}{{xml \"y\"}}{{end}}</a>"
	if _, err := site.ParseTemplates(templatesWith(t, "sitemap.xml", good)); err != nil {
		t.Errorf("escaped template refused: %v", err)
	}
}

// TestXMLEscape renders the sitemap with values XML must escape, and
// characters it cannot hold at all, and parses it back.
func TestXMLEscape(t *testing.T) {
	tmpl, err := site.ParseTemplates(os.DirFS("../../templates"))
	if err != nil {
		t.Fatal(err)
	}
	loc := "https://h/a&b/<c>/\"d\"/'e'/\x01"
	body, err := tmpl.Render("sitemap.xml", []struct{ Loc, LastMod string }{{Loc: loc}})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		URLs []string `xml:"url>loc"`
	}
	if err := xml.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if want := strings.ReplaceAll(loc, "\x01", "\uFFFD"); len(got.URLs) != 1 || got.URLs[0] != want {
		t.Errorf("loc = %q, want %q\n%s", got.URLs, want, body)
	}
}
