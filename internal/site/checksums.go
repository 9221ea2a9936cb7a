package site

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
)

// checksums renders /checksums.txt: one line per file the site serves,
// "<sha256>  <path>", paths relative to the site root, so that a reader with
// a mirror of the site can run sha256sum -c checksums.txt in its top folder.
func (s *Site) checksums() error {
	sums := map[string]string{}
	for _, a := range s.Content.Attachments() {
		sums[a.Path] = a.SHA256
	}
	names := make([]string, 0, len(s.Content.Files))
	for name := range s.Content.Files {
		names = append(names, name)
		if sums[name] != "" {
			continue
		}
		// A served file that no publication lists (an image in a bundle):
		// the loader did not keep its hash.
		sum, err := fileSHA256(s, name)
		if err != nil {
			return err
		}
		sums[name] = sum
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		sum := sums[name]
		// GNU sha256sum marks a name holding a backslash or a newline with a
		// leading backslash and escapes both.
		if strings.ContainsAny(name, "\\\n") {
			name = strings.NewReplacer("\\", "\\\\", "\n", "\\n").Replace(name)
			b.WriteByte('\\')
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, name)
	}
	s.addPage("/checksums.txt", "text/plain; charset=utf-8", []byte(b.String()))
	return nil
}

func fileSHA256(s *Site, name string) (string, error) {
	f, err := s.Content.FS.Open(name)
	if err != nil {
		return "", fmt.Errorf("checksums: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("checksums: %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
