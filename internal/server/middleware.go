package server

import (
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// recoverPanics turns a panic in a handler into a 500 page and a log line
// with the stack, so one bad request cannot take the process down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A build's pages are a mapped file. Were it cut short under the
		// server, reading a page could fault (SIGBUS, on file systems that
		// do not hand back zeros); this makes the fault a panic of this
		// request rather than the end of the process.
		debug.SetPanicOnFault(true)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "path", r.URL.Path, "value", v, "stack", string(debug.Stack()))
				s.writeError(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again later.")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// slowRequest is how long a request may wait for its answer to start before
// the access log keeps it, whatever its status. A page from memory starts in
// microseconds and a search in milliseconds: a request this slow waited for
// a slot or a busy machine. The time to the status, not to the last byte,
// is what counts, so that a slow reader's long download is not "slow".
const slowRequest = 500 * time.Millisecond

// logged says whether the access log keeps a request: one that failed, or
// one slow to be answered. A reader's page view that went well is not
// kept at all: a record of who read what is a danger to readers in some
// places, and at thousands of pages a second the line costs as much as
// the page.
func logged(status int, firstByte time.Duration) bool {
	return status >= 400 || firstByte >= slowRequest
}

// accessLog logs the requests that failed or were slow (see logged). The
// client is logged by its network only (IPv4 /24, IPv6 /48; see
// ClientNetwork) and the query string not at all, so that a log never
// proves who read or searched for what.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Behind NewHTTPServer, w is its writer already; a Server may also
		// serve by itself (in tests), and its deadline then stays put.
		sw, ok := w.(*responseWriter)
		if !ok {
			sw = &responseWriter{ResponseWriter: w}
		}
		next.ServeHTTP(sw, r)
		if sw.status == 0 { // nothing written: net/http sends a 200 now
			sw.status, sw.answered = http.StatusOK, time.Now()
		}
		// Watch mode's long poll waits for a change on purpose.
		if firstByte := sw.answered.Sub(start); logged(sw.status, firstByte) && (sw.status >= 400 || !strings.HasPrefix(r.URL.Path, "/_watch/")) {
			s.logRequest(r, sw, firstByte, time.Since(start))
		}
	})
}

// logRequest writes the access log's line. It is a function of its own so
// that the line's arguments take no room in accessLog's frame, which is on
// the stack of every request, logged or not: a collection shrinks the
// stacks of idle connections, and the next request grows a deep one again.
func (s *Server) logRequest(r *http.Request, sw *responseWriter, firstByte, took time.Duration) {
	s.log.Info("request",
		"method", r.Method,
		"path", r.URL.Path,
		"status", sw.status,
		"bytes", sw.bytes,
		"first_byte", firstByte.Round(time.Microsecond),
		"took", took.Round(time.Microsecond),
		"client", ClientNetwork(r, s.cfg.TrustedProxies))
}

// Security headers every response carries.
const (
	// No script at all, nothing from another host, no plugins, no framing,
	// forms only to this site.
	contentSecurityPolicy = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	// Every powerful feature a page could ask for is off: the site uses none.
	permissionsPolicy = "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), browsing-topics=(), interest-cohort=()"
)

// securityHeaderValues are the headers of securityHeaders, keys canonical
// and values made once: copying them into a response costs neither the
// canonicalisation nor the allocation of Header.Set. Every response shares
// these slices (and those of sharedValue), so nothing may write into one;
// Header.Set replaces a slice and Header.Add appends to a copy, since each
// is full (its capacity is its length).
var securityHeaderValues = []struct {
	key   string
	value []string
}{
	{"Content-Security-Policy", sharedValue(contentSecurityPolicy)},
	{"X-Content-Type-Options", sharedValue("nosniff")},
	{"Referrer-Policy", sharedValue("no-referrer")},
	{"X-Frame-Options", sharedValue("DENY")},
	{"Cross-Origin-Opener-Policy", sharedValue("same-origin")},
	{"Cross-Origin-Resource-Policy", sharedValue("same-origin")},
	{"Permissions-Policy", sharedValue(permissionsPolicy)},
}

var strictTransportSecurity = sharedValue("max-age=63072000; includeSubDomains")

// sharedValue is a header value for every response: see
// securityHeaderValues. A slice literal's capacity is its length.
func sharedValue(v string) []string { return []string{v} }

// securityHeaders sets the headers every response carries: no script, no
// other host, no framing, no referrer leaving the site. HSTS only over TLS,
// seen directly or reported by a trusted proxy: sent over plain HTTP (an
// onion service, a test on a laptop) it would be ignored or wrong.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, kv := range securityHeaderValues {
			h[kv.key] = kv.value
		}
		if r.TLS != nil || s.behindTLSProxy(r) {
			h["Strict-Transport-Security"] = strictTransportSecurity
		}
		next.ServeHTTP(w, r)
	})
}

// behindTLSProxy reports whether a trusted proxy says the reader connected
// over TLS.
func (s *Server) behindTLSProxy(r *http.Request) bool {
	if len(s.cfg.TrustedProxies) == 0 || !strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return false
	}
	peer, ok := parseAddr(r.RemoteAddr)
	return ok && isTrusted(peer, s.cfg.TrustedProxies)
}
