package server_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// securityHeaders are the headers every response carries (over plain HTTP).
var securityHeaders = http.Header{
	"Content-Security-Policy":      {"default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
	"Cross-Origin-Opener-Policy":   {"same-origin"},
	"Cross-Origin-Resource-Policy": {"same-origin"},
	"Permissions-Policy":           {"accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), browsing-topics=(), interest-cohort=()"},
	"Referrer-Policy":              {"no-referrer"},
	"X-Content-Type-Options":       {"nosniff"},
	"X-Frame-Options":              {"DENY"},
}

// withSecurity is h with the security headers added.
func withSecurity(h http.Header) http.Header {
	out := securityHeaders.Clone()
	for k, v := range h {
		out[k] = v
	}
	return out
}

// TestResponseHeaders: the whole header of each kind of response, so that
// a change to how headers are set (they are copied from prebuilt values)
// cannot add, drop or alter one. ETag and Content-Length vary with the
// content: an ETag is written "<etag>" when it is a quoted string, a
// Content-Length "<length>" when it is the length of the body sent.
func TestResponseHeaders(t *testing.T) {
	s := shippedServer(t)
	const page = "/letters/open-letter-to-interpol/"
	etag := get(t, s, "GET", page).Header.Get("ETag")
	gzipLength := get(t, s, "GET", page, "Accept-Encoding", "gzip").Header.Get("Content-Length")
	html := []string{"text/html; charset=utf-8"}
	pageHeader := http.Header{
		"Cache-Control":  {"public, max-age=300"},
		"Content-Length": {"<length>"},
		"Content-Type":   html,
		"Etag":           {"<etag>"},
		"Vary":           {"Accept-Encoding"},
	}
	gzipped := pageHeader.Clone()
	gzipped["Content-Encoding"] = []string{"gzip"}
	errorPage := gzipped.Clone()
	errorPage["Cache-Control"] = []string{"no-store"}
	refused := pageHeader.Clone()
	refused["Cache-Control"] = []string{"no-store"}
	refused["Allow"] = []string{"GET, HEAD"}
	notModified := http.Header{"Cache-Control": {"public, max-age=300"}, "Content-Type": html, "Etag": {"<etag>"}, "Vary": {"Accept-Encoding"}}
	overTLS := withSecurity(gzipped)
	overTLS["Strict-Transport-Security"] = []string{"max-age=63072000; includeSubDomains"}

	tests := []struct {
		name, method, target string
		header               []string
		tls                  bool
		status               int
		want                 http.Header
	}{
		{"page", "GET", page, nil, false, 200, withSecurity(pageHeader)},
		{"page, gzip", "GET", page, []string{"Accept-Encoding", "gzip"}, false, 200, withSecurity(gzipped)},
		{"page, gzip, HEAD", "HEAD", page, []string{"Accept-Encoding", "gzip"}, false, 200, withSecurity(gzipped)},
		{"page, not modified", "GET", page, []string{"If-None-Match", etag}, false, 304, withSecurity(notModified)},
		{"page over TLS", "GET", page, []string{"Accept-Encoding", "gzip"}, true, 200, overTLS},
		{"not found", "GET", "/no/such/page/", []string{"Accept-Encoding", "gzip"}, false, 404, withSecurity(errorPage)},
		{"refused", "POST", "/", nil, false, 405, withSecurity(refused)},
		{"redirect", "GET", "/letters", nil, false, 301, withSecurity(http.Header{"Content-Type": html, "Location": {"/letters/"}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			res := rec.Result()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			got := res.Header.Clone()
			if e := got.Get("ETag"); strings.HasPrefix(e, `"`) && strings.HasSuffix(e, `"`) && len(e) > 2 {
				got.Set("ETag", "<etag>")
			}
			length := strconv.Itoa(len(b))
			if tt.method == "HEAD" {
				length = gzipLength
			}
			if got.Get("Content-Length") == length {
				got.Set("Content-Length", "<length>")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s %s: header (-want +got):\n%s", tt.method, tt.target, diff)
			}
		})
	}
}

// TestSharedHeaderValues: the values every response shares are never
// changed through one response's header. A handler (or net/http) adding a
// value to a header of one response must not add it to another's, nor
// overwrite what another added.
func TestSharedHeaderValues(t *testing.T) {
	s := shippedServer(t)
	const page = "/letters/open-letter-to-interpol/"
	serve := func(added string) http.Header {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", page, nil))
		h := rec.Header()
		for k, v := range h {
			if slices.Contains(v, "first") {
				t.Errorf("%s: %q, with a value added to another response", k, v)
			}
			h.Add(k, added)
		}
		return h
	}
	first := serve("first")
	serve("second")
	for k, v := range first {
		if v[len(v)-1] != "first" {
			t.Errorf("%s: %q, what this response added was overwritten", k, v)
		}
	}
}
