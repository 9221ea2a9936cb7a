package search

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"

	"archive/internal/content"
)

// The hits of a query are collected here rather than by bleve's collector:
// what a hit is filtered, faceted and sorted by (section, tags, year,
// date, source) is known in memory, whereas bleve would read it from doc
// values for every matching document, which was two thirds of the time of
// a search for a common word. Bleve finds and scores the matches; this
// file does the rest.

// facetDict numbers the values of a facet, so that counting a hit is an
// array increment.
type facetDict struct {
	names []string
	ids   map[string]int32
}

func (d *facetDict) id(v string) int32 {
	if d.ids == nil {
		d.ids = map[string]int32{}
	}
	id, ok := d.ids[v]
	if !ok {
		id = int32(len(d.names))
		d.ids[v] = id
		d.names = append(d.names, v)
	}
	return id
}

// docTable is what a search reads of every hit, in a row per hit number: a
// search for a common word visits most documents, and chasing a pointer
// per document to its entry and publication cost more than bleve's own
// work. A row holds all the collector reads of a hit, so that collecting
// it touches one cache line rather than one per array (collecting is a
// fifth of a search for a common word at 10,000 publications). A
// bleve document is one hit, or several when a PDF is attached to several
// publications: the hits of bleve document n are first[n] to first[n+1]-1.
type docTable struct {
	first  []int32
	entry  []*entry
	row    []hitRow
	tagIDs []int32

	pubs     int                // publications numbered in pub
	urlRank  []int32            // by publication number: its place in the order of URLs
	pubByURL map[string]int32   // publication numbers, for Request.Within
	pdfPages map[string][]int32 // the hits of each PDF attachment (by its URL), in page order
}

// hitRow is what the collector knows of a hit (see docTable): 32 bytes.
type hitRow struct {
	pub     int32 // the publication the hit belongs to, numbered from 0: results are grouped by it
	section int32
	year    int32 // -1 when undated
	lang    int32
	day     int32    // days since 1970-01-01, for sorting and date filters
	tags    [2]int32 // the hit's tags are tagIDs[tags[0]:tags[1]]
	pdf     bool
}

// document is the number of the bleve document of hit h.
func (d *docTable) document(h int) uint64 {
	return uint64(sort.Search(len(d.first), func(n int) bool { return int(d.first[n]) > h }) - 1)
}

// titleIndex lists, for each index term of a title (keyed by group and
// term), the documents whose title holds it.
type titleIndex struct {
	docs  map[string][]int32
	terms map[string][]string // by group, sorted, for prefixes
}

func dayOf(t time.Time) int32 { return int32(t.Unix() / 86400) }

// fill lays out the table and the title index for the documents byNum.
func (x *Index) fill(byNum [][]*entry) {
	d := &x.docs
	d.first = make([]int32, len(byNum)+1)
	for n, es := range byNum {
		d.first[n+1] = d.first[n] + int32(len(es))
		d.entry = append(d.entry, es...)
	}
	h := len(d.entry)
	d.row = make([]hitRow, h)
	d.pubByURL, d.pdfPages = map[string]int32{}, map[string][]int32{}
	x.titles = titleIndex{docs: map[string][]int32{}, terms: map[string][]string{}}
	x.sources.id(SourcePage) // 0, and PDF 1: the collector counts by these
	x.sources.id(SourcePDF)
	// A publication's hits (its page and each page of its PDFs, often
	// dozens) share its values: looking them up by name for every hit was
	// most of the time Open takes.
	type values struct {
		pub, section, lang, year, day int32
		tags                          []int32
	}
	byPub := map[*content.Publication]*values{}
	for i, e := range d.entry {
		p := e.pub
		v := byPub[p]
		if v == nil {
			v = &values{pub: int32(len(byPub)), section: x.sections.id(p.Section), lang: x.langs.id(strings.ToLower(p.Lang)), year: -1}
			d.pubByURL[p.URL] = v.pub
			if !p.Date.IsZero() {
				v.year, v.day = x.years.id(strconv.Itoa(p.Date.Year())), dayOf(p.Date)
			}
			for _, t := range p.Tags {
				v.tags = append(v.tags, x.tags.id(t))
			}
			byPub[p] = v
		}
		start := int32(len(d.tagIDs))
		d.tagIDs = append(d.tagIDs, v.tags...)
		d.row[i] = hitRow{pub: v.pub, section: v.section, year: v.year, lang: v.lang, day: v.day,
			tags: [2]int32{start, int32(len(d.tagIDs))}, pdf: e.att != nil}
		if e.att != nil {
			d.pdfPages[e.att.URL] = append(d.pdfPages[e.att.URL], int32(i))
		}
		if e.att == nil {
			for _, t := range e.title {
				key := e.group + "\x00" + t
				if x.titles.docs[key] == nil {
					x.titles.terms[e.group] = append(x.titles.terms[e.group], t)
				}
				x.titles.docs[key] = append(x.titles.docs[key], int32(i))
			}
		}
	}
	d.pubs = len(byPub)
	// Publications in the order of their URLs, for the hits that score the
	// same (betterGroup): comparing the URLs themselves, a pointer away,
	// was 4 % of a search at 10,000 publications, whose copies tie often.
	pubs := make([]*content.Publication, 0, len(byPub))
	for p := range byPub {
		pubs = append(pubs, p)
	}
	slices.SortFunc(pubs, func(a, b *content.Publication) int { return strings.Compare(a.URL, b.URL) })
	d.urlRank = make([]int32, len(pubs))
	for i, p := range pubs {
		d.urlRank[byPub[p].pub] = int32(i)
	}
	for _, ts := range x.titles.terms {
		sort.Strings(ts)
	}
	for _, hs := range d.pdfPages {
		sort.Slice(hs, func(i, j int) bool { return d.entry[hs[i]].page < d.entry[hs[j]].page })
	}
}

// scored is a hit of the requested page, with its entry.
type scored struct {
	num   int // the hit's number in docTable
	score float64
	e     *entry
}

// Hits are grouped by publication: a result lists each publication once,
// with its best hits (its page, pages of its PDFs) as passages under it.
// The collector keeps, for every publication that matches, its perPub best
// hits in a small sorted array, and counts the facets once per
// publication; only at the end does it choose the publications of the
// requested page. A publication's best hit can come last (bleve visits
// documents in its own order), so none can be dropped before then.

// kept is a hit a group keeps.
type kept struct {
	score float64
	num   int32 // the hit's number in docTable
}

// group is what the collector knows of one publication's hits.
type group struct {
	off, n  int32 // its best hits are collector.kept[off:off+n], best first
	seen    int32 // hits admitted, kept or not
	sources uint8 // 1: a publication page was admitted; 2: a PDF page. Each counts once in the facets
}

// collector groups the hits by publication, keeps the best publications up
// to the requested page, and counts the facets of all of them.
type collector struct {
	x      *Index
	d      *docTable
	req    Request
	keep   int     // publications up to the end of the requested page
	perPub int     // hits kept per publication
	slot   []int32 // by publication number: 1 + its index in groups, 0 for none yet
	groups []group
	kept   []kept
	counts [4][]int // section, year, tag, source
	// The filters, as numbers; -2 for a value no document has.
	filtered                         bool
	section, year, tag, lang, within int32
	fromDay, toDay                   int32
}

// collectorArrays are a collector's arrays, kept between searches
// (Index.arrays): a search for a common word keeps the hits of thousands
// of publications, and growing and zeroing their arrays anew each time
// was a tenth of its time, half of it the garbage collector's.
type collectorArrays struct {
	slot   []int32
	groups []group
	kept   []kept
	counts [4][]int
}

func newCollector(x *Index, req Request, perPub int) *collector {
	c := &collector{x: x, d: &x.docs, req: req, keep: req.Page * req.PerPage, perPub: perPub}
	a, _ := x.arrays.Get().(*collectorArrays)
	if a == nil {
		a = &collectorArrays{}
	}
	zeroed := func(s []int32, n int) []int32 {
		if cap(s) < n {
			return make([]int32, n)
		}
		s = s[:n]
		clear(s)
		return s
	}
	c.slot, c.groups, c.kept = zeroed(a.slot, x.docs.pubs), a.groups[:0], a.kept[:0]
	for i, d := range x.facetDicts() {
		if n := len(d.names); cap(a.counts[i]) >= n {
			c.counts[i] = a.counts[i][:n]
			clear(c.counts[i])
		} else {
			c.counts[i] = make([]int, n)
		}
	}
	lookup := func(d *facetDict, v string) int32 {
		if v == "" {
			return -1
		}
		c.filtered = true
		if id, ok := d.ids[v]; ok {
			return id
		}
		return -2
	}
	c.section = lookup(&x.sections, req.Section)
	c.tag = lookup(&x.tags, req.Tag)
	c.lang = lookup(&x.langs, strings.ToLower(req.Lang))
	year := ""
	if req.Year != 0 {
		year = strconv.Itoa(req.Year)
	}
	c.year = lookup(&x.years, year)
	c.within = -1
	if req.Within != "" {
		c.within, c.filtered = -2, true
		if id, ok := x.docs.pubByURL[req.Within]; ok {
			c.within = id
		}
	}
	c.fromDay, c.toDay = math.MinInt32, math.MaxInt32
	if !req.From.IsZero() {
		c.fromDay, c.filtered = dayOf(req.From), true
	}
	if !req.To.IsZero() {
		c.toDay, c.filtered = dayOf(req.To), true
	}
	c.filtered = c.filtered || req.Source != ""
	return c
}

// release gives c's arrays back for another search. Nothing c returned
// holds them.
func (c *collector) release() {
	c.x.arrays.Put(&collectorArrays{slot: c.slot, groups: c.groups, kept: c.kept, counts: c.counts})
}

// admits reports whether document n passes the request's filters.
func (c *collector) admits(n int) bool {
	r := &c.d.row[n]
	switch {
	case c.section != -1 && r.section != c.section,
		c.year != -1 && r.year != c.year,
		c.lang != -1 && r.lang != c.lang,
		c.within != -1 && r.pub != c.within,
		c.req.Source == SourcePage && r.pdf,
		c.req.Source == SourcePDF && !r.pdf,
		r.day < c.fromDay || r.day > c.toDay:
		return false
	}
	if c.tag != -1 {
		for _, t := range c.d.tagIDs[r.tags[0]:r.tags[1]] {
			if t == c.tag {
				return true
			}
		}
		return false
	}
	return true
}

// admitsDocument reports whether a hit of bleve document num passes the
// request's filters (a PDF attached to several publications is a hit of
// each). A number the table lacks passes, for collectQuery to report.
func (c *collector) admitsDocument(num uint32) bool {
	d := c.d
	if int(num)+1 >= len(d.first) {
		return true
	}
	for h := d.first[num]; h < d.first[num+1]; h++ {
		if c.admits(int(h)) {
			return true
		}
	}
	return false
}

// total is the number of publications found.
func (c *collector) total() int { return len(c.groups) }

// add collects hit n, scored score.
func (c *collector) add(n int, score float64) {
	if c.filtered && !c.admits(n) {
		return
	}
	r := &c.d.row[n]
	p := r.pub
	gi := c.slot[p] - 1
	if gi < 0 {
		gi = int32(len(c.groups))
		c.slot[p] = gi + 1
		c.groups = append(c.groups, group{off: int32(len(c.kept))})
		c.kept = slices.Grow(c.kept, c.perPub)[:len(c.kept)+c.perPub]
		// The facets count publications: every hit of one has its
		// section, year and tags.
		c.counts[0][r.section]++
		if r.year >= 0 {
			c.counts[1][r.year]++
		}
		for _, t := range c.d.tagIDs[r.tags[0]:r.tags[1]] {
			c.counts[2][t]++
		}
	}
	g := &c.groups[gi]
	src := uint8(1)
	if r.pdf {
		src = 2
	}
	if g.sources&src == 0 {
		g.sources |= src
		c.counts[3][src-1]++
	}
	g.seen++
	hits := c.kept[g.off : g.off+int32(c.perPub)]
	k := kept{score: score, num: int32(n)}
	i := int(g.n)
	if i == len(hits) {
		if !c.betterHit(k, hits[i-1]) {
			return
		}
		i--
	} else {
		g.n++
	}
	for ; i > 0 && c.betterHit(k, hits[i-1]); i-- {
		hits[i] = hits[i-1]
	}
	hits[i] = k
}

// betterHit orders the hits of one publication: by score, then its page
// before its PDFs' pages, in page order. Ties are broken by what the
// content says rather than by bleve's numbers, which differ between two
// builds of the same content.
func (c *collector) betterHit(a, b kept) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	d := c.d
	if pa, pb := d.row[a.num].pdf, d.row[b.num].pdf; pa != pb {
		return !pa
	}
	ea, eb := d.entry[a.num], d.entry[b.num]
	if ea.page != eb.page {
		return ea.page < eb.page
	}
	if ea.att != nil && eb.att != nil && ea.att.URL != eb.att.URL {
		return ea.att.URL < eb.att.URL // the same page of two PDFs
	}
	return a.num < b.num
}

// betterGroup orders publications for the request's sort, by their best hits.
func (c *collector) betterGroup(a, b int32) bool {
	ka, kb := c.kept[c.groups[a].off], c.kept[c.groups[b].off]
	switch c.req.Sort {
	case SortNewest, SortOldest:
		da, db := c.d.row[ka.num].day, c.d.row[kb.num].day
		if da != db {
			return (da > db) == (c.req.Sort == SortNewest)
		}
	}
	if ka.score != kb.score {
		return ka.score > kb.score
	}
	// Ties are broken by the content too, newest first, then by address:
	// bleve's numbers differ between two builds of the same content (its
	// batches are indexed in parallel) and between an updated index and a
	// fresh one, and replicas must agree on what page 2 holds.
	if da, db := c.d.row[ka.num].day, c.d.row[kb.num].day; da != db {
		return da > db
	}
	if ra, rb := c.d.urlRank[c.d.row[ka.num].pub], c.d.urlRank[c.d.row[kb.num].pub]; ra != rb {
		return ra < rb
	}
	return ka.num < kb.num
}

// found is a publication of the requested page.
type found struct {
	hits []scored // its best hits, best first
	more bool     // it has more hits than were kept
}

// page returns the publications of the requested page, best first.
func (c *collector) page() []found {
	// A heap of the best keep publications, the worst of them first.
	heap := make([]int32, 0, min(c.keep, len(c.groups)))
	worse := func(i, j int) bool { return c.betterGroup(heap[j], heap[i]) }
	for gi := range int32(len(c.groups)) {
		if len(heap) < c.keep {
			heap = append(heap, gi)
			for i := len(heap) - 1; i > 0 && worse(i, (i-1)/2); i = (i - 1) / 2 {
				heap[i], heap[(i-1)/2] = heap[(i-1)/2], heap[i]
			}
			continue
		}
		if !c.betterGroup(gi, heap[0]) {
			continue
		}
		heap[0] = gi
		for i := 0; ; {
			w := i
			for _, child := range []int{2*i + 1, 2*i + 2} {
				if child < len(heap) && worse(child, w) {
					w = child
				}
			}
			if w == i {
				break
			}
			heap[i], heap[w] = heap[w], heap[i]
			i = w
		}
	}
	sort.Slice(heap, func(i, j int) bool { return c.betterGroup(heap[i], heap[j]) })
	first := (c.req.Page - 1) * c.req.PerPage
	var out []found
	for _, gi := range heap[min(first, len(heap)):] {
		g := c.groups[gi]
		f := found{hits: make([]scored, g.n), more: g.seen > g.n}
		for i, k := range c.kept[g.off : g.off+g.n] {
			f.hits[i] = scored{num: int(k.num), score: k.score, e: c.d.entry[k.num]}
		}
		out = append(out, f)
	}
	return out
}

// facets returns the counts, most first, as many as facetSizes allows.
func (c *collector) facets() Facets {
	dicts := c.x.facetDicts()
	list := func(i, size int) []FacetCount {
		var out []FacetCount
		for id, n := range c.counts[i] {
			if n > 0 {
				out = append(out, FacetCount{Value: dicts[i].names[id], Count: n})
			}
		}
		// A common word's publications have hundreds of tags, sorted for
		// every search: sort.Slice's reflection and closures took twice as
		// long.
		slices.SortFunc(out, func(a, b FacetCount) int {
			if a.Count != b.Count {
				return cmp.Compare(b.Count, a.Count)
			}
			return strings.Compare(a.Value, b.Value)
		})
		return out[:min(size, len(out))]
	}
	return Facets{Section: list(0, 30), Year: list(1, 50), Tag: list(2, 30), Source: list(3, 2)}
}

// checkEvery is how many matches pass between looks at the deadline.
const checkEvery = 1024

// collectAll collects every document: a search by filters alone.
func (x *Index) collectAll(ctx context.Context, c *collector) error {
	for i := range x.docs.entry {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c.add(i, 0)
	}
	return nil
}

// collectQuery collects the documents that match p, scored by bleve and
// then weighed by what bleve cannot see: words in the title, and whether
// the hit is a PDF page.
func (x *Index) collectQuery(ctx context.Context, reader index.IndexReader, p *plan, c *collector) (err error) {
	q := x.bleveQuery(p)
	if q == nil {
		return nil
	}
	titles := x.titleHits(p)
	units := float64(len(p.q.Positive()))
	// each collects the matches next finds, in the order of their
	// documents, until it finds none (ok false).
	each := func(next func() (num int, score float64, ok bool, err error)) error {
		for n := 0; ; n++ {
			if n%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			num, score, ok, err := next()
			if !ok || err != nil {
				return err
			}
			if num+1 >= len(x.docs.first) {
				return fmt.Errorf("search index holds document %d, which the content does not", num)
			}
			for h := int(x.docs.first[num]); h < int(x.docs.first[num+1]); h++ {
				s := score
				if k := titles.count(int32(h)); k > 0 {
					// A word in the title says more about what a publication
					// is about than the same word in its body.
					s *= 1 + titleBoost*float64(k)/units
				}
				if x.docs.row[h].pdf {
					s *= pdfWeight
				}
				c.add(h, s)
			}
		}
	}
	if hr, ok := reader.(hotReader); ok {
		m, err := x.memQuery(ctx, q, hr.IndexReader)
		if err != nil {
			return err
		}
		if m != nil {
			x.hot.scored.Add(1)
			return each(func() (int, float64, bool, error) {
				for m.next() {
					// The filters go first, as hotReader's do: a document
					// they drop is not scored.
					if doc := m.root.doc; !c.filtered || c.admitsDocument(doc) {
						return int(doc), m.root.score(), true, nil
					}
				}
				return 0, 0, false, nil
			})
		}
	}
	s, err := q.Searcher(ctx, reader, x.bi.Mapping(), search.SearcherOptions{})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}()
	sctx := &search.SearchContext{
		DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0),
		IndexReader:       reader,
	}
	return each(func() (int, float64, bool, error) {
		dm, err := s.Next(sctx)
		if dm == nil || err != nil {
			return 0, 0, false, err
		}
		num, score := int(dm.IndexInternalID.Value()), dm.Score
		sctx.DocumentMatchPool.Put(dm)
		return num, score, true, nil
	})
}

// titleHits lists, for each of the query's positive terms, the hits whose
// titles hold it (a phrase's words in any order: close enough for
// weighing), in order. Bleve finds documents in order too, so the terms
// of a hit's title are counted by walking the lists beside the search: an
// array of counts by hit was 46 KB to allocate and clear for every search
// at 10,000 publications.
type titleHits struct {
	lists [][]int32
	at    []int
}

func (x *Index) titleHits(p *plan) *titleHits {
	t := &titleHits{}
	for _, g := range x.groups {
		for _, a := range p.positive[g] {
			var docs []int32
			switch {
			case a.prefix != "":
				terms := x.titles.terms[g]
				for i := sort.SearchStrings(terms, a.prefix); i < len(terms) && strings.HasPrefix(terms[i], a.prefix); i++ {
					docs = union(docs, x.titles.docs[g+"\x00"+terms[i]])
				}
			case len(a.toks) > 0:
				for i, alts := range a.toks {
					if len(alts) == 0 {
						continue
					}
					ds := x.titles.docs[g+"\x00"+alts[0]]
					if i == 0 {
						docs = ds
					} else {
						docs = intersect(docs, ds)
					}
				}
			}
			if len(docs) > 0 {
				t.lists = append(t.lists, docs)
			}
		}
	}
	t.at = make([]int, len(t.lists))
	return t
}

// count returns how many of the query's terms the title of hit h holds.
// h is no smaller than the hit it was asked about before.
func (t *titleHits) count(h int32) int {
	n := 0
	for i, l := range t.lists {
		j := t.at[i]
		for j < len(l) && l[j] < h {
			j++
		}
		t.at[i] = j
		if j < len(l) && l[j] == h {
			n++
		}
	}
	return n
}

// intersect and union combine sorted lists of document numbers.
func intersect(a, b []int32) []int32 {
	var out []int32
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

func union(a, b []int32) []int32 {
	out := make([]int32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return append(append(out, a[i:]...), b[j:]...)
}
