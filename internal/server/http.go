package server

import (
	"bytes"
	"log"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Limits of the HTTP server. A slow reader on Tor may take many minutes to
// download a large PDF, so there is no limit on a response's total time:
// instead each write must make progress within writeStall, which cuts off
// clients that stop reading (or read a byte a minute to hold a connection)
// without cutting off slow ones.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second // the site takes no bodies
	writeStall        = 30 * time.Second
	idleTimeout       = 120 * time.Second
	// maxHeaderBytes makes the request line and headers together at most
	// 16 KB, the limit the README states: net/http reads MaxHeaderBytes
	// plus 4096 bytes of slack before it answers 431.
	maxHeaderBytes = 16<<10 - 4096
)

// NewHTTPServer wraps h in an http.Server with the timeouts and limits a
// public site needs: slow clients cannot hold connections open for ever,
// and no client can hold all of them (see connLimiter). net/http's own
// messages go to the Server's logger, and the caps come from its Config,
// when h is one.
func NewHTTPServer(h http.Handler) *http.Server {
	logger := slog.Default()
	var cfg Config
	if s, ok := h.(*Server); ok {
		logger, cfg = s.log, s.cfg
	}
	conns := newConnLimiter(cfg, logger)
	return &http.Server{
		ConnState:         conns.connState,
		Handler:           keepWriting(h),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeStall, // until the first write; see keepWriting
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// "OPTIONS *" would otherwise be answered 200 by net/http itself;
		// the site answers GET and HEAD only.
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     log.New(scrubbedLog{logger}, "", 0),
	}
}

// keepWriting moves the connection's write deadline forward as a response
// is written, so that a response may take as long as it needs as long as
// it moves: each write starts with at least half of writeStall ahead of it.
// net/http has set the deadline writeStall ahead when it read the request,
// so a page written at once (most responses) moves it no further and
// spares the timer's update that setting a deadline costs.
func keepWriting(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&responseWriter{ResponseWriter: w, deadline: time.Now().Add(writeStall)}, r)
	})
}

// responseWriter is what the handlers of a request write to: it keeps the
// connection's write deadline moving (see keepWriting), and notes the
// status of the response and when it was given, which the access log keeps
// a request by. One writer for both spares every request an allocation.
type responseWriter struct {
	http.ResponseWriter
	deadline time.Time // the connection's write deadline, as last set; zero: not moved
	status   int
	bytes    int
	answered time.Time // when the status was written
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status, w.answered = code, time.Now()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	now := time.Now()
	if w.status == 0 {
		w.status, w.answered = http.StatusOK, now
	}
	if !w.deadline.IsZero() && w.deadline.Sub(now) < writeStall/2 {
		// An error means the connection cannot take deadlines (a test
		// recorder); the server's WriteTimeout then holds. The controller
		// is made here, where it stays on the stack, rather than kept in
		// w: that would cost every request an allocation.
		w.deadline = now.Add(writeStall)
		_ = http.NewResponseController(w.ResponseWriter).SetWriteDeadline(w.deadline)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// scrubbedLog passes net/http's own messages ("TLS handshake error from
// 198.51.100.7:51234", "panic serving …") to slog with every address cut
// to its network, as the access log does.
type scrubbedLog struct{ log *slog.Logger }

var addrPattern = regexp.MustCompile(`\[[0-9A-Fa-f:.]+\](:\d+)?|\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b|\b[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}\b`)

func (l scrubbedLog) Write(b []byte) (int, error) {
	msg := addrPattern.ReplaceAllStringFunc(string(bytes.TrimSpace(b)), func(s string) string {
		if a, ok := parseAddr(s); ok {
			return network(a).String()
		}
		if a, ok := parseAddr(strings.Trim(s, "[]")); ok {
			return network(a).String()
		}
		return s
	})
	l.log.Warn("http server", "message", msg)
	return len(b), nil
}
