package main

import (
	"flag"
	"fmt"
	"io"

	"archive/internal/wordpress"
)

const importUsage = `usage: archive import wordpress [-uploads DIR] [-o DIR] [-section NAME] [-force] EXPORT.xml...
`

// importSite moves another site's content into the content folder; the
// only source so far is WordPress.
func importSite(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "wordpress" {
		fmt.Fprint(stderr, importUsage)
		return 2
	}
	fl := flag.NewFlagSet("import wordpress", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, importUsage)
		fl.PrintDefaults()
	}
	uploads := fl.String("uploads", "", "a copy of the site's wp-content/uploads folder, where the posts' files are copied from (the import never downloads)")
	out := fl.String("o", "content", "content folder to write into")
	section := fl.String("section", "", "section for every post (default: each post's first category, or "+wordpress.DefaultSection+")")
	force := fl.Bool("force", false, "overwrite files edited or deleted since the last import")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return 2
	}
	r, err := wordpress.Import(wordpress.Options{
		Exports:    fl.Args(),
		OutDir:     *out,
		UploadsDir: *uploads,
		Section:    *section,
		Force:      *force,
	})
	if err != nil {
		fmt.Fprintln(stderr, "archive import:", err)
		return 1
	}
	r.Print(stdout)
	fmt.Fprintf(stderr, "imported into %s; now run: archive check -content %s\n", *out, *out)
	return 0
}
