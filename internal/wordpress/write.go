package wordpress

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"archive/internal/atomicfile"
)

// manifest records, for every file an import wrote, its SHA-256 as written
// and what it was made from. A file whose bytes differ from its entry was
// edited by someone since; one with no entry is not the import's.
type manifest struct {
	Note  string                   `json:"note"`
	Files map[string]manifestEntry `json:"files"`
}

type manifestEntry struct {
	SHA256 string `json:"sha256"`
	From   string `json:"from"`           // the post or page, as its short link
	File   string `json:"file,omitempty"` // for a copied file: its path in the uploads folder
}

const manifestNote = "Written by archive import wordpress: the SHA-256 of each file as the import wrote it. A file that no longer matches was edited since, and a second import leaves it alone (unless -force)."

func readManifest(name string) (*manifest, error) {
	m := &manifest{Note: manifestNote, Files: map[string]manifestEntry{}}
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%s: %w: fix or remove it (the next import then takes every file there as staff's own)", name, err)
	}
	if m.Files == nil {
		m.Files = map[string]manifestEntry{}
	}
	m.Note = manifestNote
	return m, nil
}

func (m *manifest) encode() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err) // strings only
	}
	return append(b, '\n')
}

// write puts the outputs into the content folder: a file the import wrote
// before and nobody touched since is brought up to date, one that was edited
// or deleted is left alone unless -force, and one that is already right is
// not touched at all, so that a second import changes nothing.
func (imp *importer) write(outs []output) error {
	root := imp.opts.OutDir
	for _, o := range outs {
		count := &imp.report.Files
		switch o.kind {
		case "post":
			count = &imp.report.Posts
		case "page":
			count = &imp.report.Pages
		}
		dest := filepath.Join(root, filepath.FromSlash(o.path))
		var want string
		if o.src != "" {
			sum, err := fileSum(o.src)
			if err != nil {
				return fmt.Errorf("uploads: %w", err)
			}
			want = sum
		} else {
			want = sum(o.data)
		}
		have, err := fileSum(dest)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		prev, known := imp.man.Files[o.path]
		switch {
		case exists && have == want:
			count.Unchanged++
			imp.man.Files[o.path] = manifestEntry{SHA256: want, From: o.from, File: o.upload}
			continue
		case imp.opts.Force:
		case exists && !known:
			count.Kept++
			imp.report.Kept = append(imp.report.Kept, Kept{o.path, "a file the import did not write is there"})
			continue
		case exists && have != prev.SHA256:
			count.Kept++
			imp.report.Kept = append(imp.report.Kept, Kept{o.path, "edited since the last import"})
			continue
		case !exists && known:
			count.Kept++
			imp.report.Kept = append(imp.report.Kept, Kept{o.path, "deleted since the last import"})
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		err = atomicfile.Write(dest, func(w *bufio.Writer) error {
			if o.src == "" {
				_, err := w.Write(o.data)
				return err
			}
			f, err := os.Open(o.src)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return err
		})
		if err != nil {
			return err
		}
		count.Written++
		imp.man.Files[o.path] = manifestEntry{SHA256: want, From: o.from, File: o.upload}
	}
	name := filepath.Join(root, ManifestName)
	data := imp.man.encode()
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return atomicfile.Write(name, func(w *bufio.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func fileSum(name string) (string, error) {
	f, err := os.Open(name)
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
