package server_test

import (
	"strings"
	"testing"
)

func TestWatchOffByDefault(t *testing.T) {
	s := shippedServer(t)
	if b := body(t, get(t, s, "GET", "/")); strings.Contains(b, "<script src") {
		t.Error("a page outside watch mode carries a script")
	}
	if res := get(t, s, "GET", "/_watch/reload.js"); res.StatusCode != 404 {
		t.Errorf("/_watch/reload.js outside watch mode: %d, want 404", res.StatusCode)
	}
}
