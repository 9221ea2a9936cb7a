package server

import (
	"bytes"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"archive/internal/pipeline"
	"archive/internal/search"
	"archive/internal/site"
)

// Per-request variants of pre-rendered pages. Two things cannot be rendered
// once at start: the words a reader searched for, marked on the publication
// page a search hit leads to (?hl=), and the site's own origin in feeds and
// citation files when site.toml has no base_url (see package site). What to
// mark is package search's: it reads hl and marks the page (Index.Highlight).

// serveVariant writes the variant of page that r asks for, if any, and
// reports whether it did.
func (s *Server) serveVariant(w http.ResponseWriter, r *http.Request, st *pipeline.State, page *site.Page) (bool, error) {
	if page.Origin {
		origin, err := requestOrigin(r)
		if err != nil {
			return true, err
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		writePage(w, r, st.Site.OriginPage(page, origin))
		return true, nil
	}
	if r.URL.RawQuery == "" {
		return false, nil // most page views: no query to parse (a map each)
	}
	hl := r.URL.Query().Get("hl")
	pub := st.Site.Content.ByURL[r.URL.Path]
	if hl == "" || pub == nil || st.Index == nil {
		return false, nil // nothing to mark, or no index to read hl with yet
	}
	// A highlighted page costs the server about what a search does, so it
	// is under the search limiter's protection: its own per-client rate,
	// and a share of the slots searches take. A client over its budget, or
	// a server busy with searches, gets the plain page: the marks are a
	// convenience, and a reader must never be refused a page for asking for
	// them. It is not cached under the hl URL, so that a reload may have them.
	release, ok := s.limiter.admitHighlight(r)
	if !ok {
		w.Header().Set("Cache-Control", "no-store")
		writePage(w, r, s.watchPage(w, page))
		return true, nil
	}
	// The slot is freed before writing: a slow reader must not hold it.
	body, ok := func() ([]byte, bool) {
		defer release()
		return highlightPage(st.Index, page.Body, hl, pub.Lang, r.URL.Path)
	}()
	if !ok {
		return false, nil
	}
	writeHighlighted(w, r, page, body)
	return true, nil
}

// writeHighlighted writes a highlighted page. The search words say what the
// reader looks for, so no cache keeps it (no-store), and an ETag would
// validate nothing: it has none.
func writeHighlighted(w http.ResponseWriter, r *http.Request, page *site.Page, body []byte) {
	w.Header().Set("Cache-Control", "no-store")
	writeMade(w, r, page.Status, page.ContentType, body)
}

// hostPattern is a host name or IP address with an optional port: the only
// Host headers the server will copy into a feed.
var hostPattern = regexp.MustCompile(`^(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(?::[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$`)

// requestOrigin is the scheme and host the reader used. X-Forwarded-Proto
// says the reader used https; dropForgedProto lets it through only from a
// trusted proxy.
func requestOrigin(r *http.Request) (string, error) {
	if !hostPattern.MatchString(r.Host) {
		return "", errorf(http.StatusBadRequest, "The request names no valid host.")
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host, nil
}

// dropForgedProto removes X-Forwarded-Proto from requests that no trusted
// proxy sent, before any handler reads it: anyone else could make the
// site's feeds and citations name https links (or http ones) at will.
func (s *Server) dropForgedProto(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-Proto") != "" && !s.behindTLSProxy(r) {
			r.Header.Del("X-Forwarded-Proto")
		}
		next.ServeHTTP(w, r)
	})
}

// Limits on what the note above a highlighted page shows. The words are
// the page's own, but a long phrase or many words would push the text
// down the screen.
const (
	maxNoteWords = 5
	maxNoteRunes = 60 // per word or phrase
)

// highlightPage marks hl in the text of a publication page (between
// site.TextStart and site.TextEnd) and puts a note above it that says what
// is marked and links to the page without marks. It reports false for a
// page without those markers, or an hl with nothing to look for.
func highlightPage(idx *search.Index, body []byte, hl, lang, path string) ([]byte, bool) {
	start := bytes.Index(body, []byte(site.TextStart))
	end := bytes.LastIndex(body, []byte(site.TextEnd))
	if start < 0 || end < start {
		return nil, false
	}
	start += len(site.TextStart)
	h, ok := idx.Highlight(string(body[start:end]), hl, lang)
	if !ok {
		return nil, false
	}
	note := highlightNote(h, path)
	out := make([]byte, 0, len(body)+len(h.HTML)-(end-start)+len(note))
	out = append(out, body[:start]...)
	out = append(out, note...)
	out = append(out, h.HTML...)
	out = append(out, body[end:]...)
	return out, true
}

// highlightNote says what is marked. It quotes the words as the page writes
// them, never the hl parameter: whoever made the link chose that, and could
// make the page say what it does not.
func highlightNote(h search.Highlight, path string) string {
	var quoted []string
	for _, w := range h.Words {
		if len(quoted) == maxNoteWords {
			break
		}
		if w = noteText(w); w != "" {
			quoted = append(quoted, "“<bdi>"+html.EscapeString(w)+"</bdi>”")
		}
	}
	words := strings.Join(quoted, ", ")
	if more := len(h.Words) - len(quoted); more > 0 {
		words += " and " + strconv.Itoa(more) + " more"
	}
	var note strings.Builder
	note.WriteString(`<div class="hl-banner" role="note" lang="` + site.UILang + `" dir="ltr"><p>`)
	switch {
	case h.Marks == 0:
		note.WriteString("No exact match for the words searched for in the text of this page.")
	case h.Marks == 1:
		note.WriteString(`1 match for ` + words + ` is highlighted. <a href="#hl-1">Go to it</a>.`)
	case h.More:
		note.WriteString(`The first ` + strconv.Itoa(h.Marks) + ` matches for ` + words + ` are highlighted. <a href="#hl-1">Go to the first</a>.`)
	default:
		note.WriteString(strconv.Itoa(h.Marks) + ` matches for ` + words + ` are highlighted. <a href="#hl-1">Go to the first</a>.`)
	}
	note.WriteString(` <a href="` + html.EscapeString((&url.URL{Path: path}).EscapedPath()) + `">Show the page without highlighting</a>.</p></div>`)
	return note.String()
}

// noteText is a matched text as the note shows it: without the controls
// that would change the direction or layout of the sentence around it
// (U+202E turns the rest of a line around), and cut to maxNoteRunes.
func noteText(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), r == '\u2028', r == '\u2029':
			continue
		case n == maxNoteRunes:
			return strings.TrimSpace(b.String()) + "…"
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}
