package wordpress

import (
	"strings"
	"testing"
)

// wxr wraps items in a channel written with the given wp namespace.
func wxr(ns, items string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="` + strings.TrimSuffix(ns, "/") + `/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="` + ns + `">
<channel><title>T</title><link>https://example.org</link><language>fr</language>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:author><wp:author_login>ann</wp:author_login><wp:author_display_name><![CDATA[Ann Lee]]></wp:author_display_name></wp:author>
` + items + `</channel></rss>`
}

const postItem = `<item><title><![CDATA[Café & co]]></title><link>https://example.org/2020/01/02/cafe/</link>
<dc:creator>ann</dc:creator><content:encoded><![CDATA[Body <b>text</b>.]]></content:encoded>
<excerpt:encoded>Plain excerpt &amp; more</excerpt:encoded>
<wp:post_id>7</wp:post_id><wp:post_date_gmt><![CDATA[2020-01-02 03:04:05]]></wp:post_date_gmt>
<wp:post_name>caf%c3%a9</wp:post_name><wp:status>publish</wp:status><wp:post_type><![CDATA[post]]></wp:post_type>
<category domain="category" nicename="news"><![CDATA[News]]></category><category domain="post_tag" nicename="a">A</category>
<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value><![CDATA[9]]></wp:meta_value></wp:postmeta>
<wp:comment><wp:comment_id>1</wp:comment_id></wp:comment></item>
`

// TestParseExport reads the same item from exports that name the wp
// namespace with http:// and https://, of WXR 1.0 to 1.2.
func TestParseExport(t *testing.T) {
	for _, ns := range []string{
		"http://wordpress.org/export/1.2/", "https://wordpress.org/export/1.2/",
		"http://wordpress.org/export/1.1/", "http://wordpress.org/export/1.0/", "https://wordpress.org/export/1.2",
	} {
		t.Run(ns, func(t *testing.T) {
			ex, err := parseExport("x.xml", []byte(wxr(ns, postItem)))
			if err != nil {
				t.Fatal(err)
			}
			if ex.language != "fr" || ex.authors["ann"] != "Ann Lee" || len(ex.items) != 1 {
				t.Fatalf("channel: %+v", ex)
			}
			it := ex.items[0]
			checks := map[string][2]string{
				"title":   {it.title, "Café & co"},
				"content": {it.content, "Body <b>text</b>."},
				"excerpt": {it.excerpt, "Plain excerpt & more"},
				"date":    {it.dateGMT, "2020-01-02 03:04:05"},
				"name":    {it.name, "caf%c3%a9"},
				"type":    {it.postType, "post"},
				"creator": {it.creator, "ann"},
				"meta":    {it.meta["_thumbnail_id"], "9"},
			}
			for k, v := range checks {
				if v[0] != v[1] {
					t.Errorf("%s = %q, want %q", k, v[0], v[1])
				}
			}
			if it.id != 7 || it.comments != 1 || len(it.terms) != 2 || it.terms[0] != (term{"category", "news", "News"}) {
				t.Errorf("item: id %d, %d comments, terms %+v", it.id, it.comments, it.terms)
			}
		})
	}
}

func TestParseExportQuirks(t *testing.T) {
	// WXR 1.0 wrote each category twice, once without attributes; a
	// control character in a post would make the XML unreadable.
	items := `<item><title>A` + "\x0b" + `B</title><wp:post_id>1</wp:post_id><wp:post_type>post</wp:post_type>
<category><![CDATA[News]]></category><category domain="category" nicename="news"><![CDATA[News]]></category>
<content:encoded>&nbsp;plain &eacute;</content:encoded></item>`
	ex, err := parseExport("x.xml", []byte(wxr("http://wordpress.org/export/1.0/", items)))
	if err != nil {
		t.Fatal(err)
	}
	it := ex.items[0]
	if ex.dropped != 1 || it.title != "AB" || len(it.terms) != 1 || it.content != "\u00a0plain é" {
		t.Errorf("dropped %d, title %q, terms %+v, content %q", ex.dropped, it.title, it.terms, it.content)
	}
	for name, data := range map[string]string{
		"not XML":     "hello",
		"not RSS":     `<?xml version="1.0"?><feed></feed>`,
		"no version":  `<rss><channel><title>x</title></channel></rss>`,
		"cut short":   wxr("http://wordpress.org/export/1.2/", postItem)[:300],
		"other XMLNS": strings.ReplaceAll(wxr("http://example.org/other/", postItem), "wxr_version", "version"),
	} {
		if _, err := parseExport("x.xml", []byte(data)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzParseExport(f *testing.F) {
	f.Add(wxr("http://wordpress.org/export/1.2/", postItem))
	f.Add(wxr("https://wordpress.org/export/1.1/", ""))
	f.Add("<rss><channel><wp:wxr_version xmlns:wp='x/export/1.2/'>1</wp:wxr_version><item></item></channel></rss>")
	f.Fuzz(func(t *testing.T, data string) {
		ex, err := parseExport("fuzz.xml", []byte(data))
		if err != nil {
			return
		}
		for _, it := range ex.items {
			_ = itemName(it)
		}
	})
}
