package wordpress

import (
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"archive/internal/content"
)

// A fileSet is the files of one post or page: copied from the uploads
// folder into its folder, each under a name unique there.
type fileSet struct {
	doc     *doc
	byRel   map[string]*bundleFile
	names   map[string]bool // lower-cased
	list    []*bundleFile   // in the order first met
	missing map[string]bool // paths in the uploads folder reported as not copied
}

// A bundleFile is one file of a post or page.
type bundleFile struct {
	rel   string // path in the uploads folder
	name  string // file name in the doc's folder
	src   string // the file to copy
	title string // the attachment's title, if it is one
}

func newFileSet(d *doc) *fileSet {
	return &fileSet{doc: d, byRel: map[string]*bundleFile{}, names: map[string]bool{"index.md": true}, missing: map[string]bool{}}
}

// noteUploadBase learns where the site served its uploads from an
// attachment: the part of its URL before the path in the uploads folder.
func (imp *importer) noteUploadBase(a *item) {
	u, err := url.Parse(a.attachmentURL)
	if err != nil || u.Host == "" {
		return
	}
	full := strings.ToLower(u.Host) + u.Path
	base := ""
	if rel := a.meta["_wp_attached_file"]; rel != "" && strings.HasSuffix(full, "/"+rel) {
		base = strings.TrimSuffix(full, rel)
	} else if i := strings.Index(full, "/wp-content/uploads/"); i >= 0 {
		base = full[:i+len("/wp-content/uploads/")]
	} else if imp.blogHosts[strings.ToLower(u.Host)] == "" {
		// A host of its own for files, as WordPress.com's
		// <site>.files.wordpress.com: the whole path is the upload's.
		base = strings.ToLower(u.Host) + "/"
	}
	if base != "" && !slices.Contains(imp.uploadBases, base) {
		imp.uploadBases = append(imp.uploadBases, base)
	}
}

// uploadPath is the path in the uploads folder of a URL of the site's
// uploads, or false when the URL is not one.
func (imp *importer) uploadPath(u *url.URL) (string, bool) {
	p := u.Path
	host := strings.ToLower(u.Host)
	rel := ""
	if i := strings.Index(p, "/wp-content/uploads/"); i >= 0 && (host == "" || imp.blogHosts[host] != "" || imp.uploadHost(host)) {
		rel = p[i+len("/wp-content/uploads/"):]
	} else if host != "" {
		for _, base := range imp.uploadBases {
			if rest, ok := strings.CutPrefix(host+p, base); ok {
				rel = rest
				break
			}
		}
		if rel == "" && strings.HasSuffix(host, ".files.wordpress.com") {
			rel = strings.TrimPrefix(p, "/")
		}
	}
	if rel == "" {
		return "", false
	}
	rel = path.Clean("/" + rel)[1:]
	if rel == "" || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return rel, true
}

func (imp *importer) uploadHost(host string) bool {
	for _, base := range imp.uploadBases {
		if strings.HasPrefix(base, host+"/") {
			return true
		}
	}
	return false
}

// attachmentRel is the path of an attachment in the uploads folder.
func (imp *importer) attachmentRel(a *item) (string, bool) {
	if rel := a.meta["_wp_attached_file"]; rel != "" {
		rel = path.Clean("/" + rel)[1:]
		if rel != "" && !strings.HasPrefix(rel, "../") {
			return rel, true
		}
	}
	u, err := url.Parse(a.attachmentURL)
	if err != nil {
		return "", false
	}
	return imp.uploadPath(u)
}

var resized = regexp.MustCompile(`-[0-9]+x[0-9]+(\.[A-Za-z0-9]+)$`)

// addFile makes the upload at rel a file of the set and returns its name there,
// or "" when it cannot be copied (the report says why).
func (imp *importer) addFile(set *fileSet, rel, rawURL, title string) string {
	if f := set.byRel[rel]; f != nil {
		if f.title == "" {
			f.title = title
		}
		return f.name
	}
	src := imp.findUpload(rel)
	if src == "" {
		if orig := resized.ReplaceAllString(rel, "$1"); orig != rel {
			if f := set.byRel[orig]; f != nil {
				return f.name
			}
			if src = imp.findUpload(orig); src != "" {
				rel = orig
			}
		}
	}
	d := set.doc
	if src == "" {
		if !set.missing[rel] {
			set.missing[rel] = true
			imp.report.Missing = append(imp.report.Missing, Missing{Item: d.name(), URL: rawURL})
		}
		return ""
	}
	kind := mediaKind(rel)
	if d.kind == "page" && !d.public() && kind == "" {
		// Beside a page, a PDF is served even when no page links it.
		if set.missing[rel] {
			return ""
		}
		set.missing[rel] = true
		imp.warnf(d.it, "%s is not copied while the page is not published: beside a page, a document is public; copy it when you publish the page", path.Base(rel))
		return ""
	}
	name := bundleName(path.Base(rel))
	stem, ext := strings.TrimSuffix(name, path.Ext(name)), path.Ext(name)
	for i := 2; set.names[strings.ToLower(name)]; i++ {
		name = stem + "-" + strconv.Itoa(i) + ext
	}
	set.names[strings.ToLower(name)] = true
	if !content.ServedTypes[strings.ToLower(ext)] {
		imp.warnf(d.it, "%s: the archive does not serve %s files; it is copied but not published (a PDF would be)", name, strings.ToLower(ext))
	}
	f := &bundleFile{rel: rel, name: name, src: src, title: title}
	set.byRel[rel] = f
	set.list = append(set.list, f)
	return name
}

// findUpload is the file at rel in the uploads folder, or "".
func (imp *importer) findUpload(rel string) string {
	if imp.opts.UploadsDir == "" {
		return ""
	}
	p := filepath.Join(imp.opts.UploadsDir, filepath.FromSlash(rel))
	if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
		return p
	}
	return ""
}

// bundleName makes an upload's name safe beside index.md: not hidden (a
// leading "." or "_", as cameras write _DSC1234.JPG), and not Markdown,
// which the archive would load as a page.
func bundleName(name string) string {
	name = strings.TrimLeft(name, "._")
	if name == "" {
		name = "file"
	}
	if isMarkdownName(name) {
		name += ".txt"
	}
	return name
}
