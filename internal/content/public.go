package content

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// What readers can reach is decided here, and only here: everything that
// serves, lists, indexes, builds or exports content works from Site.Files and
// the published publications, so a file this code keeps private appears
// nowhere.
//
// Public:
//   - a publication, page or section page that is not a draft, whose
//     publishDate has come and whose expiryDate has not;
//   - the attachments of such a bundle (listed ones and PDFs beside its
//     index.md) and any file of the content folder such a page links to or
//     shows;
//   - a PDF that belongs to no bundle: a standalone document (see
//     document.go), unless its sidecar is not published;
//   - every file of the site's static folder (Hugo's static/, which staff
//     copy to content/static/), served from the top: static/images/a.png
//     at /images/a.png.
//
// Never public:
//   - every file of a bundle that is not published (a draft, a scheduled or
//     an expired one), and a file named like such a single-file publication
//     (letters/x.pdf beside a draft letters/x.md);
//   - names starting with "." or "_" (but _index.md), and what site.toml's
//     ignore patterns match;
//   - a symbolic link that leads out of the content folder, or to a folder;
//   - files of types the site does not serve, and any other file of a bundle
//     or section that no page links to.
//
// Every file kept private for a reason staff may not expect is named in
// Site.Withheld, which archive check prints.

// Withheld is a file of the content folder that readers cannot reach, and why.
type Withheld struct {
	Path   string
	Reason string
}

func (w Withheld) String() string { return w.Path + ": not published: " + w.Reason }

// OpenDir opens a content folder on disk. Symbolic links may not lead out of
// it: a link to /etc/passwd or /proc/self/environ cannot be read through the
// returned FS, whatever the loader or the server later asks of it.
func OpenDir(dir string) (fs.FS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("content folder: %w", err)
	}
	return root.FS(), nil
}

// status says whether p is published at now, and if not, why.
func (p *Publication) status(now time.Time) (bool, string) {
	switch {
	case p.Draft:
		return false, "a draft"
	case !p.PublishDate.IsZero() && now.Before(p.PublishDate):
		return false, "scheduled for " + p.PublishDate.Format(time.RFC3339)
	case !p.ExpiryDate.IsZero() && !now.Before(p.ExpiryDate):
		return false, "expired on " + p.ExpiryDate.Format(time.RFC3339)
	}
	return true, ""
}

// ignorer matches site.toml's ignore patterns: a pattern with no slash
// matches a file or folder name anywhere ("*.psd", "notes"), one with a
// slash a path from the top of the content folder ("letters/old/*").
type ignorer []string

func newIgnorer(patterns []string) (ignorer, error) {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("ignore pattern %q: %w", p, err)
		}
	}
	return ignorer(patterns), nil
}

func (ig ignorer) match(p string) bool {
	for _, pat := range ig {
		target := p
		if !strings.Contains(pat, "/") {
			target = path.Base(p)
		}
		if ok, _ := path.Match(strings.TrimSuffix(pat, "/"), target); ok {
			return true
		}
	}
	return false
}

// privateName reports names that are never served: hidden files and folders
// and those marked private by a leading underscore, as Hugo and Jekyll do.
func privateName(name string) bool {
	return (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) && name != "_index.md"
}

// symlinkTarget checks a symbolic link met in the walk: one that leads out
// of the folder or to a folder is refused with the reason.
func symlinkTarget(fsys fs.FS, p string) (fs.FileInfo, string) {
	if target, err := fs.ReadLink(fsys, p); err == nil {
		resolved := path.Join(path.Dir(p), target)
		if path.IsAbs(target) || resolved == ".." || strings.HasPrefix(resolved, "../") {
			return nil, fmt.Sprintf("a symbolic link to %s, outside the content folder", target)
		}
	} else if !errors.Is(err, errors.ErrUnsupported) {
		return nil, fmt.Sprintf("a symbolic link that cannot be read: %v", unwrapPath(err))
	}
	info, err := fs.Stat(fsys, p)
	if err != nil {
		return nil, "a symbolic link that leads nowhere inside the content folder"
	}
	if info.IsDir() {
		return nil, "a symbolic link to a folder, which is not followed"
	}
	return info, ""
}

// decidePublic splits the candidate files into those readers can reach and
// those they cannot, from the publications as parsed (drafts included).
func (l *loader) decidePublic(pubs []*Publication, candidates map[string]int64, bundles map[string]string) (files map[string]int64, withheld []Withheld) {
	published := map[*Publication]bool{}
	bySource := map[string]*Publication{}
	for _, p := range pubs {
		ok, reason := p.status(l.now)
		published[p] = ok
		bySource[p.Source] = p
		if !ok {
			withheld = append(withheld, Withheld{p.Source, reason})
		}
	}
	attached := map[string]bool{}
	linked := map[string]bool{}
	for _, p := range pubs {
		if !published[p] {
			continue
		}
		for _, a := range p.Attachments {
			attached[a.Path] = true
		}
		if f, ok := linkedFile(p.URL, p.Image); ok && p.Image != "" {
			linked[p.contentPath(f)] = true
		}
		for _, link := range p.Links() {
			if f, ok := linkedFile(p.URL, link.Dest); ok {
				linked[p.contentPath(f)] = true
			}
		}
	}
	files = map[string]int64{}
	defer func() {
		// A bundle whose page is not at its folder's URL (a slug, a url
		// field, a translation under /zh/) serves its files beside the
		// page too, where its relative links point.
		byBundle := map[string][]string{} // bundle index -> its published files
		for f := range files {
			if owner := bundleOf(f, bundles); owner != "" {
				byBundle[owner] = append(byBundle[owner], f)
			}
		}
		for _, p := range pubs {
			if !published[p] || p.Dir == "" || p.URL == "/"+p.Dir+"/" {
				continue
			}
			for _, f := range byBundle[bundles[p.Dir]] {
				l.fileAliases[strings.TrimPrefix(p.URL, "/")+strings.TrimPrefix(f, p.Dir+"/")] = f
			}
		}
	}()
	for _, f := range keys(candidates) {
		reason := ""
		if asset, ok := strings.CutPrefix(f, l.staticDir+"/"); ok {
			// Hugo's static/: served from the top of the site, as it is.
			l.fileAliases[asset] = f
		} else if owner := bundleOf(f, bundles); owner != "" {
			p := bySource[owner]
			switch {
			case p == nil:
				reason = "its bundle's " + owner + " could not be read"
			case !published[p]:
				_, why := p.status(l.now)
				reason = "it belongs to " + owner + ", " + why
			case !attached[f] && !linked[f]:
				reason = "it is in the bundle of " + owner + " but is no attachment of it and no page links to it; list it under attachments to publish it"
			}
		} else if p := bySource[f+".md"]; p != nil && p.Document && !published[p] {
			_, why := p.status(l.now)
			reason = "its sidecar " + p.Source + " is " + why
		} else if p := bySource[strings.TrimSuffix(f, path.Ext(f))+".md"]; p != nil && !published[p] {
			_, why := p.status(l.now)
			reason = "it is named like " + p.Source + ", " + why
		} else if !strings.EqualFold(path.Ext(f), ".pdf") && !linked[f] {
			reason = "no page links to it"
		}
		if reason != "" {
			withheld = append(withheld, Withheld{f, reason})
			continue
		}
		files[f] = candidates[f]
	}
	return files, withheld
}

// contentPath is the file of the content folder that the URL path u (no
// leading slash) names from p's page: for a bundle served at another URL
// than its folder's, the file of its folder.
func (p *Publication) contentPath(u string) string {
	if p.Dir == "" {
		return u
	}
	if rest, ok := strings.CutPrefix(u, strings.TrimPrefix(p.URL, "/")); ok {
		return p.Dir + "/" + rest
	}
	return u
}

// bundleOf is the index.md of the bundle that holds file f, if any: the
// nearest folder above it with an index.md.
func bundleOf(f string, bundles map[string]string) string {
	for dir := path.Dir(f); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if src, ok := bundles[dir]; ok {
			return src
		}
	}
	return ""
}

// linkedFile is the content path a link on the page at pageURL points to,
// if it points into the site.
func linkedFile(pageURL, dest string) (string, bool) {
	u, err := url.Parse(dest)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" {
		return "", false
	}
	target := u.Path
	if !strings.HasPrefix(target, "/") {
		target = path.Join(pageURL, target)
	}
	target = strings.TrimPrefix(path.Clean(target), "/")
	if target == "" || slices.Contains(strings.Split(target, "/"), "..") {
		return "", false
	}
	return target, true
}
