// Package mapped maps files into memory, read-only: the pages of the site
// and the indexed text of the search, which the server reads a little of
// at a time, for as long as it serves them.
package mapped

import (
	"fmt"
	"os"
)

// A SizeError is a file that is not as long as it was saved: cut short, or
// another save's.
type SizeError struct {
	Name       string
	Size, Want int64
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("%s is %d bytes, not the %d it was saved with", e.Name, e.Size, e.Want)
}

// Open maps the file name, which must be size bytes long. The file is
// closed; the mapping stays until Unmap.
func Open(name string, size int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() != size {
		return nil, &SizeError{Name: name, Size: info.Size(), Want: size}
	}
	if int64(int(size)) != size {
		return nil, fmt.Errorf("%s: %d bytes is too large to map on this system", name, size)
	}
	data, err := Map(f, int(size))
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", name, err)
	}
	return data, nil
}
