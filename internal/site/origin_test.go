package site_test

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"archive/internal/site"
)

// TestOriginPage: a page is completed once per origin, and what is kept
// for made-up origins stays bounded.
func TestOriginPage(t *testing.T) {
	var s site.Site
	p := site.NewPage(200, "application/atom+xml", []byte(strings.Repeat("<link href=\""+site.OriginMarker+"/a/\"/>\n", 400)))
	p.Origin = true
	a := s.OriginPage(p, "http://a.example")
	if again := s.OriginPage(p, "http://a.example"); again != a {
		t.Error("the page was completed twice for one origin")
	}
	if !bytes.Contains(a.Body, []byte(`href="http://a.example/a/"`)) || bytes.Contains(a.Body, []byte(site.OriginMarker)) || a.ETag == p.ETag {
		t.Errorf("page not completed with its origin:\n%.200s", a.Body)
	}
	if b := s.OriginPage(p, "https://a.example"); b == a || !bytes.Contains(b.Body, []byte("https://a.example/a/")) {
		t.Error("another origin got the first one's page")
	}
	plain := site.NewPage(200, "text/plain", []byte("no origin"))
	if s.OriginPage(plain, "http://a.example") != plain {
		t.Error("a page without the marker was copied")
	}

	// A client may send a new Host with every request.
	const origins = 2000 // × 16 KB: twice what may be kept
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range origins {
		s.OriginPage(p, fmt.Sprintf("http://h%d.example", i))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if kept := int64(after.HeapAlloc) - int64(before.HeapAlloc); kept > 24<<20 {
		t.Errorf("%d origins keep %d MB", origins, kept>>20)
	}
	runtime.KeepAlive(&s)
}
