package site_test

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestTagsAsWritten: tags link to their URL form and show as their
// publications write them, on the page, the tag list and the tag's page.
func TestTagsAsWritten(t *testing.T) {
	s := build(t, fstest.MapFS{
		"reports/a.md": {Data: []byte("---\ntitle: A\ndate: 2023-01-01\ntags: [Hong Kong, National Security Law]\n---\nText.\n")},
		"reports/b.md": {Data: []byte("---\ntitle: B\ndate: 2023-01-02\ntags: [hong kong]\n---\nText.\n")},
		"reports/c.md": {Data: []byte("---\ntitle: C\ndate: 2023-01-03\ntags: [Hong Kong]\n---\nText.\n")},
	})
	for url, want := range map[string]string{
		"/reports/a/":      `<a href="/tags/national-security-law/">National Security Law</a>`,
		"/reports/b/":      `<a href="/tags/hong-kong/">hong kong</a>`,
		"/tags/":           `<a href="/tags/hong-kong/">Hong Kong</a>`,
		"/tags/hong-kong/": "Tag: Hong Kong",
	} {
		if body := page(t, s, url); !strings.Contains(body, want) {
			t.Errorf("%s lacks %s", url, want)
		}
	}
}
