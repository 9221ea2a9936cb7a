package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log the test reads while handlers may write it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// requestLines are the access log's lines for path.
func (l *syncBuffer) requestLines(path string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.Lines(l.b.String()) {
		if strings.Contains(line, "msg=request ") && strings.Contains(line, " path="+path+" ") {
			out = append(out, line)
		}
	}
	return out
}

func TestLogged(t *testing.T) {
	tests := []struct {
		status    int
		firstByte time.Duration
		want      bool
	}{
		{200, time.Millisecond, false},
		{304, 0, false},
		{301, time.Millisecond, false},
		{206, 0, false},
		{200, slowRequest - time.Millisecond, false},
		{200, slowRequest, true},
		{200, 3 * time.Second, true},
		{400, 0, true},
		{404, time.Millisecond, true},
		{429, 0, true},
		{500, 0, true},
		{503, time.Second, true},
	}
	for _, tt := range tests {
		if got := logged(tt.status, tt.firstByte); got != tt.want {
			t.Errorf("logged(%d, %v) = %v, want %v", tt.status, tt.firstByte, got, tt.want)
		}
	}
}

// TestAccessLogKeeps: through the real router, the access log keeps the
// requests that failed and leaves out those served, so that no line says
// which network read which page.
func TestAccessLogKeeps(t *testing.T) {
	logs := &syncBuffer{}
	s := newTestServer(t, nil, Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	const letter = "/letters/open-letter-to-interpol/"
	etag := func() string {
		res, _ := request(s, letter)
		return res.Header.Get("ETag")
	}()
	tests := []struct {
		method, target string
		header         []string
		status         int
		kept           bool
	}{
		{"GET", "/investigations/pursued-for-life/", []string{"Accept-Encoding", "gzip"}, 200, false},
		{"HEAD", "/letters/", nil, 200, false},
		{"GET", letter, []string{"If-None-Match", etag}, 304, false},
		{"GET", "/investigations/pursued-for-life", nil, 301, false},
		{"GET", "/tags/", nil, 200, false},
		{"GET", "/no/such/page/", nil, 404, true},
		{"POST", "/archive/", nil, 405, true},
		{"GET", "/a/%2e%2e/b", nil, 400, true},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.target, nil)
		req.RemoteAddr = "198.51.100.77:5555"
		for i := 0; i+1 < len(tt.header); i += 2 {
			req.Header.Set(tt.header[i], tt.header[i+1])
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.target, rec.Code, tt.status)
			continue
		}
		lines := logs.requestLines(req.URL.Path)
		if kept := len(lines) > 0; kept != tt.kept {
			t.Errorf("%s %s (%d): logged %v, want %v: %q", tt.method, tt.target, tt.status, kept, tt.kept, lines)
		}
		for _, line := range lines {
			if !strings.Contains(line, "client=198.51.100.0/24") || strings.Contains(line, "198.51.100.77") {
				t.Errorf("%s %s: the line must name the network only: %s", tt.method, tt.target, line)
			}
		}
	}
}

// TestAccessLogSlow: a request slow to be answered is kept whatever its
// status; one answered at once and slow to send (a slow reader's
// download) is not.
func TestAccessLogSlow(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		kept    bool
	}{
		{"slow to answer", func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(slowRequest + 50*time.Millisecond)
			w.Write([]byte("late"))
		}, true},
		{"slow to send", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			time.Sleep(slowRequest + 50*time.Millisecond)
			w.Write([]byte("long"))
		}, false},
		{"nothing written", func(w http.ResponseWriter, r *http.Request) {}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			s := New(Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
			h := s.accessLog(tt.handler)
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x/", nil))
			lines := logs.requestLines("/x/")
			if kept := len(lines) > 0; kept != tt.kept {
				t.Errorf("logged %v, want %v: %q", kept, tt.kept, lines)
			}
			if tt.kept && (len(lines) != 1 || !strings.Contains(lines[0], "status=200") || !strings.Contains(lines[0], "first_byte=")) {
				t.Errorf("line %q lacks the status or the time to the first byte", lines)
			}
		})
	}
}
