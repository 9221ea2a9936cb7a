package server

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"

	"archive/internal/content"
	"archive/internal/pipeline"
	"archive/internal/site"
)

// healthz says whether the archive is ready: 503 until pages and the
// search index are both served, which is all a load balancer reads. The
// JSON body also says how the State was made and how long each step took,
// for deploy scripts and the benchmark.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	type health struct {
		Status  string            `json:"status"`
		Pages   bool              `json:"pages"`
		Search  bool              `json:"search"`
		Timings *pipeline.Timings `json:"timings,omitempty"`
	}
	h := health{Status: "loading content"}
	status := http.StatusServiceUnavailable
	if st := s.state.Load(); st != nil {
		h.Pages, h.Search, h.Timings = true, st.Index != nil, &st.Timings
		h.Status = "building search index"
		if h.Search {
			h.Status, status = "ok", http.StatusOK
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, status, h)
}

// loaded returns the current state, or a 503 while the content loads.
func (s *Server) loaded(w http.ResponseWriter) (*pipeline.State, error) {
	st := s.state.Load()
	if st == nil {
		w.Header().Set("Retry-After", "5")
		return nil, errorf(http.StatusServiceUnavailable, "The archive is starting. Please try again in a few seconds.")
	}
	return st, nil
}

func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) error {
	st, err := s.loaded(w)
	if err != nil {
		return err
	}
	a, ok := st.Site.Assets.ByURL[r.URL.Path]
	if !ok {
		return errNotFound
	}
	w.Header()["Cache-Control"] = cacheAsset
	writePage(w, r, a.Page)
	return nil
}

// servePath serves a rendered page, a redirect, or a content file.
func (s *Server) servePath(w http.ResponseWriter, r *http.Request) error {
	st, err := s.loaded(w)
	if err != nil {
		return err
	}
	p := r.URL.Path
	// WordPress's short links (/?p=ID) of a site moved in.
	if p == "/" && r.URL.RawQuery != "" {
		if to, ok := st.Site.Content.Redirects[shortLink(r.URL.RawQuery)]; ok {
			http.Redirect(w, r, to, http.StatusMovedPermanently)
			return nil
		}
	}
	if page, ok := st.Site.Pages[p]; ok {
		// Search words to mark, or a feed that needs the request's origin.
		if done, err := s.serveVariant(w, r, st, page); done || err != nil {
			return err
		}
		w.Header()["Cache-Control"] = cachePage
		writePage(w, r, s.watchPage(w, page))
		return nil
	}
	if to, ok := st.Site.Content.Redirects[p]; ok {
		http.Redirect(w, r, to, http.StatusMovedPermanently)
		return nil
	}
	if !strings.HasSuffix(p, "/") {
		if _, ok := st.Site.Pages[p+"/"]; ok {
			http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
			return nil
		}
		if to, ok := st.Site.Content.Redirects[p+"/"]; ok {
			http.Redirect(w, r, to, http.StatusMovedPermanently)
			return nil
		}
	}
	return s.serveFile(w, r, st)
}

// shortLink is the alias a query on the home page would be, "" when it is
// no WordPress short link.
func shortLink(query string) string {
	link, _ := content.IDLink("/?" + query)
	return link
}

// serveFile serves a file of the content folder that the site publishes.
// Only names the loader listed are served, so Markdown sources, hidden files
// and paths outside the folder can never be reached.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, st *pipeline.State) error {
	name := strings.TrimPrefix(r.URL.Path, "/")
	if f, ok := st.Site.Content.FileAliases[name]; ok {
		name = f
	}
	if _, ok := st.Site.Content.Files[name]; !ok {
		return errNotFound
	}
	f, err := st.Site.Content.FS.Open(name)
	if err != nil {
		return errNotFound
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		rs = strings.NewReader(string(b))
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeContent(w, r, path.Base(name), info.ModTime(), rs)
	return nil
}

// Header values of rendered pages, shared by every response (see
// securityHeaderValues).
var (
	cachePage          = sharedValue("public, max-age=300")
	cacheAsset         = sharedValue("public, max-age=31536000, immutable")
	noStore            = sharedValue("no-store")
	varyAcceptEncoding = sharedValue("Accept-Encoding")
	gzipEncoding       = sharedValue("gzip")
)

// writePage writes a rendered page with its ETag, compressed when the client
// takes gzip. Pages are the bulk of the traffic, so their headers are set
// as securityHeaders sets its own: canonical keys, shared values, and one
// allocation for the values of this page.
func writePage(w http.ResponseWriter, r *http.Request, p *site.Page) {
	h := w.Header()
	own := &[3]string{p.ContentType, p.ETag}
	h["Content-Type"] = own[0:1:1]
	h["Etag"] = own[1:2:2]
	if vary, ok := h["Vary"]; ok {
		h["Vary"] = append(vary, varyAcceptEncoding...)
	} else {
		h["Vary"] = varyAcceptEncoding
	}
	if p.Status == http.StatusOK && etagMatch(r.Header.Get("If-None-Match"), p.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := p.Body
	if p.Gzip != nil && acceptsGzip(r) {
		h["Content-Encoding"] = gzipEncoding
		body = p.Gzip
	}
	own[2] = strconv.Itoa(len(body))
	h["Content-Length"] = own[2:3:3]
	w.WriteHeader(p.Status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// minGzip is the shortest response made per request that is compressed:
// below it, gzip's header and trailer take more than it saves.
const minGzip = 512

// writeMade writes a response made for this request: a search's page or
// answer, a highlighted page, the text of a PDF's page. Unlike a rendered
// page it was not compressed ahead, so it is compressed now, at the
// fastest level, when the client takes gzip: a page of ten search results
// is 20 to 40 KB of HTML and a seventh of that compressed, which a reader
// on a slow link waits for seconds less.
func writeMade(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Add("Vary", "Accept-Encoding")
	if len(body) >= minGzip && acceptsGzip(r) {
		buf := madeBuffers.Get().(*bytes.Buffer)
		defer putMadeBuffer(buf)
		buf.Reset()
		zw := fastGzip.Get().(*gzip.Writer)
		zw.Reset(buf)
		zw.Write(body)
		zw.Close()
		zw.Reset(io.Discard) // hold no response while pooled
		fastGzip.Put(zw)
		h.Set("Content-Encoding", "gzip")
		body = buf.Bytes()
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// fastGzip are the compressors of writeMade: a new one allocates more than
// the response it compresses.
var fastGzip = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// madeBuffers hold responses made per request as they are encoded and
// compressed, a few KB to a few tens of KB each. One that a long report's
// highlighted page grew past maxMadeBuffer is let go rather than held for
// the next search.
var madeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxMadeBuffer = 256 << 10

func putMadeBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxMadeBuffer {
		madeBuffers.Put(buf)
	}
}

func etagMatch(header, etag string) bool {
	if header == "" {
		return false // most requests; spares strings.Split its slice
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/"))
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding as RFC 9110 does: gzip, or else "*",
// with a weight above zero ("gzip;q=0" and "gzip; q=0.000" refuse it).
func acceptsGzip(r *http.Request) bool {
	gzipQ, anyQ := -1.0, -1.0
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(part, ";")
		q := 1.0
		for param := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(param, "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if q, _ = strconv.ParseFloat(strings.TrimSpace(v), 64); q < 0 || q > 1 {
					q = 0 // not a weight: as good as a refusal
				}
			}
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "gzip", "x-gzip":
			gzipQ = max(gzipQ, q)
		case "*":
			anyQ = max(anyQ, q)
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return anyQ > 0
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Allow", "GET, HEAD")
	return errorf(http.StatusMethodNotAllowed, "This site only answers GET and HEAD requests.")
}
