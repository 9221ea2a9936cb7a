package server_test

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// TestAcceptEncoding: gzip only for a client whose Accept-Encoding gives it
// (or "*") a weight above zero.
func TestAcceptEncoding(t *testing.T) {
	s := shippedServer(t)
	for header, want := range map[string]bool{
		"gzip":               true,
		"gzip, deflate, br":  true,
		"br;q=1, gzip;q=0.5": true,
		"*":                  true,
		"x-gzip":             true,
		"gzip;q=0":           false,
		"gzip; q=0":          false,
		"gzip;q=0.000":       false,
		"gzip;q=0, *":        false,
		"*;q=0":              false,
		"identity":           false,
		"gzip;q=nonsense":    false,
		"":                   false,
	} {
		res := get(t, s, "GET", "/letters/open-letter-to-interpol/", "Accept-Encoding", header)
		if got := res.Header.Get("Content-Encoding") == "gzip"; got != want {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", header, got, want)
		}
	}
}

// TestMadeResponsesCompressed: what is made per request (a search's page
// and answer, a highlighted page, a PDF page's text) comes compressed to a
// client that takes gzip, with its compressed length, and is the same
// once decompressed; an answer too short to gain is sent as it is.
func TestMadeResponsesCompressed(t *testing.T) {
	s := shippedServer(t)
	for _, target := range []string{
		"/search?q=interpol",
		"/api/search?q=interpol",
		"/letters/open-letter-to-interpol/?hl=interpol",
		letterPDF + "/page/1/",
		letterPDF + "/page/1/?hl=interpol",
	} {
		plain := get(t, s, "GET", target)
		want := body(t, plain)
		if plain.StatusCode != http.StatusOK || plain.Header.Get("Content-Encoding") != "" {
			t.Fatalf("%s without gzip: status %d, Content-Encoding %q", target, plain.StatusCode, plain.Header.Get("Content-Encoding"))
		}
		res := get(t, s, "GET", target, "Accept-Encoding", "gzip")
		zipped := body(t, res)
		if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Content-Length") != strconv.Itoa(len(zipped)) {
			t.Errorf("%s for gzip: Content-Encoding %q, Content-Length %q for %d bytes", target, res.Header.Get("Content-Encoding"), res.Header.Get("Content-Length"), len(zipped))
			continue
		}
		if !slices.Contains(res.Header.Values("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Vary %q, want Accept-Encoding among them", target, res.Header.Values("Vary"))
		}
		if len(zipped) > len(want)/2 {
			t.Errorf("%s: %d bytes compressed of %d", target, len(zipped), len(want))
		}
		zr, err := gzip.NewReader(strings.NewReader(zipped))
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		got, err := io.ReadAll(zr)
		// The search pages' times differ from request to request.
		took := regexp.MustCompile(`"took_ms":[0-9.]+|[0-9.]+ ms`)
		if err != nil || took.ReplaceAllString(string(got), "") != took.ReplaceAllString(want, "") {
			t.Errorf("%s: decompressed (%v) differs from the plain response:\n%.300s\n%.300s", target, err, got, want)
		}
		head := get(t, s, "HEAD", target, "Accept-Encoding", "gzip")
		if b := body(t, head); b != "" || head.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("HEAD %s: Content-Encoding %q, %d bytes of body", target, head.Header.Get("Content-Encoding"), len(b))
		}
	}

	res := get(t, s, "GET", "/api/search?q=%22", "Accept-Encoding", "gzip")
	if b := body(t, res); len(b) >= 512 || res.Header.Get("Content-Encoding") != "" {
		t.Errorf("a short answer (%d, %d bytes) was compressed: Content-Encoding %q", res.StatusCode, len(b), res.Header.Get("Content-Encoding"))
	}
}
