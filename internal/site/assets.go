package site

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
)

// Asset is a static file served under a URL that carries its hash, so that
// it can be cached for a year and still change on the next deploy.
type Asset struct {
	Name string
	URL  string
	*Page
}

// Assets are the static files by URL.
type Assets struct {
	ByURL  map[string]*Asset
	byName map[string]*Asset
	hash   string
}

// LoadAssets reads every file of fsys into memory.
func LoadAssets(fsys fs.FS) (*Assets, error) {
	a := &Assets{ByURL: map[string]*Asset{}, byName: map[string]*Asset{}}
	all := sha256.New()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) == ".go" {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		as := &Asset{
			Name: p,
			URL:  "/static/" + hex.EncodeToString(sum[:6]) + "/" + p,
			Page: NewPage(http.StatusOK, mime.TypeByExtension(path.Ext(p)), b),
		}
		a.ByURL[as.URL] = as
		a.byName[p] = as
		fmt.Fprintf(all, "%q %x\n", p, sum) // WalkDir goes in lexical order
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	a.hash = hex.EncodeToString(all.Sum(nil))
	return a, nil
}

// Hash identifies the static files by their names and bytes, as
// Templates.Hash does the templates.
func (a *Assets) Hash() string { return a.hash }

// URL returns the fingerprinted URL of a static file, or "" if there is none.
func (a *Assets) URL(name string) string {
	if as, ok := a.byName[name]; ok {
		return as.URL
	}
	return ""
}
