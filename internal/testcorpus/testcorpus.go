// Package testcorpus reads the shared corpus of real material (../shared/
// corpus) that benchmarks and tests build their content from, so that
// cmd/bench's corpus on disk and the search benchmarks' corpus in memory
// are made from the same files.
package testcorpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// RepoRoot is the repository's root, the folder holding go.mod, found
// from the working directory up (a test's is its package's folder).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod) not found")
		}
		dir = parent
	}
}

// Shared is the folder of read-only material beside the repository,
// <root>/../shared, which holds the corpus.
func Shared() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(root), "shared"), nil
}

// TextPDFs lists, sorted, the PDFs that dir/SOURCES.tsv describes as
// having a readable text layer: not scanned, encrypted or broken.
func TextPDFs(dir string) ([]string, error) {
	src, err := os.ReadFile(filepath.Join(dir, "SOURCES.tsv"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(src), "\n")[1:] {
		name, kind, _ := strings.Cut(line, "\t")
		kind, _, _ = strings.Cut(kind, "\t")
		if name != "" && kind != "scanned" && kind != "encrypted" && !strings.HasPrefix(kind, "broken") {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no text-bearing PDF in %s/SOURCES.tsv", dir)
	}
	slices.Sort(out)
	return out, nil
}
