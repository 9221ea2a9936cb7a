package site

import "sync"

// maxOriginBytes bounds the pages OriginPage keeps. The origin comes from
// the request's Host header, which the client chooses: a site is reached
// under a handful of names (its domain, an onion address, localhost), but
// a client could send a new one with every request.
const maxOriginBytes = 16 << 20

// originPages are pages completed with an origin, made once per origin.
type originPages struct {
	mu    sync.Mutex
	pages map[originKey]*Page
	bytes int
}

type originKey struct {
	page   *Page
	origin string
}

// OriginPage is p completed with origin (see WithOrigin). Each page is
// completed and compressed once per origin for as long as s is served, not
// on every request. When the pages kept would pass maxOriginBytes, others
// are forgotten to make room: a flood of made-up hosts costs what it would
// without the cache, and the site's real names are kept again on their
// next request.
func (s *Site) OriginPage(p *Page, origin string) *Page {
	if !p.Origin {
		return p
	}
	c := &s.origins
	k := originKey{p, origin}
	c.mu.Lock()
	done := c.pages[k]
	c.mu.Unlock()
	if done != nil {
		return done
	}
	done = p.WithOrigin(origin) // outside the lock: compressing takes a while
	size := len(done.Body) + len(done.Gzip)
	c.mu.Lock()
	defer c.mu.Unlock()
	if other := c.pages[k]; other != nil {
		return other
	}
	if c.pages == nil {
		c.pages = map[originKey]*Page{}
	}
	for other, old := range c.pages {
		if c.bytes+size <= maxOriginBytes {
			break
		}
		delete(c.pages, other)
		c.bytes -= len(old.Body) + len(old.Gzip)
	}
	if c.bytes+size <= maxOriginBytes {
		c.pages[k] = done
		c.bytes += size
	}
	return done
}
