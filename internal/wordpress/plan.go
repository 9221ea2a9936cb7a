package wordpress

import (
	"fmt"
	"html"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"archive/internal/content"
)

// itemKey names an item across exports: a site exported in parts repeats
// its IDs in each part, and two sites share none.
type itemKey struct {
	site string
	id   int
}

// A doc is a post or page to write.
type doc struct {
	it   *item
	ex   *export
	kind string // "post" or "page"

	slug    string
	section string // posts
	file    string // the Markdown file, a slash path in the content folder
	dir     string // the folder of its files
	url     string

	date        time.Time
	publishDate time.Time
	draft       bool
	aliases     []string

	files *fileSet
}

// name is how the report names the item: its type, ID and title.
func (d *doc) name() string { return itemName(d.it) }

func itemName(it *item) string {
	return fmt.Sprintf("%s %d %q", it.postType, it.id, plainText(it.title))
}

// public reports whether the archive will publish the doc once loaded as
// written: scheduled ones count as not, since their files are out until then.
func (d *doc) public() bool { return !d.draft && d.publishDate.IsZero() }

// inFolder reports a page below another: a single file in a folder, which the
// archive serves as a page only while it carries no publication's fields.
func (d *doc) inFolder() bool { return d.kind == "page" && strings.Contains(d.file, "/") }

type importer struct {
	opts     Options
	exports  []*export
	man      *manifest
	conv     *bodyConverter
	report   *Report
	warnings []warning

	items    map[itemKey]*item
	children map[itemKey][]*item // attachments by parent, in WordPress's order
	reusable map[itemKey]string
	docs     []*doc
	byItem   map[*item]*doc

	// taken are the names used in each folder (lower-cased, as a file
	// system that ignores case would see them).
	taken map[string]map[string]bool
	// targets maps a site's old URL paths ("<siteKey> /2013/01/10/x/",
	// "<siteKey> /?p=12") to the doc now there.
	targets map[string]*doc
	// attachmentPages maps the path of an attachment's own page on the old
	// site ("<siteKey> <path>") to the attachment.
	attachmentPages map[string]*item
	// attachmentByRel maps a path in the uploads folder to its attachment.
	attachmentByRel map[string]*item
	// uploadBases are URL prefixes, host and path, that serve the site's
	// uploads: "wpthemetestdata.files.wordpress.com/".
	uploadBases []string
	// blogHosts maps the hosts of the sites to their siteKey.
	blogHosts map[string]string
	// froms are what this import's posts and pages are made from, as the
	// manifest names them.
	froms map[string]bool
	// existing are the addresses served by content that this import did
	// not write, with the file that serves each.
	existing map[string]string
}

func newImporter(exports []*export, opts Options, man *manifest) *importer {
	return &importer{
		opts: opts, exports: exports, man: man,
		conv:            newBodyConverter(),
		report:          &Report{Skipped: map[string]int{}},
		items:           map[itemKey]*item{},
		children:        map[itemKey][]*item{},
		reusable:        map[itemKey]string{},
		byItem:          map[*item]*doc{},
		taken:           map[string]map[string]bool{},
		targets:         map[string]*doc{},
		attachmentPages: map[string]*item{},
		attachmentByRel: map[string]*item{},
		blogHosts:       map[string]string{},
		froms:           map[string]bool{},
		existing:        map[string]string{},
	}
}

// warnf adds a warning about an item. The report lists them by item, in
// the order of the item's type and ID, so that one item's stand together.
func (imp *importer) warnf(it *item, format string, args ...any) {
	w := warning{text: itemName(it) + ": " + fmt.Sprintf(format, args...), rank: 3, id: it.id}
	switch it.postType {
	case "page":
		w.rank = 2
	case "post":
		w.rank = 3
	default:
		w.rank = 4
	}
	imp.warnings = append(imp.warnings, w)
}

// warnSite adds a warning about the export or the content folder as a
// whole, listed before those about items.
func (imp *importer) warnSite(format string, args ...any) {
	imp.warnings = append(imp.warnings, warning{text: fmt.Sprintf(format, args...), rank: 1})
}

type warning struct {
	text     string
	rank, id int
}

func (imp *importer) sortedWarnings() []string {
	ws := slices.Clone(imp.warnings)
	sort.SliceStable(ws, func(i, j int) bool {
		if ws[i].rank != ws[j].rank {
			return ws[i].rank < ws[j].rank
		}
		return ws[i].id < ws[j].id
	})
	var out []string
	for _, w := range ws {
		out = append(out, w.text)
	}
	return out
}

func siteKey(ex *export) string {
	return strings.TrimSuffix(schemeless(ex.blogURL), "/")
}

func schemeless(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	return strings.TrimPrefix(u, "//")
}

// plan decides what every item becomes and where it goes.
func (imp *importer) plan() {
	var posts, pages []*doc
	for _, ex := range imp.exports {
		if ex.dropped > 0 {
			imp.warnSite("%s: %d characters that XML does not allow (control characters) were dropped", ex.file, ex.dropped)
		}
		if u, err := url.Parse(ex.blogURL); err == nil && u.Host != "" {
			imp.blogHosts[strings.ToLower(u.Host)] = siteKey(ex)
		}
		if u, err := url.Parse(ex.link); err == nil && u.Host != "" {
			imp.blogHosts[strings.ToLower(u.Host)] = siteKey(ex)
		}
		for _, it := range ex.items {
			key := itemKey{siteKey(ex), it.id}
			switch it.postType {
			case "post", "page", "attachment", "wp_block":
			default:
				imp.report.Skipped[kindName(it.postType)]++
				continue
			}
			if _, dup := imp.items[key]; dup {
				// A site exported in parts may repeat an item.
				imp.report.Skipped["duplicates (an ID met twice)"]++
				continue
			}
			imp.items[key] = it
			imp.report.Skipped["comments"] += it.comments
			switch {
			case it.postType == "attachment":
				imp.children[itemKey{key.site, it.parent}] = append(imp.children[itemKey{key.site, it.parent}], it)
				imp.noteUploadBase(it)
				if p := oldPath(it.link); p != "" {
					imp.attachmentPages[key.site+" "+p] = it
				}
			case it.postType == "wp_block":
				imp.reusable[key] = it.content
				imp.report.Skipped["wp_block (reusable blocks, put in place where shown)"]++
			case it.status == "trash" || it.status == "auto-draft" || it.status == "inherit":
				imp.report.Skipped[it.status]++
			default:
				d := &doc{it: it, ex: ex, kind: it.postType}
				imp.byItem[it] = d
				if d.kind == "post" {
					posts = append(posts, d)
				} else {
					pages = append(pages, d)
				}
			}
		}
	}
	for _, ex := range imp.exports {
		for _, it := range ex.items {
			if it.postType != "attachment" {
				continue
			}
			if rel, ok := imp.attachmentRel(it); ok && imp.attachmentByRel[rel] == nil {
				imp.attachmentByRel[rel] = it
			}
		}
	}
	if imp.report.Skipped["comments"] == 0 {
		delete(imp.report.Skipped, "comments")
	}
	for _, list := range imp.children {
		sort.SliceStable(list, func(i, j int) bool {
			if list[i].menuOrder != list[j].menuOrder {
				return list[i].menuOrder < list[j].menuOrder
			}
			return list[i].id < list[j].id
		})
	}
	byID := func(list []*doc) {
		sort.SliceStable(list, func(i, j int) bool {
			if a, b := siteKey(list[i].ex), siteKey(list[j].ex); a != b {
				return a < b
			}
			return list[i].it.id < list[j].it.id
		})
	}
	byID(posts)
	byID(pages)
	for _, d := range append(slices.Clone(posts), pages...) {
		imp.froms[docFrom(d)] = true
	}
	imp.reserveTop()
	imp.readExisting()
	// What an earlier import wrote keeps its name, so that importing again
	// (after another site, or beside new files of staff) moves nothing.
	prev := map[string]string{} // from -> Markdown file
	for _, p := range slices.Sorted(maps.Keys(imp.man.Files)) {
		if e := imp.man.Files[p]; imp.froms[e.From] && e.File == "" && isMarkdownName(p) {
			prev[e.From] = p
			if dir, ok := strings.CutSuffix(p, "/index.md"); ok {
				// A post's bundle, and its section at the top.
				imp.take(dirOf(dir), path.Base(dir))
				imp.take("", strings.Split(dir, "/")[0])
			} else {
				imp.take(dirOf(p), strings.TrimSuffix(path.Base(p), path.Ext(p)))
			}
		}
	}
	// Pages keep the URLs WordPress gave them, which are what was cited:
	// they are placed first, parents before children, and sections make
	// way for them.
	for _, d := range imp.orderPages(pages) {
		folder := ""
		if p := imp.parentPage(d); p != nil {
			folder = strings.TrimSuffix(p.file, ".md")
		}
		if p, ok := prev[docFrom(d)]; ok {
			if want := path.Join(folder, imp.slugFor(d)); !sameName(strings.TrimSuffix(p, ".md"), want) {
				imp.warnf(d.it, "stays at %s, where an earlier import wrote it, though it would now be %s.md; move it by hand if need be", p, want)
			}
			imp.placePageAt(d, p)
		} else {
			imp.placePage(d)
		}
	}
	sections := map[string]string{}
	wantSection := func(d *doc) string {
		if imp.opts.Section != "" {
			return imp.opts.Section
		}
		for _, t := range d.it.terms {
			if t.domain == "category" {
				return firstOf(cleanSlug(t.nicename), urlize(html.UnescapeString(t.name)), DefaultSection)
			}
		}
		return DefaultSection
	}
	var rest []*doc
	for _, d := range posts {
		want := wantSection(d)
		if p, ok := prev[docFrom(d)]; ok && strings.Count(p, "/") == 2 && strings.HasSuffix(p, "/index.md") {
			// Moving a post would change an address already published.
			sec, slug, _ := strings.Cut(strings.TrimSuffix(p, "/index.md"), "/")
			if sameName(sec, want) && sections[want] == "" {
				sections[want] = sec
			}
			if !sameName(sec, want) || !sameName(slug, imp.slugFor(d)) {
				imp.warnf(d.it, "stays at %s, where an earlier import wrote it, though it would now be %s/%s/; move it by hand if need be", p, want, imp.slugFor(d))
			}
			d.section, d.slug = sec, slug
			d.dir, d.file, d.url = sec+"/"+slug, p, "/"+sec+"/"+slug+"/"
			continue
		}
		rest = append(rest, d)
	}
	for _, d := range rest {
		want := wantSection(d)
		sec, ok := sections[want]
		if !ok {
			sec = imp.unique("", want, true, "")
			if sec != want {
				imp.warnSite("section %q: the name is taken by a page or by the site itself; its posts go to %s/", want, sec)
			}
			sections[want] = sec
		}
		d.section = sec
		imp.placePost(d)
	}
	imp.docs = append(append(imp.docs, pages...), posts...)
	for _, d := range imp.docs {
		imp.state(d)
	}
	imp.planAliases()
}

func kindName(postType string) string {
	if postType == "" {
		return "items without a post type"
	}
	return postType
}

// reserveTop marks the names that cannot be a page or section: the site's
// own paths, and top-level Markdown files and folders already in the
// content folder that an earlier import did not write.
func (imp *importer) reserveTop() {
	for _, name := range content.ReservedSections {
		imp.take("", name)
	}
	entries, _ := os.ReadDir(imp.opts.OutDir)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue // a section of staff's own: posts may join it
		}
		if stem, ok := strings.CutSuffix(name, path.Ext(name)); ok && isMarkdownName(name) && !imp.mine(name) {
			imp.take("", stem)
		}
	}
}

// othersIn reports whether the folder dir (a slash path) holds a file that
// this import did not write.
func (imp *importer) othersIn(dir string) bool {
	found := false
	root := filepath.Join(imp.opts.OutDir, filepath.FromSlash(dir))
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil || found || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(imp.opts.OutDir, p)
		if !imp.mine(filepath.ToSlash(rel)) {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// readExisting notes the addresses that content already in the folder
// serves or redirects, so that an alias does not take one.
func (imp *importer) readExisting() {
	if _, err := os.Stat(imp.opts.OutDir); err != nil {
		return
	}
	fsys, err := content.OpenDir(imp.opts.OutDir)
	if err != nil {
		return
	}
	site, _, err := content.Load(fsys, content.Options{})
	if err != nil {
		return
	}
	for _, p := range slices.Concat(site.Publications, site.Pages) {
		if imp.mine(p.Source) {
			continue
		}
		imp.existing[p.URL] = p.Source
		for _, a := range p.Aliases {
			if op := oldPath(a); op != "" {
				imp.existing[op] = p.Source
			}
		}
	}
}

// mine reports whether the file at p (a slash path) was written by an
// earlier import of one of this import's posts or pages.
func (imp *importer) mine(p string) bool {
	e, ok := imp.man.Files[p]
	return ok && imp.froms[e.From]
}

// docFrom names what a doc is made from, in the manifest.
func docFrom(d *doc) string {
	if d.kind == "page" {
		return siteURL(d.ex) + "/?page_id=" + strconv.Itoa(d.it.id)
	}
	return siteURL(d.ex) + "/?p=" + strconv.Itoa(d.it.id)
}

func reservedName(name string) bool {
	return slices.Contains(content.ReservedSections, strings.ToLower(name)) || isIndexName(name)
}

func isIndexName(name string) bool {
	n := strings.ToLower(name)
	return n == "index" || n == "_index"
}

func isMarkdownName(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown", ".mdown", ".mkd", ".mkdn":
		return true
	}
	return false
}

func (imp *importer) take(folder, name string) {
	m := imp.taken[folder]
	if m == nil {
		m = map[string]bool{}
		imp.taken[folder] = m
	}
	m[strings.ToLower(name)] = true
}

// unique returns name, or name-2, name-3, … the first that is free in
// folder, and takes it.
// A section may be a folder staff already have (posts join it); a page or
// post may not take the name of a file someone else put there.
func (imp *importer) unique(folder, name string, section bool, from string) string {
	free := func(n string) bool {
		if isIndexName(n) || imp.taken[folder][strings.ToLower(n)] {
			return false
		}
		others := []string{path.Join(folder, n+".md")}
		if !section {
			others = append(others, path.Join(folder, n, "index.md"))
		}
		if folder == "" && !section && imp.othersIn(n) {
			return false // a folder of someone else's: its URL is theirs
		}
		for _, p := range others {
			if _, err := os.Stat(filepath.Join(imp.opts.OutDir, filepath.FromSlash(p))); err == nil && (section && !imp.mine(p) || !section && imp.man.Files[p].From != from) {
				return false
			}
		}
		return true
	}
	out := name
	for i := 2; !free(out); i++ {
		out = name + "-" + strconv.Itoa(i)
	}
	imp.take(folder, out)
	return out
}

// orderPages puts parents before their children, each level by ID.
func (imp *importer) orderPages(pages []*doc) []*doc {
	depth := map[*doc]int{}
	var depthOf func(d *doc, seen int) int
	depthOf = func(d *doc, seen int) int {
		if v, ok := depth[d]; ok {
			return v
		}
		p := imp.parentPage(d)
		v := 0
		if p != nil && seen < 50 {
			v = depthOf(p, seen+1) + 1
		}
		depth[d] = v
		return v
	}
	out := slices.Clone(pages)
	for _, d := range out {
		depthOf(d, 0)
	}
	sort.SliceStable(out, func(i, j int) bool { return depth[out[i]] < depth[out[j]] })
	return out
}

func (imp *importer) parentPage(d *doc) *doc {
	if d.it.parent == 0 {
		return nil
	}
	p := imp.byItem[imp.items[itemKey{siteKey(d.ex), d.it.parent}]]
	if p == nil || p.kind != "page" || p == d {
		return nil
	}
	return p
}

func (imp *importer) slugFor(d *doc) string {
	s := cleanSlug(d.it.name)
	if s == "" {
		s = urlize(plainText(d.it.title))
	}
	if s == "" {
		s = d.kind + "-" + strconv.Itoa(d.it.id)
	}
	return s
}

func (imp *importer) placePage(d *doc) {
	folder := ""
	if p := imp.parentPage(d); p != nil && p.file != "" {
		folder = strings.TrimSuffix(p.file, ".md")
	} else if d.it.parent != 0 && imp.items[itemKey{siteKey(d.ex), d.it.parent}] == nil {
		imp.warnf(d.it, "its parent page %d is not in the export: written at the top of the content folder", d.it.parent)
	}
	want := imp.slugFor(d)
	d.slug = imp.unique(folder, want, false, docFrom(d))
	if d.slug != want {
		imp.warnf(d.it, "the name %q is taken in this folder: written as %s", want, d.slug)
	}
	d.file = path.Join(folder, d.slug) + ".md"
	d.dir = path.Join(folder, d.slug)
	d.url = "/" + d.dir + "/"
}

func (imp *importer) placePageAt(d *doc, file string) {
	d.file = file
	d.dir = strings.TrimSuffix(file, ".md")
	d.slug = path.Base(d.dir)
	d.url = "/" + d.dir + "/"
}

// sameName reports whether name is want, or want with the -2, -3, … that
// unique adds.
func sameName(name, want string) bool {
	rest, ok := strings.CutPrefix(name, want)
	return ok && (rest == "" || strings.HasPrefix(rest, "-") && allDigits(rest[1:]))
}

func dirOf(p string) string {
	if d := path.Dir(p); d != "." {
		return d
	}
	return ""
}

func (imp *importer) placePost(d *doc) {
	want := imp.slugFor(d)
	d.slug = imp.unique(d.section, want, false, docFrom(d))
	if d.slug != want {
		imp.warnf(d.it, "the name %q is taken in %s/: written as %s", want, d.section, d.slug)
	}
	d.dir = path.Join(d.section, d.slug)
	d.file = d.dir + "/index.md"
	d.url = "/" + d.dir + "/"
}

// state reads the item's status and dates.
func (imp *importer) state(d *doc) {
	it := d.it
	d.date = firstDate(it.dateGMT, it.date, it.modGMT, it.modified)
	if d.date.IsZero() {
		if t, err := time.Parse(time.RFC1123Z, it.pubDate); err == nil {
			d.date = t.UTC()
		}
	}
	switch it.status {
	case "publish":
	case "future":
		d.publishDate = d.date
	case "draft", "pending", "private":
		d.draft = true
	default:
		d.draft = true
		imp.warnf(it, "status %q is not one WordPress publishes: written as a draft", it.status)
	}
	if it.password != "" && !d.draft {
		d.draft = true
		imp.warnf(it, "password-protected on WordPress: written as a draft, since the archive has no passwords; remove draft: true to publish it to everyone")
	}
	if d.kind == "post" && d.date.IsZero() {
		d.draft = true
		d.date = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
		imp.warnf(it, "the export gives no date: written as a draft dated 1970-01-01; set its date")
	}
}

// firstDate reads the first of WordPress's "2006-01-02 15:04:05" dates that
// is set. GMT ones come first; a local one (drafts have no GMT date) is
// taken as UTC, since the export does not say the site's time zone.
func firstDate(values ...string) time.Time {
	for _, v := range values {
		if v == "" || strings.HasPrefix(v, "0000-00-00") {
			continue
		}
		if t, err := time.Parse(time.DateTime, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

// planAliases gives each doc its old permalink and WordPress's short link
// as aliases, and records them for the links of other bodies.
func (imp *importer) planAliases() {
	urls := map[string]*doc{}
	for _, d := range imp.docs {
		urls[d.url] = d
	}
	claimed := map[string]*doc{}
	for _, d := range imp.docs {
		short := "/?p=" + strconv.Itoa(d.it.id)
		if d.kind == "page" {
			short = "/?page_id=" + strconv.Itoa(d.it.id)
		}
		// Links in other bodies may be written either way.
		for _, p := range []string{oldPath(d.it.link), short, "/?p=" + strconv.Itoa(d.it.id)} {
			if k := siteKey(d.ex) + " " + p; p != "" && imp.targets[k] == nil {
				imp.targets[k] = d
			}
		}
		var aliases []string
		for _, a := range []string{oldPath(d.it.link), short} {
			switch {
			case a == "" || a == d.url || slices.Contains(aliases, a):
			case !strings.HasPrefix(a, "/?") && reservedName(firstSegment(a)):
				imp.warnf(d.it, "its old address %s is one of the archive's own pages; it does not redirect here", a)
			case imp.existing[a] != "" || imp.staffFile(a) != "":
				imp.warnf(d.it, "its old address %s already leads to %s of the content folder; it does not redirect here", a, firstOf(imp.existing[a], imp.staffFile(a)))
			case urls[a] != nil:
				imp.warnf(d.it, "its old address %s is now the address of %s; it does not redirect here", a, urls[a].name())
			case claimed[a] != nil:
				imp.warnf(d.it, "its old address %s is also that of %s; it redirects there", a, claimed[a].name())
			default:
				claimed[a] = d
				aliases = append(aliases, a)
			}
		}
		if d.inFolder() {
			// The loader takes a file in a folder with aliases for a
			// publication missing its date.
			if len(aliases) > 0 && !(len(aliases) == 1 && aliases[0] == short) {
				imp.warnf(d.it, "a page below another keeps no aliases: %s does not redirect to %s", strings.Join(aliases, " and "), d.url)
			}
			aliases = nil
		}
		d.aliases = aliases
	}
}

// oldPath is the path of a URL of the old site as the archive's aliases
// write it: "/2013/01/10/x/", or "/?p=12" for WordPress's short links; ""
// for its home page or a URL that is not one.
func oldPath(link string) string {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		return ""
	}
	q := u.Query()
	for _, k := range []string{"p", "page_id", "attachment_id"} {
		if v := q.Get(k); v != "" && allDigits(v) {
			return "/?" + k + "=" + v
		}
	}
	p := path.Clean("/" + u.Path)
	if p == "/" {
		return ""
	}
	if path.Ext(p) == "" {
		p += "/"
	}
	return p
}

// staffFile is the file already in the content folder, not written by an
// import, that serves the URL path p, or "".
func (imp *importer) staffFile(p string) string {
	if strings.HasPrefix(p, "/?") {
		return ""
	}
	base := strings.Trim(p, "/")
	if base == "" {
		return ""
	}
	for _, name := range []string{base + ".md", base + "/index.md", base + "/_index.md"} {
		if _, err := os.Stat(filepath.Join(imp.opts.OutDir, filepath.FromSlash(name))); err == nil && !imp.mine(name) {
			return name
		}
	}
	return ""
}

func firstSegment(p string) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return first
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// cleanSlug decodes a WordPress slug and makes it safe as a file name:
// no slashes or control characters, and no leading "." or "_", which would
// hide it from readers. Everything else is kept as WordPress had it.
func cleanSlug(s string) string {
	if u, err := url.PathUnescape(s); err == nil && utf8.ValidString(u) {
		s = u
	}
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return '-'
		}
		return r
	}, s)
	s = strings.TrimSpace(strings.TrimLeft(s, "._ "))
	s = strings.TrimRight(s, ". ")
	return norm.NFC.String(s)
}

var hyphens = regexp.MustCompile(`-+`)

// urlize makes a title into a slug as WordPress's sanitize_title does for
// the common cases: lower case, letters and digits kept (accents too),
// everything else a hyphen.
func urlize(s string) string {
	s = norm.NFC.String(strings.ToLower(s))
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			return r
		}
		return '-'
	}, s)
	s = strings.Trim(hyphens.ReplaceAllString(s, "-"), "-")
	if len(s) > 80 {
		cut := 80
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = strings.Trim(s[:cut], "-")
	}
	return s
}
