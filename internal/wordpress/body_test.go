package wordpress

import (
	"flag"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testEnv is a small site around the bodies of testdata/body: uploads
// become the file's name, and two old permalinks have new addresses.
func testEnv() *bodyEnv {
	attached := []*item{
		{id: 5, postType: "attachment", title: "Protest", excerpt: "A protest", attachmentURL: "https://example.org/wp-content/uploads/2020/01/photo.jpg", meta: map[string]string{"_wp_attachment_image_alt": "A protest"}},
		{id: 6, postType: "attachment", title: "Small", attachmentURL: "https://example.org/wp-content/uploads/2020/01/small.jpg", meta: map[string]string{}},
		{id: 8, postType: "attachment", title: "Interview", attachmentURL: "https://example.org/wp-content/uploads/2020/01/interview.mp3", meta: map[string]string{}},
	}
	pages := map[string]string{"/2019/03/01/one/": "/news/one/", "/?p=1": "/news/one/", "/about/": "/about/"}
	return &bodyEnv{
		link: func(raw, text string) string {
			u, err := url.Parse(raw)
			if err != nil {
				return raw
			}
			if _, rest, ok := strings.Cut(u.Path, "/wp-content/uploads/"); ok {
				return fileLink(path.Base(rest))
			}
			if u.Host != "" && u.Host != "example.org" {
				return raw
			}
			if to, ok := pages[oldPath(raw)]; ok {
				if u.Fragment != "" {
					to += "#" + u.Fragment
				}
				return to
			}
			return raw
		},
		attached: attached,
		byID: func(id int) *item {
			for _, a := range attached {
				if a.id == id {
					return a
				}
			}
			return nil
		},
		reusable: func(id int) (string, bool) {
			if id == 7 {
				return "<!-- wp:paragraph --><p>Reused text.</p><!-- /wp:paragraph -->", true
			}
			return "", false
		},
		notes: map[string]int{},
	}
}

// TestConvertGolden converts each testdata/body/*.html and compares the
// Markdown, and what the conversion reports, with the .md beside it.
func TestConvertGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/body/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test bodies: %v", err)
	}
	bc := newBodyConverter()
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".html")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			env := testEnv()
			md, err := bc.convert(string(src), env)
			if err != nil {
				t.Fatal(err)
			}
			got := md + "-- notes --\n"
			for _, k := range slices.Sorted(maps.Keys(env.notes)) {
				got += fmt.Sprintf("%s: %d\n", k, env.notes[k])
			}
			golden := strings.TrimSuffix(file, ".html") + ".md"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

func TestAutop(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"One.", "<p>One.</p>"},
		{"One.\n\nTwo.", "<p>One.</p>\n<p>Two.</p>"},
		{"Line one\nline two", "<p>Line one<br />\nline two</p>"},
		{"Text\n<h2>Head</h2>\nMore", "<p>Text</p>\n<h2>Head</h2>\n<p>More</p>"},
		{"<ul>\n<li>a</li>\n</ul>", "<ul>\n<li>a</li>\n</ul>"},
		{"<blockquote>Q1\n\nQ2</blockquote>", "<blockquote><p>Q1</p>\n<p>Q2</p></blockquote>"},
		{"<pre>a\n\nb</pre>", "<pre>a\n\nb</pre>"},
		{"<a\nhref=\"x\">link</a> text", "<p><a\nhref=\"x\">link</a> text</p>"},
		{"Before<br><br>after", "<p>Before</p>\n<p>after</p>"},
	} {
		if got := strings.TrimSpace(autop(tc.in)); got != tc.want {
			t.Errorf("autop(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestShortcodes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`[gallery ids="1,2"]`, `<gallery ids=1,2>`},
		{`[audio https://x/a.mp3]`, `<audio args=https://x/a.mp3>`},
		{`[caption id='a' width=30]<img src="x"> Text[/caption]`, `<caption id=a width=30 content=<img src="x"> Text>`},
		{`[embed]https://v/1[/embed] and [embed]https://v/2[/embed]`, `<embed content=https://v/1> and <embed content=https://v/2>`},
		{`[[gallery]]`, `[gallery]`},
		{`[sic] [1] [ spaced] [a"b]`, `<sic> [1] [ spaced] [a"b]`},
		{`[video src="a]b.mp4"][/video]`, `<video src=a]b.mp4 content=>`},
		{`[CAPTION]x[/caption]`, `<caption content=x>`},
		{`[unclosed attr="x`, `[unclosed attr="x`},
		{`[ümlaut]`, `[ümlaut]`},
	} {
		got := expandShortcodes(tc.in, func(sc shortcode) (string, bool) {
			var b strings.Builder
			b.WriteString("<" + sc.name)
			for _, k := range slices.Sorted(maps.Keys(sc.attrs)) {
				b.WriteString(" " + k + "=" + sc.attrs[k])
			}
			if len(sc.args) > 0 {
				b.WriteString(" args=" + strings.Join(sc.args, ","))
			}
			if sc.closed {
				b.WriteString(" content=" + sc.content)
			}
			return b.String() + ">", true
		})
		if got != tc.want {
			t.Errorf("expandShortcodes(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestSlugs(t *testing.T) {
	for _, tc := range []struct {
		fn       func(string) string
		in, want string
	}{
		{cleanSlug, "%e8%a2%ab%e6%8b%98%e7%95%99", "被拘留"},
		{cleanSlug, "%ce%b5%cf%80%ce%af%cf%80%ce%b5%ce%b4%ce%bf-2", "επίπεδο-2"},
		{cleanSlug, "Mixed-Case_Kept", "Mixed-Case_Kept"},
		{cleanSlug, "a%2Fb", "a-b"},
		{cleanSlug, "_private", "private"},
		{cleanSlug, "..", ""},
		{cleanSlug, "%ff%fe", "%ff%fe"},
		{urlize, "Detained abroad: how requests reach exiles", "detained-abroad-how-requests-reach-exiles"},
		{urlize, "Jürgen’s “Straßburg” notes", "jürgen-s-straßburg-notes"},
		{urlize, "¡!", ""},
	} {
		if got := tc.fn(tc.in); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		`Markup: Title <em>With</em> <b>Mark<sup>up</sup></b>`: "Markup: Title With Markup",
		"Special ~`!@#$%^&*()-_=+{}[]/\\;:'\"?,.>":             "Special ~`!@#$%^&*()-_=+{}[]/\\;:'\"?,.>",
		"Cats &amp; dogs &#8211; a&nbsp;list":                  "Cats & dogs – a list",
		"<p>Two</p><p>paragraphs</p>":                          "Two paragraphs",
		"a < b":                                                "a < b",
	} {
		if got := plainText(in); got != want {
			t.Errorf("plainText(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzConvert(f *testing.F) {
	files, _ := filepath.Glob("testdata/body/*.html")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(string(b))
	}
	f.Add("[caption][gallery][/caption]")
	f.Add("<table><tr><td><table><tr><td>x")
	bc := newBodyConverter()
	f.Fuzz(func(t *testing.T, src string) {
		md, err := bc.convert(src, testEnv())
		if err != nil {
			return
		}
		if utf8.ValidString(src) && !utf8.ValidString(md) {
			t.Errorf("UTF-8 input gave invalid UTF-8 output: %q", md)
		}
	})
}
