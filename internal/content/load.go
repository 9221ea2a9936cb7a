package content

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"archive/internal/markdown"
	"archive/internal/parallel"
)

// Options change how content is loaded.
type Options struct {
	Markdown markdown.Options
	// Previous is the site as last loaded with the same options, if any:
	// a file whose bytes have not changed since keeps its parsed Markdown
	// rather than being rendered again (watch mode reloads on every save).
	Previous *Site
	// Now is the time against which publishDate and expiryDate are read
	// (default: the time of the load).
	Now time.Time
	// LazyBodies leaves without a Doc each publication whose parse was
	// taken over from Previous without one (Previous decoded from a saved
	// state), for Site.ParseBody to parse if it is rendered or indexed
	// again; otherwise every published body is parsed.
	LazyBodies bool
}

// ServedTypes are the file extensions, besides Markdown, that the site serves
// from the content folder. Anything else (HTML, scripts, notes for staff) is
// kept private.
var ServedTypes = map[string]bool{
	".pdf": true, ".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true, ".svg": true,
	".txt": true, ".csv": true, ".epub": true, ".odt": true, ".docx": true, ".xlsx": true, ".zip": true,
	".mp3": true, ".mp4": true, ".webm": true,
}

var knownFields = map[string]bool{
	"title": true, "date": true, "summary": true, "authors": true, "author": true, "by": true,
	"tags": true, "lang": true, "draft": true, "aliases": true, "attachments": true, "related": true,
	"updated": true, "corrections": true, "translationKey": true, "redirect": true,
	"publishDate": true, "publishdate": true, "expiryDate": true, "expirydate": true, "published": true,
}

type loader struct {
	fsys       fs.FS
	md         *markdown.Renderer
	prevDocs   map[string]*Publication // by source, from Options.Previous
	prevParsed map[string]*parsedFile  // by source, from Options.Previous
	sources    map[string]fileStat     // size and time of each Markdown file
	now        time.Time
	permalinks Permalinks
	languages  []string      // site.toml's languages, for translations by file name
	staticDir  string        // the site's static folder (Settings.StaticDir)
	unknown    unknownFields // guarded by mu
	shortcodes unknownFields // Hugo shortcodes and Liquid tags met, guarded by mu
	// fileAliases are URL paths of bundle files served beside a page that
	// is not at its folder's URL (see Site.FileAliases).
	fileAliases map[string]string
	mu          sync.Mutex
	problems    Problems
}

func (l *loader) report(p Problem) {
	l.mu.Lock()
	l.problems = append(l.problems, p)
	l.mu.Unlock()
}

func (l *loader) errorf(file string, line int, format string, args ...any) {
	l.report(Problem{Path: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) warnf(file string, line int, format string, args ...any) {
	l.report(Problem{Path: file, Line: line, Message: fmt.Sprintf(format, args...), Warning: true})
}

// Load reads every publication in fsys. The error is for a folder that cannot
// be read at all; everything wrong with single files is in Problems, and a
// Site is returned even when there are errors so that all can be listed.
func Load(fsys fs.FS, opts Options) (*Site, Problems, error) {
	l := &loader{fsys: fsys, now: opts.Now, fileAliases: map[string]string{}}
	if l.now.IsZero() {
		l.now = time.Now()
	}
	settings, err := l.settings()
	if err != nil {
		return nil, nil, err
	}
	ignore, err := newIgnorer(settings.Ignore)
	if err != nil {
		l.errorf(SettingsFile, 0, "%v", err)
	}
	if err := settings.Permalinks.check(); err != nil {
		l.errorf(SettingsFile, 0, "%v", err)
		settings.Permalinks = nil
	}
	l.permalinks = settings.Permalinks
	l.languages = settings.Languages
	l.staticDir = path.Clean(cmpOr(settings.StaticDir, "static"))
	if strings.HasPrefix(l.staticDir, "../") || l.staticDir == ".." || path.IsAbs(l.staticDir) || l.staticDir == "." {
		l.errorf(SettingsFile, 0, "static_dir %q must be a folder inside the content folder, such as static", settings.StaticDir)
		l.staticDir = "static"
	}
	mdOpts := opts.Markdown
	mdOpts.AllowHTML = mdOpts.AllowHTML || settings.AllowHTML
	l.md = markdown.New(mdOpts)
	if prev := opts.Previous; prev != nil && prev.Settings.AllowHTML == settings.AllowHTML {
		l.prevDocs = map[string]*Publication{}
		for _, p := range prev.All() {
			l.prevDocs[p.Source] = p
		}
		if prev.parsedWith == parseKey(settings, mdOpts) {
			l.prevParsed = prev.parsed
		}
	}
	l.sources = map[string]fileStat{}
	var sources []string             // Markdown files
	candidates := map[string]int64{} // other files of served types, and their sizes
	mtimes := map[string]time.Time{}
	bundles := map[string]string{} // bundle folder -> its index.md
	var withheld []Withheld
	hidden, ignored := 0, 0
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			l.errorf(p, 0, "cannot read: %v", unwrapPath(err))
			return nil
		}
		if p == "." {
			return nil
		}
		name := d.Name()
		skip := func() error {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if privateName(name) {
			hidden++
			return skip()
		}
		if ignore.match(p) {
			ignored++
			return skip()
		}
		if d.IsDir() {
			return nil
		}
		var info fs.FileInfo
		if d.Type()&fs.ModeSymlink != 0 {
			var reason string
			if info, reason = symlinkTarget(fsys, p); reason != "" {
				l.warnf(p, 0, "not published: %s", reason)
				return nil
			}
		} else if !d.Type().IsRegular() {
			withheld = append(withheld, Withheld{p, "not a regular file"})
			return nil
		}
		ext := strings.ToLower(path.Ext(name))
		top := !strings.Contains(p, "/")
		switch {
		case strings.HasPrefix(p, l.staticDir+"/") && ServedTypes[ext]:
			// Hugo's static/: its images, PDFs and other served types.
			if info == nil {
				if info, err = d.Info(); err != nil {
					l.errorf(p, 0, "cannot read: %v", unwrapPath(err))
					return nil
				}
			}
			candidates[p] = info.Size()
			mtimes[p] = info.ModTime()
		case isMarkdown(ext) && top && isSectionIndex(name):
			withheld = append(withheld, Withheld{p, "the home page takes no text of its own; write an about page (about.md) instead"})
		case isMarkdown(ext):
			// A file at the top (about.md) is a page of its own, at /about/.
			sources = append(sources, p)
			l.noteSource(p, d, info)
			logical, lang := l.splitLang(p)
			if isSectionIndex(path.Base(logical)) && strings.Count(p, "/") > 1 {
				// The bundle belongs to its default-language index.
				if owner, ok := bundles[path.Dir(p)]; !ok || lang == "" && owner != p {
					bundles[path.Dir(p)] = p
				}
			}
		case p == SettingsFile || ext == ".go":
			// The site's settings and the Go file that embeds the folder.
		case isHTMLContent(p) && hasFrontMatter(fsys, p):
			// An .html content file, as Hugo and Jekyll take them.
			sources = append(sources, p)
			l.noteSource(p, d, info)
		case !ServedTypes[ext]:
			withheld = append(withheld, Withheld{p, "the site does not serve " + cmp.Or(ext, "files without an extension")})
		case top:
			withheld = append(withheld, Withheld{p, "files at the top of the content folder are not served; put it in a section folder"})
		default:
			if info == nil {
				if info, err = d.Info(); err != nil {
					l.errorf(p, 0, "cannot read: %v", unwrapPath(err))
					return nil
				}
			}
			candidates[p] = info.Size()
			mtimes[p] = info.ModTime()
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read content folder: %w", unwrapPath(err))
	}
	l.unknown, l.shortcodes = unknownFields{}, unknownFields{}
	pubs, redirects, records, taken := l.parseAll(sources)
	l.unknown.report(l, "unknown field %s is kept but not used")
	l.shortcodes.report(l, "shortcode %s is not one the archive knows: it is left out and the text around it kept")
	l.attach(pubs, candidates)
	files, private := l.decidePublic(pubs, candidates, bundles)
	withheld = append(withheld, private...)
	pubs, private = l.documents(pubs, files, candidates, bundles)
	withheld = append(withheld, private...)

	known := knownSums(files, mtimes, opts.Previous)
	var unknown []string
	for _, name := range keys(files) {
		if _, ok := known[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	sums := hashAll(fsys, unknown, l)
	maps.Copy(sums, known)
	for _, p := range pubs {
		for _, a := range p.Attachments {
			a.SHA256 = sums[a.Path]
			if p.Document {
				a.ModTime = mtimes[a.Path]
			}
		}
	}
	sort.Slice(withheld, func(i, j int) bool { return withheld[i].Path < withheld[j].Path })
	site := &Site{
		FS:           fsys,
		ByURL:        map[string]*Publication{},
		Redirects:    map[string]string{},
		Tags:         map[string][]*Publication{},
		Categories:   map[string][]*Publication{},
		Years:        map[int][]*Publication{},
		Files:        files,
		SectionPages: map[string]*Publication{},
		Settings:     settings,
		Withheld:     withheld,
		FileAliases:  l.fileAliases,
		Hidden:       hidden,
		Ignored:      ignored,
		parsed:       records,
		parsedWith:   parseKey(settings, mdOpts),
		md:           l.md,
	}
	site.Parsed, site.TakenOver, site.takenOver = len(sources)-len(taken), len(taken), taken
	l.index(site, pubs, redirects)
	if !opts.LazyBodies {
		if err := site.ParseBodies(site.All()); err != nil {
			l.errorf("content", 0, "%v", err)
		}
	}
	l.resolve(site, files)

	// Markdown sources were hashed as they were parsed.
	for k, v := range srcSums(pubs, redirects) {
		sums[k] = v
	}
	// What is published at this moment is part of what the site is: a
	// scheduled publication changes it without any file changing.
	site.Hash = hashFiles(append(keys(files), sources...), sums, site.publishedSources())

	// slices', not sort's: a large archive has tens of thousands of
	// warnings, and sort.SliceStable's reflection took a quarter of a load
	// that parsed nothing.
	slices.SortStableFunc(l.problems, func(a, b Problem) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line))
	})
	return site, l.problems, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// knownSums are the SHA-256 of the files that prev has with the same size
// and modification time, which need not be read again: at 10,000
// publications with 1,000 PDFs, hashing them was most of a reload.
func knownSums(files map[string]int64, mtimes map[string]time.Time, prev *Site) map[string]string {
	known := map[string]string{}
	if prev == nil {
		return known
	}
	for _, a := range prev.Attachments() {
		if size, ok := files[a.Path]; ok && a.SHA256 != "" && size == a.Size && mtimes[a.Path].Equal(a.ModTime) {
			known[a.Path] = a.SHA256
		}
	}
	return known
}

// hashAll computes the SHA-256 of every file, on all cores.
func hashAll(fsys fs.FS, names []string, l *loader) map[string]string {
	sums := make(map[string]string, len(names))
	var mu sync.Mutex
	parallel.For(len(names), func(i int) {
		sum, err := hashFile(fsys, names[i])
		if err != nil {
			l.errorf(names[i], 0, "cannot read: %v", unwrapPath(err))
			return
		}
		mu.Lock()
		sums[names[i]] = sum
		mu.Unlock()
	})
	return sums
}

func hashFile(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type parsed struct {
	pub      *Publication
	redirect *Redirect
	sum      string
}

// parseAll parses the Markdown files, or takes over the previous load's
// parse of those that have not changed (reuse.go). It returns the records
// of every file, for the next load.
func (l *loader) parseAll(sources []string) (pubs []*Publication, redirects []*Redirect, byFile map[string]*parsedFile, taken map[string]bool) {
	results := make([]parsed, len(sources))
	records := make([]*parsedFile, len(sources))
	wasTaken := make([]bool, len(sources))
	parallel.For(len(sources), func(i int) {
		file, st := sources[i], l.sources[sources[i]]
		if rec, ok := l.takeOver(file, st.size, st.mtime, nil); ok {
			results[i], records[i], wasTaken[i] = l.takenOver(file, rec), rec, true
			return
		}
		src, err := fs.ReadFile(l.fsys, file)
		if err != nil {
			l.errorf(file, 0, "cannot read: %v", unwrapPath(err))
			return
		}
		if rec, ok := l.takeOver(file, st.size, st.mtime, src); ok {
			// Touched but not changed (a checkout, a copy): the same parse,
			// under the file's new time.
			c := *rec
			c.Size, c.ModTime = st.size, st.mtime
			results[i], records[i], wasTaken[i] = l.takenOver(file, &c), &c, true
			return
		}
		results[i] = l.parse(file, src)
		records[i] = record(results[i], st.size, st.mtime)
	})
	byFile, taken = make(map[string]*parsedFile, len(sources)), map[string]bool{}
	for i, r := range results {
		if wasTaken[i] {
			taken[sources[i]] = true
		}
		if records[i] != nil && (r.pub != nil || r.redirect != nil) {
			byFile[sources[i]] = records[i]
		}
		if r.pub != nil {
			r.pub.SourceSHA256 = r.sum
			pubs = append(pubs, r.pub)
		}
		if r.redirect != nil {
			r.redirect.sum = r.sum
			redirects = append(redirects, r.redirect)
		}
	}
	return pubs, redirects, byFile, taken
}

// takenOver is rec as the parse of file, with the Doc the previous load
// had for the same bytes, if it had one (watch mode keeps them).
func (l *loader) takenOver(file string, rec *parsedFile) parsed {
	out := rec.parsed()
	if old := l.prevDocs[file]; out.pub != nil && old != nil && old.SourceSHA256 == rec.Sum && old.Doc != nil {
		out.pub.Doc = old.Doc
	}
	return out
}

// fileStat is what tells a changed file without reading it.
type fileStat struct {
	size  int64
	mtime time.Time
}

// noteSource keeps the size and time of the Markdown file p, whose walk
// entry is d (info, if the walk had to stat it).
func (l *loader) noteSource(p string, d fs.DirEntry, info fs.FileInfo) {
	if info == nil {
		var err error
		if info, err = d.Info(); err != nil {
			return // read, and reported, when it is parsed
		}
	}
	l.sources[p] = fileStat{info.Size(), info.ModTime()}
}

func srcSums(pubs []*Publication, redirects []*Redirect) map[string]string {
	m := map[string]string{}
	for _, p := range pubs {
		m[p.Source] = p.SourceSHA256
	}
	for _, r := range redirects {
		m[r.Source] = r.sum
	}
	return m
}

// parse parses one Markdown file, whose bytes are src. Drafts come back
// with Draft set.
func (l *loader) parse(file string, src []byte) parsed {
	sum := sha256.Sum256(src)
	out := parsed{sum: hex.EncodeToString(sum[:])}
	if !utf8.Valid(src) {
		line := 1 + bytes.Count(src[:invalidUTF8At(src)], []byte("\n"))
		l.errorf(file, line, "not UTF-8 text: save the file as UTF-8")
		return out
	}
	fm, err := splitFrontMatter(src)
	if err != nil {
		var le *LineError
		if errors.As(err, &le) {
			l.errorf(file, le.Line, "%v", le.Err)
		} else {
			l.errorf(file, 1, "%v", err)
		}
		return out
	}
	if isSidecar(file) {
		out.pub = l.sidecar(file, src, fm)
		return out
	}
	// Hugo's translations by file name: index.zh.md beside index.md is
	// its Chinese version, served under /zh/.
	logical, lang := l.splitLang(file)
	section, slug := sectionSlug(logical)
	url := "/" + section + "/" + slug + "/"
	top := !strings.Contains(file, "/")
	if top {
		// about.md: a page of its own, outside any section.
		section, slug, url = "", section, "/"+section+"/"
	}
	if name := cmpOr(section, slug); slices.Contains(ReservedSections, name) {
		l.errorf(file, 0, "the name %q is used by the site itself; choose another", name)
		return out
	}
	if lang != "" {
		url = "/" + lang + url
	}
	if target, ok := fm.fields["redirect"]; ok && fm.fields["title"] == nil {
		to, err := asString(target)
		if err != nil || to == "" {
			l.errorf(file, fm.keyLines["redirect"], "redirect must be a URL path")
			return out
		}
		external, err := redirectTarget(to)
		if err != nil {
			l.errorf(file, fm.keyLines["redirect"], "redirect: %v", err)
			return out
		}
		if external {
			l.warnf(file, fm.keyLines["redirect"], "redirect: %s sends readers to another site", to)
		}
		out.redirect = &Redirect{From: url, To: to, Source: file}
		return out
	}
	p := &Publication{
		Section:  section,
		Slug:     slug,
		URL:      url,
		Source:   file,
		BodyLine: fm.bodyLine,
		Body:     src[fm.bodyStart:],
		Lang:     "en",
		Extra:    map[string]any{},
	}
	if isSectionIndex(path.Base(logical)) && slug != "" {
		p.Dir = path.Dir(file)
	}
	l.fields(p, fm)
	if len(l.languages) > 0 && p.TranslationKey == "" {
		// Versions of one file in several languages are translations.
		p.TranslationKey = "file:" + strings.TrimSuffix(logical, path.Ext(logical))
	}
	if lang != "" {
		if _, set := fm.fields["lang"]; !set {
			p.Lang = lang
		}
	}
	if top {
		p.Undated = true
	}
	if p.explicitURL != "" {
		p.URL = p.explicitURL
	} else if p.Slug != slug && p.Slug != "" {
		p.URL = "/" + path.Join(lang, p.Section, p.Slug) + "/"
	}
	if old := l.prevDocs[file]; old != nil && old.SourceSHA256 == out.sum && old.Doc != nil {
		p.Doc = old.Doc
		out.pub = p
		return out
	}
	render := l.md.Render
	if isHTMLContent(file) {
		render = l.md.RenderHTML
	}
	doc, err := render(p.Body)
	if err != nil {
		l.errorf(file, p.BodyLine, "%v", err)
		return out
	}
	p.Doc = doc
	for _, sc := range doc.Shortcodes {
		l.mu.Lock()
		l.shortcodes.add(sc.Name, file, p.BodyLine+sc.Line-1)
		l.mu.Unlock()
	}
	out.pub = p
	return out
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// sectionSlug splits "reports/2022/x/index.md" into "reports" and "2022/x".
func sectionSlug(file string) (string, string) {
	dir, name := path.Split(file)
	dir = strings.TrimSuffix(dir, "/")
	if !isSectionIndex(name) {
		stem := strings.TrimSuffix(name, path.Ext(name))
		if _, rest, ok := jekyllDate(stem); ok {
			stem = rest // Jekyll's 2016-9-20-what-it-costs.markdown
		}
		dir = path.Join(dir, stem)
	}
	section, slug, _ := strings.Cut(dir, "/")
	return section, slug
}

// fields fills p's typed fields from front matter, reporting each bad one.
func (l *loader) fields(p *Publication, fm *frontMatter) {
	file := p.Source
	line := func(k string) int {
		if n, ok := fm.keyLines[k]; ok {
			return n
		}
		return 1
	}
	bad := func(k string, err error) { l.errorf(file, line(k), "%s: %v", k, err) }

	if v, ok := fm.fields["title"]; !ok {
		if !p.Document {
			l.errorf(file, 1, "title is missing: every publication needs a title")
		}
	} else if s, err := asString(v); err != nil {
		bad("title", err)
	} else if p.Title = strings.TrimSpace(s); p.Title == "" {
		l.errorf(file, line("title"), "title is empty")
	}
	if _, ok := fm.fields["date"]; !ok {
		if t, _, ok := jekyllDate(strings.TrimSuffix(path.Base(file), path.Ext(file))); ok {
			fm.fields["date"] = t
		}
	}
	if v, ok := fm.fields["date"]; !ok {
		if p.Section == "" || p.Document {
			// A page outside the sections needs no date.
		} else if p.Slug == "" || !undatedPageAllowed(p, fm) {
			if p.Slug != "" {
				l.errorf(file, 1, "date is missing: write the publication date, such as date: 2022-01-13")
			}
		} else {
			p.Undated = true
			l.warnf(file, 1, "no date: served as an undated page at %s but not listed among the publications; add a date (date: 2022-01-13) to publish it", p.URL)
		}
	} else if t, err := parseDate(v); err != nil {
		bad("date", err)
	} else {
		p.Date, p.Undated = t, false
	}
	strField := func(k string, dst *string) {
		if v, ok := fm.fields[k]; ok {
			s, err := asString(v)
			if err != nil {
				bad(k, err)
			}
			*dst = strings.TrimSpace(s)
		}
	}
	listField := func(k string) []string {
		v, ok := fm.fields[k]
		if !ok {
			return nil
		}
		s, err := asStrings(v)
		if err != nil {
			bad(k, err)
		}
		return s
	}
	strField("summary", &p.Summary)
	strField("lang", &p.Lang)
	if p.Lang == "" {
		p.Lang = "en"
	}
	strField("translationKey", &p.TranslationKey)
	for _, k := range []string{"authors", "author", "by"} {
		p.Authors = append(p.Authors, listField(k)...)
	}
	p.Tags, p.TagNames = normalizeTags(listField("tags"))
	p.Aliases = listField("aliases")
	p.RelatedPaths = listField("related")
	if v, ok := fm.fields["draft"]; ok {
		b, err := asBool(v)
		if err != nil {
			bad("draft", err)
		}
		p.Draft = b
	}
	// Jekyll writes "published: false" for what Hugo calls a draft.
	if v, ok := fm.fields["published"]; ok {
		b, err := asBool(v)
		if err != nil {
			bad("published", err)
		}
		p.Draft = p.Draft || !b
	}
	dateField := func(dst *time.Time, names ...string) {
		for _, k := range names {
			if v, ok := fm.fields[k]; ok {
				t, err := parseDate(v)
				if err != nil {
					bad(k, err)
				}
				*dst = t
			}
		}
	}
	dateField(&p.PublishDate, "publishDate", "publishdate")
	dateField(&p.ExpiryDate, "expiryDate", "expirydate")
	if !p.PublishDate.IsZero() && !p.ExpiryDate.IsZero() && !p.ExpiryDate.After(p.PublishDate) {
		l.warnf(file, line("expiryDate"), "expiryDate is not after publishDate: the publication is never published")
	}
	if v, ok := fm.fields["updated"]; ok {
		list, isList := v.([]any)
		if !isList {
			list = []any{v}
		}
		for _, d := range list {
			t, err := parseDate(d)
			if err != nil {
				bad("updated", err)
				continue
			}
			p.Updated = append(p.Updated, t)
		}
	}
	if v, ok := fm.fields["corrections"]; ok {
		cs, err := corrections(v)
		if err != nil {
			bad("corrections", err)
		}
		p.Corrections = cs
	}
	if v, ok := fm.fields["attachments"]; ok {
		as, err := attachmentList(v)
		if err != nil {
			bad("attachments", err)
		}
		for _, a := range as {
			a.declLine = line("attachments")
		}
		p.Attachments = as
	}
	l.hugoFields(p, fm, line)
	for k, v := range fm.fields {
		if knownFields[k] || hugoKnown[k] {
			continue
		}
		p.Extra[k] = v
		if !quietFields[k] {
			l.mu.Lock()
			l.unknown.add(k, file, line(k))
			l.mu.Unlock()
		}
	}
}

// undatedPageAllowed tells a plain page (a single file with a title and
// nothing that marks it as a publication) from a publication missing its date.
func undatedPageAllowed(p *Publication, fm *frontMatter) bool {
	if p.Dir != "" {
		return false
	}
	// Aliases are allowed: a page moved in from WordPress keeps its old
	// address as one.
	for _, k := range []string{"summary", "authors", "author", "by", "tags", "attachments", "related"} {
		if _, ok := fm.fields[k]; ok {
			return false
		}
	}
	return true
}

// normalizeTags makes the URL form of each tag ("Hong Kong" is hong-kong)
// and keeps each as written, for pages to show.
func normalizeTags(tags []string) (slugs, names []string) {
	for _, name := range tags {
		name = strings.Join(strings.Fields(name), " ")
		t := strings.Join(strings.Fields(strings.ToLower(name)), "-")
		if t != "" && !slices.Contains(slugs, t) {
			slugs, names = append(slugs, t), append(names, name)
		}
	}
	return slugs, names
}

// TagLabel is the tag as the site shows it: as most of its publications
// write it (the newest first among equals).
func (s *Site) TagLabel(tag string) string {
	return label(tag, s.Tags[tag], func(p *Publication) ([]string, []string) { return p.Tags, p.TagNames })
}

// CategoryLabel is a category as the site shows it, as TagLabel is a tag.
func (s *Site) CategoryLabel(c string) string {
	return label(c, s.Categories[c], func(p *Publication) ([]string, []string) { return p.Categories, p.CategoryNames })
}

// label is how most of pubs write the term slug (the newest first among
// equals), given each one's terms in URL form and as written.
func label(slug string, pubs []*Publication, terms func(*Publication) ([]string, []string)) string {
	count := map[string]int{}
	best := slug
	for _, p := range pubs {
		slugs, names := terms(p)
		if i := slices.Index(slugs, slug); i >= 0 && i < len(names) {
			n := names[i]
			count[n]++
			if count[n] > count[best] {
				best = n
			}
		}
	}
	return best
}

func corrections(v any) ([]Correction, error) {
	items, err := mapList(v)
	if err != nil {
		return nil, err
	}
	var out []Correction
	for _, m := range items {
		var c Correction
		if d, ok := m["date"]; ok {
			t, err := parseDate(d)
			if err != nil {
				return out, err
			}
			c.Date = t
		}
		text, err := asString(m["text"])
		if err != nil || strings.TrimSpace(text) == "" {
			return out, errors.New("each correction needs a text (and a date)")
		}
		c.Text = strings.TrimSpace(text)
		out = append(out, c)
	}
	return out, nil
}

// attachmentList reads a list of file names or of maps with file and title.
func attachmentList(v any) ([]*Attachment, error) {
	items, err := mapList(v)
	if err != nil {
		return nil, err
	}
	var out []*Attachment
	for _, m := range items {
		var name string
		for _, k := range []string{"file", "path", "name", "src"} {
			if s, err := asString(m[k]); err == nil && s != "" {
				name = s
				break
			}
		}
		if name == "" {
			return out, errors.New("each attachment needs a file name (file: report.pdf)")
		}
		title, _ := asString(m["title"])
		out = append(out, &Attachment{Name: path.Clean(strings.TrimPrefix(name, "./")), Title: title})
	}
	return out, nil
}

// mapList accepts a list whose items are maps, or plain strings taken as the
// "file" or "text" of an item.
func mapList(v any) ([]map[string]any, error) {
	var list []any
	switch t := v.(type) {
	case []any:
		list = t
	case []map[string]any:
		for _, m := range t {
			list = append(list, m)
		}
	default:
		return nil, fmt.Errorf("must be a list, not %s", typeName(v))
	}
	var out []map[string]any
	for _, e := range list {
		switch m := e.(type) {
		case map[string]any:
			out = append(out, m)
		case string:
			out = append(out, map[string]any{"file": m, "text": m})
		default:
			return out, fmt.Errorf("list item must be a map or text, not %s", typeName(e))
		}
	}
	return out, nil
}

// attach fills in attachments: the listed ones must exist in the bundle, and
// a PDF beside index.md that is not listed is attached too.
func (l *loader) attach(pubs []*Publication, files map[string]int64) {
	byDir := map[string][]string{}
	for f := range files {
		byDir[path.Dir(f)] = append(byDir[path.Dir(f)], f)
	}
	for _, p := range pubs {
		if p.Dir == "" {
			for _, a := range p.Attachments {
				l.errorf(p.Source, a.declLine, "attachments: %s: only a page bundle (%s/index.md) can have attachments", a.Name, strings.TrimSuffix(p.Source, ".md"))
			}
			p.Attachments = nil
			continue
		}
		var kept []*Attachment
		listed := map[string]bool{}
		for _, a := range p.Attachments {
			full := path.Join(p.Dir, a.Name)
			if _, ok := files[full]; !ok || strings.HasPrefix(a.Name, "../") {
				l.errorf(p.Source, a.declLine, "attachments: %s does not exist in %s/", a.Name, p.Dir)
				continue
			}
			listed[full] = true
			kept = append(kept, a)
		}
		extra := byDir[p.Dir]
		sort.Strings(extra)
		for _, f := range extra {
			if !listed[f] && strings.EqualFold(path.Ext(f), ".pdf") {
				kept = append(kept, &Attachment{Name: path.Base(f)})
			}
		}
		for _, a := range kept {
			a.Path = path.Join(p.Dir, a.Name)
			a.URL = p.URL + a.Name
			a.Size = files[a.Path]
			if a.Title == "" {
				a.Title = a.Name
			}
			if info, err := fs.Stat(l.fsys, a.Path); err == nil {
				a.ModTime = info.ModTime()
			}
			if a.Size == 0 {
				l.warnf(a.Path, 0, "attachment is empty (0 bytes)")
			}
		}
		p.Attachments = kept
	}
}

// index places publications in the site and checks that URLs are unique.
func (l *loader) index(site *Site, pubs []*Publication, redirects []*Redirect) {
	sections := map[string]bool{}
	for _, p := range pubs {
		if ok, _ := p.status(l.now); !ok {
			site.noteChange(p, l.now)
			continue
		}
		site.noteChange(p, l.now)
		if p.Document {
			site.ByURL[p.URL] = p
			site.Documents = append(site.Documents, p)
			sections[p.Section] = true
			continue
		}
		if p.Slug == "" {
			// <section>/index.md describes the section itself.
			p.URL = "/" + p.Section + "/"
			site.SectionPages[p.Section] = p
			continue
		}
		if other, ok := site.ByURL[p.URL]; ok {
			l.errorf(p.Source, 0, "%s has the same URL %s as %s: rename one", p.Source, p.URL, other.Source)
			continue
		}
		site.ByURL[p.URL] = p
		if p.Undated {
			site.Pages = append(site.Pages, p)
			continue
		}
		site.Publications = append(site.Publications, p)
		sections[p.Section] = true
	}
	defer func() { site.Menu = site.menu() }()
	sortDocuments(site.Documents)
	slices.SortStableFunc(site.Publications, func(a, b *Publication) int {
		// Newest first, then Hugo's order where dates tie.
		return cmp.Or(b.Date.Compare(a.Date), cmp.Compare(a.Weight, b.Weight), strings.Compare(a.URL, b.URL))
	})
	for s := range sections {
		site.Sections = append(site.Sections, s)
	}
	sort.Strings(site.Sections)
	addRedirect := func(from, to, source string, line int) {
		if q, ok := IDLink(from); ok {
			from = q // WordPress's /?p=ID, kept as it is
		} else {
			from = cleanURLPath(from)
		}
		if _, ok := site.ByURL[from]; ok {
			l.errorf(source, line, "alias %s is the URL of a publication", from)
			return
		}
		if prev, ok := site.Redirects[from]; ok && prev != to {
			l.errorf(source, line, "alias %s already redirects to %s", from, prev)
			return
		}
		site.Redirects[from] = to
	}
	for _, p := range site.Publications {
		for _, a := range p.Aliases {
			addRedirect(a, p.URL, p.Source, 0)
		}
		for _, t := range p.Tags {
			site.Tags[t] = append(site.Tags[t], p)
		}
		for _, c := range p.Categories {
			site.Categories[c] = append(site.Categories[c], p)
		}
		site.Years[p.Date.Year()] = append(site.Years[p.Date.Year()], p)
	}
	for _, p := range site.Pages {
		for _, a := range p.Aliases {
			addRedirect(a, p.URL, p.Source, 0)
		}
	}
	for _, r := range redirects {
		addRedirect(r.From, r.To, r.Source, 0)
		site.RedirectStubs = append(site.RedirectStubs, r.Source)
	}
	// Old URLs from the site's permalink patterns, and the same ending in
	// .html, lead to the archive's URL.
	for _, p := range site.Publications {
		old := l.permalinks.oldURL(p, p.slugField)
		if old == "" || old == p.URL {
			continue
		}
		if _, taken := site.ByURL[old]; taken {
			l.warnf(p.Source, 0, "permalink %s is the URL of another publication; it does not redirect here", old)
			continue
		}
		addRedirect(old, p.URL, p.Source, 0)
		addRedirect(strings.TrimSuffix(old, "/")+".html", p.URL, p.Source, 0)
	}
}

// wordpressID matches WordPress's short links, /?p=ID for posts and
// /?page_id=ID for pages, which stay valid after a site moves in.
var wordpressID = regexp.MustCompile(`^/?\?(p|page_id)=([0-9]+)$`)

// IDLink reports whether u is such a short link, written as the server
// looks it up: "/?p=123".
func IDLink(u string) (string, bool) {
	m := wordpressID.FindStringSubmatch(u)
	if m == nil {
		return "", false
	}
	return "/?" + m[1] + "=" + m[2], true
}

// redirectTarget accepts a path of this site ("/letters/x/") or an http or
// https URL of another one, which it reports as external. Anything else
// ("javascript:", "//host/x", which browsers read as another host) is an
// error: a redirect stub must not turn the site into a link to anywhere.
func redirectTarget(to string) (external bool, err error) {
	for _, r := range to {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return false, fmt.Errorf("%q has a control character or a backslash", to)
		}
	}
	u, err := url.Parse(to)
	if err != nil {
		return false, fmt.Errorf("%q is not a URL", to)
	}
	switch {
	case u.Scheme == "" && u.Host == "" && strings.HasPrefix(to, "/") && !strings.HasPrefix(to, "//"):
		return false, nil
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil:
		return true, nil
	}
	return false, fmt.Errorf("%q must be a path of this site (/letters/x/) or an http(s) URL", to)
}

// cleanURLPath turns "a/b", "/a/b" and "/a/b/" into "/a/b/", keeping file
// names ("/a/b.html") as they are.
func cleanURLPath(p string) string {
	if u, err := url.Parse(p); err == nil && u.Path != "" {
		p = u.Path
	}
	p = path.Clean("/" + p)
	if path.Ext(p) == "" && p != "/" {
		p += "/"
	}
	return p
}

// resolve links related publications and checks links in bodies.
func (l *loader) resolve(site *Site, files map[string]int64) {
	for _, p := range site.Publications {
		for _, r := range p.RelatedPaths {
			target := cleanURLPath(strings.TrimSuffix(strings.TrimSuffix(r, "index.md"), ".md"))
			if rp, ok := site.ByURL[target]; ok && rp != p {
				p.Related = append(p.Related, rp)
			} else {
				l.errorf(p.Source, 0, "related: %s is not a publication of this site (write its path, such as letters/open-letter)", r)
			}
		}
	}
	exists := func(u string) bool {
		if _, ok := site.ByURL[u]; ok {
			return true
		}
		if _, ok := site.Redirects[u]; ok {
			return true
		}
		if _, ok := files[strings.TrimPrefix(u, "/")]; ok {
			return true
		}
		if _, ok := l.fileAliases[strings.TrimPrefix(u, "/")]; ok {
			return true
		}
		first, rest, _ := strings.Cut(strings.Trim(u, "/"), "/")
		switch {
		case u == "/":
			return true
		case rest == "" && slices.Contains(site.Sections, first):
			return true
		case first == "tags" && (rest == "" || site.Tags[strings.TrimSuffix(rest, "/")] != nil):
			return true
		case slices.Contains(ReservedSections, first) && first != "tags":
			return true
		}
		return false
	}
	for _, p := range site.Publications {
		if p.Image != "" {
			target, _ := linkedFile(p.URL, p.Image)
			if p.Image = "/" + target; !exists(p.Image) {
				l.warnf(p.Source, p.imageLine, "image %s: no such file on this site", p.Image)
				p.Image = ""
			}
		}
		for _, link := range p.Links() {
			u, err := url.Parse(link.Dest)
			if err != nil {
				l.warnf(p.Source, p.BodyLine+link.Line-1, "link %q is not a valid URL", link.Dest)
				continue
			}
			if u.Scheme != "" || u.Host != "" || u.Path == "" {
				continue
			}
			target := u.Path
			if !strings.HasPrefix(target, "/") {
				target = path.Join(p.URL, target)
			}
			if !exists(cleanURLPath(target)) && !exists(path.Clean(target)) {
				l.warnf(p.Source, p.BodyLine+link.Line-1, "link to %s: no such page on this site", u.Path)
			}
		}
	}
}

// SettingsFile is the name of the optional settings file in the content folder.
const SettingsFile = "site.toml"

func (l *loader) settings() (Settings, error) {
	s := Settings{Title: "Publication archive"}
	b, err := fs.ReadFile(l.fsys, SettingsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		if _, statErr := fs.Stat(l.fsys, "."); statErr != nil {
			return s, fmt.Errorf("read content folder: %w", unwrapPath(statErr))
		}
		l.errorf(SettingsFile, 0, "cannot read: %v", unwrapPath(err))
		return s, nil
	}
	md, err := toml.Decode(string(b), &s)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			l.errorf(SettingsFile, perr.Position.Line, "TOML: %s", perr.Message)
		} else {
			l.errorf(SettingsFile, 0, "%v", err)
		}
		return s, nil
	}
	for _, k := range md.Undecoded() {
		l.warnf(SettingsFile, 0, "unknown setting %q", k.String())
	}
	s.BaseURL = strings.TrimSuffix(s.BaseURL, "/")
	if s.BaseURL != "" {
		// It is written into feeds, sitemaps, robots.txt and citations.
		if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			l.errorf(SettingsFile, 0, "base_url %q must be an http or https URL such as https://archive.example.org", s.BaseURL)
			s.BaseURL = ""
		}
	}
	return s, nil
}
