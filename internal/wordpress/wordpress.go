// Package wordpress imports WordPress exports (WXR, the file Tools → Export
// writes) into the archive's content folder, so that a site moves in
// without retyping, and every link that newspapers, reports and court
// filings cite still arrives.
//
// It owns reading WXR 1.0 to 1.2, turning posts and pages into page bundles
// and pages, their HTML into Markdown, copying their files from a copy of
// wp-content/uploads, and a manifest that makes a second import safe. It
// does not load, check or serve content (package content does, and its
// rules decide how the files written here are published), and it never
// reaches the network.
//
// # What becomes what
//
// A post becomes a publication, <section>/<slug>/index.md, with its files
// beside it. The section is Options.Section, or else the slug of the post's
// first category: WordPress sites group their posts by category, and its
// category archives were their sections. A post without one goes to
// "posts". A page becomes a page: <slug>.md at the top of the content
// folder, served at /<slug>/, and a page below another is a file in its
// parent's folder, parent/child.md, served at /parent/child/ as WordPress
// served it. Pages are written without a date, which is what makes the
// archive load them as pages and not as publications.
//
// Attachments are files, not pages; menus, revisions, comments, reusable
// blocks (which are put in place where a post shows them) and the types of
// plugins are skipped and counted by kind.
//
// # Front matter
//
// title, date (post_date_gmt, else post_date, as RFC 3339), authors (the
// display names of the export's authors), tags, categories, summary (the
// excerpt), lang when the export gives one, and aliases: the path of the
// old permalink and WordPress's short link, /?p=ID for posts and
// /?page_id=ID for pages. Drafts, pending and private items, and
// password-protected ones, are written with draft: true; scheduled ones
// with publishDate. A page in a folder gets only its title, draft and
// categories, since the archive serves a file in a folder as a page only
// while it has nothing that marks a publication.
//
// # Slugs
//
// The slug is wp:post_name, percent-decoded (WordPress stores non-ASCII
// slugs encoded) and otherwise kept as it is; made from the title when
// empty; unique in its folder (-2, -3, … as WordPress does). A name the site
// reserves for its own pages gets the same treatment.
//
// # Files
//
// The files of a post or page are its attachments (items whose post_parent
// it is) and the site's uploads its body links to (/wp-content/uploads/…,
// or the host that serves the export's attachments). Each is copied from
// Options.UploadsDir, where the path after uploads/ maps, and its links
// point to the copy. A resized copy WordPress made (name-300x200.jpg) that
// is missing is replaced by the original when that is there. Documents
// among a post's files become its attachments, with the attachment's title.
// A file that is missing is listed in the report with its URL and its links
// left as they were.
//
// # Running it again
//
// The output depends on the exports and the uploads only: keys and lists in
// a fixed order, no time of import. ManifestName (.wordpress-import.json
// in the content folder, never published since its name starts with a dot)
// holds the SHA-256 of every file as written. A second import of the same
// export leaves every file byte for byte as it was; a file that staff
// edited or deleted since is left alone unless Options.Force, and named in
// the report.
package wordpress

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// ManifestName is the file in the content folder that records what an
// import wrote.
const ManifestName = ".wordpress-import.json"

// DefaultSection takes the posts that have no category.
const DefaultSection = "posts"

// Options say what to import where.
type Options struct {
	Exports    []string // WXR files; a site exported in parts, or several sites
	OutDir     string   // the content folder
	UploadsDir string   // a copy of wp-content/uploads; "" when there is none
	Section    string   // every post into this section, instead of its first category's
	Force      bool     // overwrite files edited or deleted since the last import
}

// Report says what an import did.
type Report struct {
	Posts, Pages, Files Count
	// Missing are files the posts and pages use that the uploads folder
	// does not have.
	Missing []Missing
	// Kept are files not overwritten, since they were edited or deleted
	// after the last import, or are not the import's.
	Kept []Kept
	// Skipped counts the items not imported, by kind.
	Skipped map[string]int
	// Warnings are one line each, naming the item.
	Warnings []string
}

// Count is what happened to the files of one kind.
type Count struct {
	Written, Unchanged, Kept int
}

// Missing is a file an item uses that could not be copied.
type Missing struct {
	Item, URL string
}

// Kept is a file left as it is, and why.
type Kept struct {
	Path, Reason string
}

// Print writes the report as the command prints it.
func (r *Report) Print(w io.Writer) {
	count := func(name string, c Count, extra string) {
		fmt.Fprintf(w, "%s: %d written, %d unchanged", name, c.Written, c.Unchanged)
		if c.Kept > 0 {
			fmt.Fprintf(w, ", %d kept as edited", c.Kept)
		}
		fmt.Fprintf(w, "%s\n", extra)
	}
	count("posts", r.Posts, "")
	count("pages", r.Pages, "")
	missing := ""
	if len(r.Missing) > 0 {
		missing = fmt.Sprintf(", %d missing", len(r.Missing))
	}
	count("files", r.Files, missing)
	if len(r.Skipped) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.Skipped)) {
			parts = append(parts, fmt.Sprintf("%d %s", r.Skipped[k], k))
		}
		fmt.Fprintf(w, "skipped: %s\n", strings.Join(parts, ", "))
	}
	if len(r.Kept) > 0 {
		fmt.Fprintf(w, "not overwritten (-force overwrites them):\n")
		for _, k := range r.Kept {
			fmt.Fprintf(w, "  %s: %s\n", k.Path, k.Reason)
		}
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, "missing files (not in the uploads folder; their links are left as they were):\n")
		for _, m := range r.Missing {
			fmt.Fprintf(w, "  %s: %s\n", m.Item, m.URL)
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "warnings:\n")
		for _, s := range r.Warnings {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
}

// Import reads the exports and writes their posts, pages and files into
// opts.OutDir. The error is for what stops the whole import (an export that
// cannot be read, a file that cannot be written); everything else is in the
// Report.
func Import(opts Options) (*Report, error) {
	if len(opts.Exports) == 0 {
		return nil, fmt.Errorf("no export given: name the file that Tools → Export wrote")
	}
	if opts.Section != "" {
		if s := cleanSlug(opts.Section); s != opts.Section || strings.Contains(opts.Section, "/") {
			return nil, fmt.Errorf("section %q must be one folder name, such as %q", opts.Section, cmp.Or(urlize(opts.Section), DefaultSection))
		}
		if reservedName(opts.Section) {
			return nil, fmt.Errorf("section %q is a name the site uses for its own pages; choose another", opts.Section)
		}
	}
	if opts.UploadsDir != "" {
		if info, err := os.Stat(opts.UploadsDir); err != nil {
			return nil, fmt.Errorf("uploads folder: %w", err)
		} else if !info.IsDir() {
			return nil, fmt.Errorf("uploads folder: %s is not a folder", opts.UploadsDir)
		}
	}
	var exports []*export
	for _, name := range opts.Exports {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ex, err := parseExport(name, data)
		if err != nil {
			return nil, err
		}
		exports = append(exports, ex)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, err
	}
	man, err := readManifest(filepath.Join(opts.OutDir, ManifestName))
	if err != nil {
		return nil, err
	}
	imp := newImporter(exports, opts, man)
	imp.plan()
	outs, err := imp.render()
	if err != nil {
		return nil, err
	}
	if err := imp.write(outs); err != nil {
		return nil, err
	}
	r := imp.report
	sort.Slice(r.Missing, func(i, j int) bool {
		return r.Missing[i].Item < r.Missing[j].Item || r.Missing[i].Item == r.Missing[j].Item && r.Missing[i].URL < r.Missing[j].URL
	})
	r.Missing = slices.Compact(r.Missing)
	if opts.UploadsDir == "" && len(r.Missing) > 0 {
		imp.warnSite("no uploads folder given (-uploads): %d files the posts and pages use are not copied", len(r.Missing))
	}
	r.Warnings = imp.sortedWarnings()
	return r, nil
}
