package site_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"archive/internal/site"
)

// htmlBody is a page-like body of about n bytes: varied enough that gzip
// has work to do, repetitive enough that it pays.
func htmlBody(n int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "<p id=\"findings-p%d\">Paragraph %d of the findings: %d cases in %d countries, of which %d were refused.</p>\n", i, i, i*7%101, i%13, i*3%17)
	}
	return []byte(b.String()[:n])
}

// freshGzip is what NewPage would write without reusing compressors. The
// tests read gzip bodies with the standard library's reader, as browsers
// would with theirs.
func freshGzip(body []byte) []byte {
	var buf bytes.Buffer
	zw, _ := kgzip.NewWriterLevel(&buf, kgzip.DefaultCompression)
	zw.Write(body)
	zw.Close()
	return buf.Bytes()
}

// TestNewPageGzip checks that the gzip body holds the page, byte for byte
// the same as a compressor of its own would write, also when pages are
// compressed concurrently with reused compressors.
func TestNewPageGzip(t *testing.T) {
	sizes := []int{100, 513, 1500, 30000, 200000}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, n := range sizes {
				body := htmlBody(n)
				p := site.NewPage(http.StatusOK, "text/html; charset=utf-8", body)
				if n <= 512 {
					if p.Gzip != nil {
						t.Errorf("%d bytes: compressed, but small bodies are not worth it", n)
					}
					continue
				}
				if p.Gzip == nil {
					t.Errorf("%d bytes: not compressed", n)
					continue
				}
				if !bytes.Equal(p.Gzip, freshGzip(body)) {
					t.Errorf("%d bytes: gzip body differs from a fresh compressor's", n)
				}
				zr, err := gzip.NewReader(bytes.NewReader(p.Gzip))
				if err != nil {
					t.Errorf("%d bytes: %v", n, err)
					continue
				}
				got, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(got, body) {
					t.Errorf("%d bytes: gzip body does not decompress to the page (err %v)", n, err)
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkNewPage measures compressing a citation file (1 KB) and a
// publication page (30 KB), what site.Build does for every page.
//
//	go test -run XXX -bench NewPage -benchmem ./internal/site
func BenchmarkNewPage(b *testing.B) {
	for _, n := range []int{1000, 30000} {
		body := htmlBody(n)
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				site.NewPage(http.StatusOK, "text/html; charset=utf-8", body)
			}
		})
	}
}
