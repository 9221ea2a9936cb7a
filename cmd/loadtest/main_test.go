package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"archive/internal/wrk"
)

func route(name string, statuses map[int]int64) wrk.Route {
	r := wrk.Route{Name: name, Result: wrk.Result{Statuses: statuses}}
	for _, c := range statuses {
		r.Requests += c
	}
	return r
}

// TestVerdict: a broken search fails the load test, in either phase; a
// flood may cost readers' searches a 429 or a 503, and nothing more.
func TestVerdict(t *testing.T) {
	pages := route("page", map[int]int64{200: 100})
	tests := []struct {
		name          string
		calm, flooded []wrk.Route
		mid, end      int64
		fails         bool
	}{
		{"all well", []wrk.Route{pages, route("search", map[int]int64{200: 10})}, []wrk.Route{pages, route("search", map[int]int64{200: 5, 503: 3, 429: 2})}, 100 << 20, 101 << 20, false},
		{"search broken", []wrk.Route{pages, route("search", map[int]int64{500: 10})}, []wrk.Route{pages}, 0, 0, true},
		{"search missing", []wrk.Route{pages, route("api-search", map[int]int64{404: 10})}, []wrk.Route{pages}, 0, 0, true},
		{"search shed alone", []wrk.Route{pages, route("search", map[int]int64{200: 9, 503: 1})}, []wrk.Route{pages}, 0, 0, true},
		{"search broken under the flood", []wrk.Route{pages}, []wrk.Route{pages, route("search", map[int]int64{200: 5, 500: 1})}, 0, 0, true},
		{"pages shed under the flood", []wrk.Route{pages}, []wrk.Route{route("page", map[int]int64{200: 5, 503: 1})}, 0, 0, true},
		{"never sent", []wrk.Route{pages, route("search", nil)}, []wrk.Route{pages}, 0, 0, true},
		{"unanswered", []wrk.Route{{Name: "page", Result: wrk.Result{Requests: 5, Statuses: map[int]int64{200: 5}, Read: 1}}}, []wrk.Route{pages}, 0, 0, true},
		{"memory grows", []wrk.Route{pages}, []wrk.Route{pages}, 100 << 20, 200 << 20, true},
	}
	for _, tt := range tests {
		got := verdict(tt.calm, tt.flooded, tt.mid, tt.end)
		if (len(got) > 0) != tt.fails {
			t.Errorf("%s: verdict %q, want failure %v", tt.name, got, tt.fails)
		}
	}
}

// TestLoadtestShort is the short load test of make test: the real binary
// serving the shipped content, a few seconds per phase.
func TestLoadtestShort(t *testing.T) {
	if testing.Short() {
		t.Skip("puts load on the machine for a few seconds")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed (.ci/run installs it)")
	}
	var out strings.Builder
	err := run(context.Background(), options{duration: 4 * time.Second, clients: 16, flood: 8, networks: 4096, content: "../../content", maxPages: 50}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
}
