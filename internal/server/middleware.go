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

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog logs each request. The client is logged by its network only
// (IPv4 /24, IPv6 /48; see ClientNetwork) and the query string not at all,
// so that a log never proves who read or searched for what.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		s.log.Info("request",
			"method", r.Method,
			"path", r.URL.Path,
			"status", sw.status,
			"bytes", sw.bytes,
			"took", time.Since(start).Round(time.Microsecond),
			"client", ClientNetwork(r, s.cfg.TrustedProxies))
	})
}

// Security headers every response carries.
const (
	// No script at all, nothing from another host, no plugins, no framing,
	// forms only to this site.
	contentSecurityPolicy = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	// Every powerful feature a page could ask for is off: the site uses none.
	permissionsPolicy = "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), browsing-topics=(), interest-cohort=()"
)

// securityHeaders sets the headers every response carries: no script, no
// other host, no framing, no referrer leaving the site. HSTS only over TLS,
// seen directly or reported by a trusted proxy: sent over plain HTTP (an
// onion service, a test on a laptop) it would be ignored or wrong.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", permissionsPolicy)
		if r.TLS != nil || s.behindTLSProxy(r) {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
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
