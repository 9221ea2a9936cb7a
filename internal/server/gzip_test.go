package server_test

import "testing"

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
