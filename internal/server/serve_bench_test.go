package server

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// BenchmarkServePage is the cost of a publication page from memory, gzip
// accepted, beside a bare handler that sends the same headers and bytes
// from a map (cmd/bench's yardstick). "handler" calls the handlers alone,
// as NewHTTPServer wires them: the difference is what routing, middleware,
// logging and lookups cost a page view. "loopback" serves one connection
// of pipelined requests over loopback, net/http and the kernel included:
// "bare, limits" is the bare handler behind NewHTTPServer's timeouts and
// connection caps, so that the archive's cost beyond the bare server splits
// into what those cost and what the handlers do.
//
//	go test -run '^$' -bench ServePage -benchmem -cpuprofile /tmp/serve.pprof ./internal/server
func BenchmarkServePage(b *testing.B) {
	// Logging as archive serve does, into a buffer (here io.Discard), so
	// that what the log costs is counted and its system calls are not.
	s := newTestServer(b, nil, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	const path = "/investigations/pursued-for-life/"
	newRequest := func() *http.Request {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		return req
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, newRequest())
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" {
		b.Fatalf("GET %s: %d, Content-Encoding %q", path, rec.Code, rec.Header().Get("Content-Encoding"))
	}
	header, body := rec.Header(), rec.Body.Bytes()
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Write(body)
	})

	for _, bb := range []struct {
		name string
		h    http.Handler
	}{
		{"handler/archive", NewHTTPServer(s).Handler},
		{"handler/bare", bare},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			req := newRequest()
			for b.Loop() {
				// net/http gives each request a header map of its own.
				bb.h.ServeHTTP(&connWriter{discard{h: make(http.Header)}}, req)
			}
		})
	}

	// NewHTTPServer logs to the default logger for a handler that is not a
	// Server: not into the benchmark's output.
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.DiscardHandler))
	request := []byte("GET " + path + " HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: gzip\r\n\r\n")
	for _, bb := range []struct {
		name   string
		server func() *http.Server // a closed http.Server does not serve again
	}{
		{"loopback/archive", func() *http.Server { return NewHTTPServer(s) }},
		{"loopback/bare, limits", func() *http.Server { return NewHTTPServer(bare) }},
		{"loopback/bare", func() *http.Server { return &http.Server{Handler: bare} }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := bb.server()
			go srv.Serve(ln)
			defer srv.Close()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			b.ReportAllocs()
			go func() { // the requests, pipelined; the responses are read below
				for range b.N {
					if _, err := conn.Write(request); err != nil {
						return
					}
				}
			}()
			r := bufio.NewReaderSize(conn, 64<<10)
			for range b.N {
				if err := readResponse(r, len(body)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// readResponse reads one response of a keep-alive connection, which must
// be a 200 with a body of size bytes, allocating nothing: the benchmark
// counts the server's allocations.
func readResponse(r *bufio.Reader, size int) error {
	status, err := r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return &responseError{status}
	}
	length := -1
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			length, _ = strconv.Atoi(string(v))
		}
	}
	if length != size {
		return &responseError{status}
	}
	_, err = r.Discard(length)
	return err
}

type responseError struct{ status []byte }

func (e *responseError) Error() string {
	return "unexpected response: " + string(bytes.TrimSpace(e.status))
}

// connWriter takes write deadlines, as net/http's response does: without
// them keepWriting's deadline would cost an error per write, which a real
// connection never does.
type connWriter struct{ discard }

func (connWriter) SetWriteDeadline(time.Time) error { return nil }
