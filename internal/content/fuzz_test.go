package content_test

import (
	"bytes"
	"testing"
	"testing/fstest"

	"archive/internal/content"
)

// FuzzLoad feeds arbitrary files to the loader: it must never panic, and
// every problem must name the file.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(goodYAML))
	f.Add([]byte("+++\ntitle = \"A\"\ndate = 2022-01-13\n+++\nbody"))
	f.Add([]byte("---\ntitle: [a\n---\n"))
	f.Add([]byte("---\nattachments: [{file: ../../etc/passwd}]\nrelated: 5\ndate: {a: b}\n---\n"))
	f.Add([]byte("---\ncorrections:\n  - date: 2022-02-01\n    text: fixed\nupdated: [2022-02-01, x]\n---\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		fsys := fstest.MapFS{"reports/x/index.md": &fstest.MapFile{Data: src}}
		site, problems, err := content.Load(fsys, content.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			if p.Path == "" || p.Message == "" {
				t.Errorf("problem without file or message: %+v", p)
			}
		}
		if len(problems.Errors()) == 0 && site.ByURL["/reports/x/"] == nil && !bytes.Contains(src, []byte("draft")) {
			t.Error("no error, yet the publication was not loaded")
		}
	})
}
