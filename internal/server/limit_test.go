package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"archive/internal/server"
)

// TestSearchRateLimit follows one sequence of searches through the real
// router: each client network has its own bucket, a whole /24 or IPv6 /48
// shares one, X-Forwarded-For counts only from a trusted proxy, and pages
// are never limited.
func TestSearchRateLimit(t *testing.T) {
	s, _ := loggedServer(t, server.Config{
		SearchRate:     0.5,
		SearchBurst:    3,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")},
	})
	steps := []struct {
		name    string
		remote  string
		xff     string
		path    string
		limited bool
	}{
		{"first", "192.0.2.10:1000", "", "/search?q=interpol", false},
		{"second", "192.0.2.10:1001", "", "/search?q=interpol", false},
		{"third, end of burst", "192.0.2.10:1002", "", "/api/search?q=interpol", false},
		{"fourth", "192.0.2.10:1003", "", "/search?q=interpol", true},
		{"same /24", "192.0.2.200:1000", "", "/search?q=interpol", true},
		{"same address, IPv4-mapped", "[::ffff:192.0.2.10]:1000", "", "/search?q=interpol", true},
		{"forwarded-for from an untrusted peer is ignored", "192.0.2.10:1000", "203.0.113.9", "/search?q=interpol", true},
		{"API too", "192.0.2.10:1000", "", "/api/search?q=interpol", true},
		{"pages are never limited", "192.0.2.10:1000", "", "/", false},
		{"other network", "192.0.3.10:1000", "", "/search?q=interpol", false},
		{"IPv6 1", "[2001:db8:1:1::1]:1000", "", "/search?q=interpol", false},
		{"IPv6 2", "[2001:db8:1:1::1]:1000", "", "/search?q=interpol", false},
		{"IPv6 3", "[2001:db8:1:1::1]:1000", "", "/search?q=interpol", false},
		{"IPv6 other /64 of the same /48", "[2001:db8:1:ffff::2]:1000", "", "/search?q=interpol", true},
		{"IPv6 other /48", "[2001:db8:2::1]:1000", "", "/search?q=interpol", false},
		{"behind the proxy 1", "10.9.0.1:1000", "203.0.113.9", "/search?q=interpol", false},
		{"behind the proxy 2", "10.9.0.1:1000", "203.0.113.9", "/search?q=interpol", false},
		{"behind another trusted proxy", "10.9.0.2:1000", "203.0.113.9, 10.9.0.1", "/search?q=interpol", false},
		{"spoofed entry before the real one", "10.9.0.1:1000", "198.51.100.1, 203.0.113.77", "/search?q=interpol", true},
		{"the proxy itself is another client", "10.9.0.1:1000", "", "/search?q=interpol", false},
	}
	for _, st := range steps {
		req := httptest.NewRequest("GET", st.path, nil)
		req.RemoteAddr = st.remote
		if st.xff != "" {
			req.Header.Set("X-Forwarded-For", st.xff)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		res := rec.Result()
		b := body(t, res)
		if got := res.StatusCode == http.StatusTooManyRequests; got != st.limited {
			t.Errorf("%s: status %d, limited = %v, want %v", st.name, res.StatusCode, got, st.limited)
			continue
		}
		if !st.limited {
			continue
		}
		if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 10 {
			t.Errorf("%s: Retry-After = %q, want whole seconds, about 2", st.name, res.Header.Get("Retry-After"))
		}
		if strings.HasPrefix(st.path, "/api/") {
			var v struct{ Error string }
			if err := json.Unmarshal([]byte(b), &v); err != nil || v.Error == "" || res.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s: API refusal is not JSON with an error: %q (%v)", st.name, b, err)
			}
		} else if !strings.Contains(b, "too often") || !strings.Contains(b, "<h1>Too many requests</h1>") {
			t.Errorf("%s: refusal page does not say why:\n%.400s", st.name, b)
		}
	}
}

// blockingHandler holds requests for /hold until release is closed, and
// answers the others at once.
type blockingHandler struct {
	entered chan struct{}
	release chan struct{}
}

func (h *blockingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/hold" {
		h.entered <- struct{}{}
		<-h.release
	}
	w.Write([]byte("ok"))
}

func serveAsync(h http.Handler, path string) <-chan *http.Response {
	done := make(chan *http.Response, 1)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		done <- rec.Result()
	}()
	return done
}

// TestSearchConcurrencyCap: past MaxConcurrent searches in flight, a search
// waits up to Wait for a slot, then gets 503; the queue for slots is
// bounded, and past it the answer is an immediate 503.
func TestSearchConcurrencyCap(t *testing.T) {
	t.Run("wait then 503", func(t *testing.T) {
		h := &blockingHandler{entered: make(chan struct{}, 8), release: make(chan struct{})}
		l := server.NewSearchLimiter(server.SearchLimits{MaxConcurrent: 2, Wait: 100 * time.Millisecond})
		lh := l.Wrap(h)
		held := []<-chan *http.Response{serveAsync(lh, "/hold"), serveAsync(lh, "/hold")}
		<-h.entered
		<-h.entered
		start := time.Now()
		res := <-serveAsync(lh, "/quick")
		waited := time.Since(start)
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Errorf("third search: status %d, Retry-After %q; want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
		}
		if waited < 90*time.Millisecond || waited > 2*time.Second {
			t.Errorf("third search refused after %v; want after about the 100ms wait", waited)
		}
		// A search that arrives while the slots are taken gets one freed
		// during its wait.
		queued := serveAsync(lh, "/quick")
		time.Sleep(20 * time.Millisecond)
		close(h.release)
		if res := <-queued; res.StatusCode != 200 {
			t.Errorf("search that waited for a freed slot: status %d, want 200", res.StatusCode)
		}
		for _, c := range held {
			if res := <-c; res.StatusCode != 200 {
				t.Errorf("held search: status %d", res.StatusCode)
			}
		}
	})
	t.Run("short queue", func(t *testing.T) {
		h := &blockingHandler{entered: make(chan struct{}, 1), release: make(chan struct{})}
		l := server.NewSearchLimiter(server.SearchLimits{MaxConcurrent: 1, Wait: 10 * time.Second})
		lh := l.Wrap(h)
		held := serveAsync(lh, "/hold")
		<-h.entered
		var waiters []<-chan *http.Response
		// The queue holds 128 searches per slot.
		for range 128 {
			waiters = append(waiters, serveAsync(lh, "/quick"))
		}
		for deadline := time.Now().Add(30 * time.Second); l.Waiting() < 128; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("only %d searches joined the queue", l.Waiting())
			}
		}
		start := time.Now()
		res := <-serveAsync(lh, "/quick")
		// Refused at once, rather than after the queue's 10 s wait.
		if res.StatusCode != http.StatusServiceUnavailable || time.Since(start) > 5*time.Second {
			t.Errorf("search past a full queue: status %d after %v, want an immediate 503", res.StatusCode, time.Since(start))
		}
		close(h.release)
		<-held
		for i, c := range waiters {
			if res := <-c; res.StatusCode != 200 {
				t.Errorf("queued search %d: status %d, want 200", i, res.StatusCode)
			}
		}
	})
}

// TestSearchLimiterRefills: tokens come back at the configured rate.
func TestSearchLimiterRefills(t *testing.T) {
	const rate = 2 // a token every 500 ms
	l := server.NewSearchLimiter(server.SearchLimits{Rate: rate, Burst: 1})
	lh := l.Wrap(&blockingHandler{})
	status := func() int { return (<-serveAsync(lh, "/quick")).StatusCode }
	start := time.Now()
	if got := status(); got != 200 {
		t.Fatalf("first: %d", got)
	}
	if got, d := status(), time.Since(start); got != http.StatusTooManyRequests && d < time.Second/rate {
		t.Fatalf("second at once: %d, want 429", got)
	}
	// The token comes back, and not before its time.
	for deadline := time.Now().Add(10 * time.Second); status() != 200; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no token came back in 10 s")
		}
	}
	if d := time.Since(start); d < time.Second/rate*9/10 {
		t.Errorf("a token came back after %v, want about %v", d, time.Second/rate)
	}
}

// TestSearchLimiterMemory: a flood from more networks than the limiter
// remembers does not grow its table past the bound.
func TestSearchLimiterMemory(t *testing.T) {
	l := server.NewSearchLimiter(server.SearchLimits{Rate: 1, Burst: 5})
	lh := l.Wrap(&blockingHandler{})
	req := httptest.NewRequest("GET", "/quick", nil)
	for i := range 100_000 {
		req.RemoteAddr = fmt.Sprintf("%d.%d.%d.1:80", 11+i>>16, i>>8&0xff, i&0xff)
		lh.ServeHTTP(httptest.NewRecorder(), req)
	}
	if n := l.Clients(); n > 1<<16 || n == 0 {
		t.Errorf("limiter remembers %d networks; want at most 65536", n)
	}
}

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"10.0.0.0/8, 192.0.2.1 ,::1", []string{"10.0.0.0/8", "192.0.2.1/32", "::1/128"}, false},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}, false},
		{"::ffff:10.0.0.1", []string{"10.0.0.1/32"}, false},
		{"proxy.example", nil, true},
		{"10.0.0.0/33", nil, true},
	}
	for _, tt := range tests {
		got, err := server.ParsePrefixes(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParsePrefixes(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		var gs []string
		for _, p := range got {
			gs = append(gs, p.String())
		}
		if diff := cmp.Diff(tt.want, gs); diff != "" {
			t.Errorf("ParsePrefixes(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// FuzzClientNetwork: whatever a peer or a header says, the client is a
// network of the right size or "unknown", never the raw text.
func FuzzClientNetwork(f *testing.F) {
	f.Add("10.0.0.1:80", "203.0.113.9")
	f.Add("[::1]:80", "2001:db8::1, 10.0.0.2, ::1")
	f.Add("10.0.0.1:80", "<script>, 1.2.3.4:5, [fe80::1%eth0]:9")
	f.Add("garbage", "")
	f.Add("[fe80::1%25eth0]:80", ",,,")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		req.Header.Set("X-Forwarded-For", xff)
		got := server.ClientNetwork(req, trusted)
		if got == "unknown" {
			return
		}
		p, err := netip.ParsePrefix(got)
		if err != nil {
			t.Fatalf("ClientNetwork = %q, not a network", got)
		}
		if want := map[bool]int{true: 24, false: 48}[p.Addr().Is4()]; p.Bits() != want || p.Masked() != p {
			t.Errorf("ClientNetwork = %q, want a masked /%d", got, want)
		}
	})
}

// BenchmarkRefusal: refusals come in floods, so they must cost no more than
// a page served from memory.
//
//	go test -run XXX -bench Refusal ./internal/server
func BenchmarkRefusal(b *testing.B) {
	s, err := serveContent(layoutOnly(os.DirFS(repo("content"))), server.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct{ name, method, target string }{
		{"page", "GET", "/letters/"},
		{"404", "GET", "/no/such/page/"},
		{"400", "GET", "/../site.toml"},
		{"405", "POST", "/"},
		{"429", "GET", "/search?q=interpol"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			req := httptest.NewRequest(bb.method, bb.target, nil)
			req.RemoteAddr = "192.0.2.1:1"
			for b.Loop() {
				s.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
