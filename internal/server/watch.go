package server

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"archive/internal/site"
)

// Watch mode is for staff previewing their edits: the pipeline reloads the
// content, templates and stylesheet when a file changes (pipeline.Watch),
// and every page
// carries a small script that reloads it once a new version is served. A
// file saved with an error does not replace the last good version: the error
// is logged and shown at the top of every page until it is fixed.
//
// The script is the only JavaScript the site ever sends, and only in watch
// mode, which is never used in production.

// watcher holds what watch mode shows.
type watcher struct {
	mu      sync.Mutex
	version int    // bumped on every successful reload
	problem string // the error of the last failed reload, "" when none
	changed chan struct{}
}

func (wt *watcher) set(ok bool, problem string) {
	wt.mu.Lock()
	defer wt.mu.Unlock()
	if ok {
		wt.version++
	}
	wt.problem = problem
	close(wt.changed)
	wt.changed = make(chan struct{})
}

func (wt *watcher) get() (int, string, <-chan struct{}) {
	wt.mu.Lock()
	defer wt.mu.Unlock()
	return wt.version, wt.problem, wt.changed
}

// Reloaded tells watch mode's pages how a reload went: a new version to
// show, or the error that kept the last good one serving.
func (s *Server) Reloaded(err error) {
	if s.watch == nil {
		return
	}
	if err != nil {
		s.watch.set(false, err.Error())
		return
	}
	s.watch.set(true, "")
}

const reloadScript = `(function () {
  var version = document.currentScript.dataset.version;
  function poll() {
    fetch("/_watch/version?since=" + version, {cache: "no-store"})
      .then(function (r) { return r.text(); })
      .then(function (v) { if (v.trim() !== version) { location.reload(); } else { poll(); } })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
`

// serveWatchScript serves the reload script.
func (s *Server) serveWatchScript(w http.ResponseWriter, r *http.Request) error {
	if s.watch == nil {
		return errNotFound
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, reloadScript)
	return nil
}

// serveWatchVersion answers with the version once it differs from ?since,
// or after 25 s, whichever comes first (a long poll).
func (s *Server) serveWatchVersion(w http.ResponseWriter, r *http.Request) error {
	if s.watch == nil {
		return errNotFound
	}
	since := r.URL.Query().Get("since")
	timeout := time.NewTimer(25 * time.Second)
	defer timeout.Stop()
	for {
		v, problem, changed := s.watch.get()
		// A failed reload changes the banner, so it counts as a new version.
		cur := strconv.Itoa(v)
		if problem != "" {
			cur += "e" + strconv.Itoa(len(problem))
		}
		if cur != since {
			w.Header().Set("Cache-Control", "no-store")
			io.WriteString(w, cur)
			return nil
		}
		select {
		case <-changed:
		case <-timeout.C:
			io.WriteString(w, cur)
			return nil
		case <-r.Context().Done():
			return nil
		}
	}
}

// watchPage adds the reload script, and the last reload's error if any, to
// an HTML page. Outside watch mode it returns the page as it is.
func (s *Server) watchPage(w http.ResponseWriter, page *site.Page) *site.Page {
	if s.watch == nil || !bytes.HasPrefix([]byte(page.ContentType), []byte("text/html")) {
		return page
	}
	v, problem, _ := s.watch.get()
	version := strconv.Itoa(v)
	if problem != "" {
		version += "e" + strconv.Itoa(len(problem))
	}
	body := page.Body
	if problem != "" {
		banner := `<div class="watch-error" role="alert"><p><strong>This page is the last good version: the latest change has an error.</strong></p><pre>` +
			html.EscapeString(problem) + "</pre></div>"
		body = insertAfter(body, []byte("<body>"), []byte(banner))
	}
	script := `<script src="/_watch/reload.js" data-version="` + version + `"></script>`
	body = insertBefore(body, []byte("</body>"), []byte(script))
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("Cache-Control", "no-store")
	return &site.Page{Status: page.Status, ContentType: page.ContentType, Body: body, ETag: `"watch-` + version + `"`}
}

func insertAfter(b, marker, add []byte) []byte {
	i := bytes.Index(b, marker)
	if i < 0 {
		return append(append([]byte{}, add...), b...)
	}
	i += len(marker)
	return append(append(append([]byte{}, b[:i]...), add...), b[i:]...)
}

func insertBefore(b, marker, add []byte) []byte {
	i := bytes.LastIndex(b, marker)
	if i < 0 {
		return append(append([]byte{}, b...), add...)
	}
	return append(append(append([]byte{}, b[:i]...), add...), b[i:]...)
}
