package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"archive/internal/pipeline"
	"archive/internal/site"
)

// maxURLBytes caps the request target. Go's server caps the request line and
// headers together (MaxHeaderBytes); a URL between the two limits is refused
// here with a status that says what is wrong.
const maxURLBytes = 8 << 10

// maxRanges is the most ranges one request may ask for.
const maxRanges = 8

// refuseBadRequests answers, before any routing, the requests the site never
// has a reason to take: other methods than GET and HEAD, bodies (the site
// takes no uploads), very long URLs, and paths that only an attack would
// write (NUL and control bytes, backslashes, dot segments, encoded slashes,
// bytes that are not UTF-8, such as overlong encodings of "."). The file
// handlers only serve names the loader listed, so none of these could read
// a file anyway; refusing them here keeps it that way if a handler changes.
func (s *Server) refuseBadRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			w.Header().Set("Allow", "GET, HEAD")
			s.refuse(w, r, http.StatusMethodNotAllowed, "This site only answers GET and HEAD requests.")
		case len(r.RequestURI) > maxURLBytes:
			s.refuse(w, r, http.StatusRequestURITooLong, "This address is too long.")
		case r.ContentLength != 0 || len(r.TransferEncoding) > 0:
			// Closing the connection spares the server reading a body it
			// would throw away.
			w.Header().Set("Connection", "close")
			s.refuse(w, r, http.StatusRequestEntityTooLarge, "This site takes no uploads.")
		case !cleanPath(r.URL):
			s.refuse(w, r, http.StatusBadRequest, "This address is not valid.")
		default:
			// Many small ranges make a response far larger than the file's
			// bytes; readers and PDF viewers ask for one or two. RFC 9110
			// lets a server ignore such a Range and send the whole file.
			if rg := r.Header.Get("Range"); strings.Count(rg, ",") >= maxRanges {
				r.Header.Del("Range")
			}
			next.ServeHTTP(w, r)
		}
	})
}

// refuse answers a request the server chose not to serve. Unlike a failure
// its message is shown even for a 503, and it is logged at Info. Refusals
// come in floods, so each page is rendered once per loaded site: rendering
// the error template costs more than ten times serving a page from memory.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.log.Info("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "reason", msg)
	st := s.state.Load()
	if st == nil {
		s.writeError(w, r, status, msg)
		return
	}
	rp := s.refusals.Load()
	if rp == nil || rp.st != st {
		rp = &refusalPages{st: st, pages: map[refusalKey]*site.Page{}}
		s.refusals.Store(rp)
	}
	page := rp.page(status, msg)
	if page == nil {
		s.writeError(w, r, status, msg)
		return
	}
	w.Header()["Cache-Control"] = noStore
	writePage(w, r, page)
}

// refusalPages are the rendered pages of refusals for one loaded site. The
// messages are constants of this file, so there are a handful at most.
type refusalPages struct {
	st    *pipeline.State
	mu    sync.Mutex
	pages map[refusalKey]*site.Page
}

type refusalKey struct {
	status int
	msg    string
}

func (rp *refusalPages) page(status int, msg string) *site.Page {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	k := refusalKey{status, msg}
	if p, ok := rp.pages[k]; ok {
		return p
	}
	heading := statusHeadings[status]
	if heading == "" {
		heading = http.StatusText(status)
	}
	p, err := rp.st.Site.ErrorPage(status, heading, msg)
	if err != nil {
		return nil
	}
	rp.pages[k] = p
	return p
}

// cleanPath reports whether u's path is one the site could have written.
func cleanPath(u *url.URL) bool {
	p := u.Path
	if !strings.HasPrefix(p, "/") || !utf8.ValidString(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	raw := strings.ToLower(u.RawPath)
	return !strings.Contains(raw, "%2f") && !strings.Contains(raw, "%5c")
}

// Defaults for the search limits; see Config.
const (
	DefaultSearchRate  = 2  // searches per second, per client network
	DefaultSearchBurst = 30 // searches a client may make at once before the rate applies
	// searchWait is how long a search waits for a free slot before a 503.
	searchWait = time.Second
	// waitingPerSlot bounds the queue for slots. Waiting costs no CPU, so
	// the queue is long enough for a burst of readers' searches to wait
	// rather than fail (at a few ms a search, it drains within searchWait);
	// past it, under a flood, a search is refused at once.
	waitingPerSlot = 128
	// maxSearchClients bounds the memory the per-client buckets take
	// (about 100 bytes each).
	maxSearchClients = 1 << 16
)

// DefaultMaxConcurrentSearches leaves a core for pages on machines with more
// than one: a flood of searches must not slow down reading.
func DefaultMaxConcurrentSearches() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// SearchLimits configures a SearchLimiter.
type SearchLimits struct {
	// Rate is the searches per second a client network may make over time,
	// and Burst how many it may make at once. Rate <= 0 turns the
	// per-client limit off.
	Rate  float64
	Burst int
	// MaxConcurrent is how many searches run at once; more wait up to Wait
	// for a slot, then get 503. Zero means no cap.
	MaxConcurrent int
	Wait          time.Duration
	// TrustedProxies may say who the client is in X-Forwarded-For.
	TrustedProxies []netip.Prefix
}

// SearchLimiter protects an expensive handler (search) from one client
// asking too often (429) and from everyone together asking more than the
// machine can answer while still serving pages (503). Clients are told apart
// by their network (ClientNetwork), so a reader's full address is never
// kept, and a whole IPv6 /48 counts as one client.
type SearchLimiter struct {
	limits  SearchLimits
	slots   chan struct{}
	waiting chan struct{} // bounds the queue for a slot

	mu      sync.Mutex
	clients map[string]*bucket
	swept   time.Time
}

// bucket is a token bucket: tokens refill at the limiter's rate up to its
// burst, and each search takes one.
type bucket struct {
	tokens float64
	last   time.Time
}

// NewSearchLimiter returns a limiter with the given limits.
func NewSearchLimiter(l SearchLimits) *SearchLimiter {
	sl := &SearchLimiter{limits: l, clients: map[string]*bucket{}, swept: time.Now()}
	if l.MaxConcurrent > 0 {
		sl.slots = make(chan struct{}, l.MaxConcurrent)
		sl.waiting = make(chan struct{}, waitingPerSlot*l.MaxConcurrent)
	}
	if sl.limits.Burst < 1 {
		sl.limits.Burst = 1
	}
	return sl
}

// refusal is why a search was not let through.
type refusal struct {
	status int
	retry  time.Duration
	msg    string
}

// admit applies the limits to r: it returns the function that frees the
// search's slot, or why the search is refused.
func (sl *SearchLimiter) admit(r *http.Request) (release func(), refused *refusal) {
	if wait, ok := sl.allow(ClientNetwork(r, sl.limits.TrustedProxies), time.Now()); !ok {
		return nil, &refusal{http.StatusTooManyRequests, wait,
			"You have searched too often in a short time. Please wait a little and try again."}
	}
	release, ok := sl.acquire(r.Context(), sl.limits.Wait)
	if !ok {
		return nil, &refusal{http.StatusServiceUnavailable, 2 * time.Second,
			"Search is very busy right now. Please try again in a few seconds."}
	}
	return release, nil
}

// Wrap returns next behind the limiter. Refusals are plain text, or JSON
// under /api/.
func (sl *SearchLimiter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		release, refused := sl.admit(r)
		if refused != nil {
			if !writeRefusalJSON(w, r, refused) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(refused.status)
				w.Write([]byte(refused.msg + "\n"))
			}
			return
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}

// searchLimit is the server's SearchLimiter as chi middleware; refused
// searches get the site's error page.
func (s *Server) searchLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		release, refused := s.limiter.admit(r)
		if refused != nil {
			if !writeRefusalJSON(w, r, refused) {
				s.refuse(w, r, refused.status, refused.msg)
			}
			return
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}

// writeRefusalJSON sets the headers of a refusal, and writes it as JSON when
// r is for the API.
func writeRefusalJSON(w http.ResponseWriter, r *http.Request, refused *refusal) bool {
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(refused.retry.Seconds())))))
	h.Set("Cache-Control", "no-store")
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(refused.status)
	json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{refused.msg})
	return true
}

// allow takes a token from key's bucket, or says how long until there is one.
func (sl *SearchLimiter) allow(key string, now time.Time) (time.Duration, bool) {
	rate, burst := sl.limits.Rate, float64(sl.limits.Burst)
	if rate <= 0 {
		return 0, true
	}
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if len(sl.clients) >= maxSearchClients || now.Sub(sl.swept) > time.Minute {
		sl.sweep(now)
	}
	b := sl.clients[key]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		sl.clients[key] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second)), false
}

// sweep forgets the clients whose bucket has refilled: forgetting them
// changes nothing. If a flood from many networks still fills the table,
// half of it goes, which at worst gives those clients a fresh burst; the
// cap on concurrent searches still holds.
func (sl *SearchLimiter) sweep(now time.Time) {
	sl.swept = now
	full := time.Duration(float64(sl.limits.Burst) / sl.limits.Rate * float64(time.Second))
	for k, b := range sl.clients {
		if now.Sub(b.last) >= full {
			delete(sl.clients, k)
		}
	}
	for k := range sl.clients {
		if len(sl.clients) < maxSearchClients/2 {
			break
		}
		delete(sl.clients, k)
	}
}

// Highlighted pages (?hl=) are limited as searches are, by the same rate,
// burst and slots, but each client with buckets of its own (highlightKey),
// so that following the hits of a search does not use up the searches. They wait less for a slot than a
// search does: a reader who waits gets the plain page, so the wait only
// adds to the time the page takes.
const (
	highlightKey  = "hl "
	highlightWait = 50 * time.Millisecond
)

// admitHighlight applies the limits to a highlighted page: it returns the
// function that frees its slot, or false.
func (sl *SearchLimiter) admitHighlight(r *http.Request) (release func(), ok bool) {
	if _, ok := sl.allow(highlightKey+ClientNetwork(r, sl.limits.TrustedProxies), time.Now()); !ok {
		return nil, false
	}
	return sl.acquire(r.Context(), highlightWait)
}

// acquire takes a slot for a search, waiting up to wait (searchWait if 0)
// when all are taken.
func (sl *SearchLimiter) acquire(ctx context.Context, wait time.Duration) (release func(), ok bool) {
	if sl.slots == nil {
		return func() {}, true
	}
	select {
	case sl.slots <- struct{}{}:
		return func() { <-sl.slots }, true
	default:
	}
	select {
	case sl.waiting <- struct{}{}:
		defer func() { <-sl.waiting }()
	default:
		return nil, false
	}
	if wait <= 0 {
		wait = searchWait
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case sl.slots <- struct{}{}:
		return func() { <-sl.slots }, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// Waiting is how many searches wait for a slot.
func (sl *SearchLimiter) Waiting() int {
	if sl.waiting == nil {
		return 0
	}
	return len(sl.waiting)
}

// ClientNetwork names the client of r by its network (IPv4 /24, IPv6 /48):
// the connection's peer, or, when the peer is one of trusted, the nearest
// address in X-Forwarded-For that is not. Only the network is ever kept, in
// logs and in the search limiter, so that no record shows which reader asked
// for what.
func ClientNetwork(r *http.Request, trusted []netip.Prefix) string {
	addr, ok := clientAddr(r, trusted)
	if !ok {
		return "unknown"
	}
	return network(addr).String()
}

func clientAddr(r *http.Request, trusted []netip.Prefix) (netip.Addr, bool) {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok || !isTrusted(peer, trusted) {
		return peer, ok
	}
	hops := strings.Join(r.Header.Values("X-Forwarded-For"), ",")
	client := peer
	for hops != "" {
		var hop string
		if i := strings.LastIndexByte(hops, ','); i >= 0 {
			hops, hop = hops[:i], hops[i+1:]
		} else {
			hops, hop = "", hops
		}
		a, ok := parseAddr(strings.TrimSpace(hop))
		if !ok {
			// Written by someone we do not trust: the last trusted hop is
			// all we know.
			break
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client, true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseAddr reads an address with or without a port, as peers and proxies
// write them.
func parseAddr(s string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// network is the part of a that is kept: enough to tell networks apart,
// not enough to name a reader.
func network(a netip.Addr) netip.Prefix {
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p
}

// newSearchLimiter reads the server's search limits from its config.
func newSearchLimiter(cfg Config) *SearchLimiter {
	l := SearchLimits{
		Rate:           cfg.SearchRate,
		Burst:          cfg.SearchBurst,
		MaxConcurrent:  cfg.MaxConcurrentSearches,
		TrustedProxies: cfg.TrustedProxies,
	}
	if l.Rate == 0 {
		l.Rate = DefaultSearchRate
	}
	if l.Burst == 0 {
		l.Burst = DefaultSearchBurst
	}
	if l.MaxConcurrent == 0 {
		l.MaxConcurrent = DefaultMaxConcurrentSearches()
	}
	return NewSearchLimiter(l)
}

// ParsePrefixes reads a comma-separated list of CIDRs or single addresses,
// as the -trusted-proxies flag gives them.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or a CIDR such as 10.0.0.0/8", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Clients reports how many client networks the limiter remembers, for
// monitoring; it stays under 65,536 whatever the traffic.
func (sl *SearchLimiter) Clients() int {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	return len(sl.clients)
}
