package content

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// frontMatter is the raw result of splitting a source file: the decoded
// fields, the line of each top-level key, and where the body starts.
type frontMatter struct {
	fields    map[string]any
	keyLines  map[string]int
	bodyStart int // byte offset of the body in the source
	bodyLine  int // 1-based line number of the body's first line
}

// LineError is an error at a line of a source file.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

var yamlLine = regexp.MustCompile(`line (\d+)`)

// splitFrontMatter reads the YAML (---) or TOML (+++) block at the top of src.
// A file without one has no fields; the caller decides whether that is an error.
func splitFrontMatter(src []byte) (*frontMatter, error) {
	fm := &frontMatter{fields: map[string]any{}, keyLines: map[string]int{}, bodyLine: 1}
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	var delim string
	switch {
	case hasDelimLine(src, "---"):
		delim = "---"
	case hasDelimLine(src, "+++"):
		delim = "+++"
	default:
		return fm, nil
	}
	// Find the closing delimiter on a line of its own.
	rest := src[len(delim):]
	rest = rest[lineEnd(rest):]
	offset := len(src) - len(rest)
	line := 2
	blockStart := offset
	for {
		if len(rest) == 0 {
			return nil, &LineError{Line: 1, Err: fmt.Errorf("front matter opened with %q is never closed", delim)}
		}
		n := lineEnd(rest)
		if strings.TrimRight(string(rest[:n]), " \t\r\n") == delim {
			block := src[blockStart:offset]
			fm.bodyStart = offset + n
			fm.bodyLine = line + 1
			if err := fm.decode(delim, block); err != nil {
				return nil, err
			}
			return fm, nil
		}
		rest = rest[n:]
		offset += n
		line++
	}
}

func hasDelimLine(src []byte, delim string) bool {
	if !bytes.HasPrefix(src, []byte(delim)) {
		return false
	}
	n := lineEnd(src)
	return strings.TrimRight(string(src[:n]), " \t\r\n") == delim
}

// lineEnd returns the length of the first line of b including its newline.
func lineEnd(b []byte) int {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return i + 1
	}
	return len(b)
}

func (fm *frontMatter) decode(delim string, block []byte) error {
	const firstLine = 2 // the block starts on the line after the opening delimiter
	if delim == "---" {
		var doc yaml.Node
		if err := yaml.Unmarshal(block, &doc); err != nil {
			return yamlError(err, block, firstLine)
		}
		if len(doc.Content) == 0 {
			return nil
		}
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			return &LineError{Line: root.Line + firstLine - 1, Err: errors.New("front matter is not a map of fields")}
		}
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			var val any
			if err := v.Decode(&val); err != nil {
				return yamlError(err, block, firstLine)
			}
			fm.fields[k.Value] = val
			fm.keyLines[k.Value] = k.Line + firstLine - 1
		}
		return nil
	}
	_, err := toml.Decode(string(block), &fm.fields)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return &LineError{Line: perr.Position.Line + firstLine - 1, Err: fmt.Errorf("TOML: %s", perr.Message)}
		}
		return &LineError{Line: firstLine, Err: fmt.Errorf("TOML: %w", err)}
	}
	// TOML's decoder does not report key positions; find each top-level key's line.
	for i, l := range strings.Split(string(block), "\n") {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' || t[0] == '[' {
			continue
		}
		if k, _, ok := strings.Cut(t, "="); ok {
			k = strings.Trim(strings.TrimSpace(k), `"'`)
			if _, seen := fm.keyLines[k]; !seen {
				fm.keyLines[k] = i + firstLine
			}
		}
	}
	return nil
}

func yamlError(err error, block []byte, firstLine int) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
		n, _ := strconv.Atoi(msg[m[2]:m[3]])
		msg = strings.TrimSpace(strings.TrimPrefix(msg[m[1]:], ":"))
		if strings.HasPrefix(msg, "did not find expected") {
			// The parser names a line near an unclosed [ or {; name the
			// line that opened it.
			if open := unclosedBracketLine(block); open > 0 {
				n = open
			}
		}
		return &LineError{Line: n + firstLine - 1, Err: fmt.Errorf("YAML: %s", msg)}
	}
	return &LineError{Line: firstLine, Err: fmt.Errorf("YAML: %s", msg)}
}

// dateLayouts are the forms a date may take in front matter.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-1-2",
}

func parseDate(v any) (time.Time, error) {
	switch d := v.(type) {
	case time.Time:
		return d, nil
	case string:
		s := strings.TrimSpace(d)
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("date %q is not a date (write 2022-01-13 or 2022-01-13T10:00:00Z)", s)
	default:
		if s, ok := tomlDate(v); ok {
			return parseDate(s)
		}
		return time.Time{}, fmt.Errorf("date must be a date, not %T", v)
	}
}

// tomlDate turns TOML's local date and time values into text parseDate reads.
func tomlDate(v any) (string, bool) {
	if s, ok := v.(fmt.Stringer); ok {
		return s.String(), true
	}
	return "", false
}

func asString(v any) (string, error) {
	switch s := v.(type) {
	case string:
		return s, nil
	case int, int64, float64, bool:
		return fmt.Sprint(s), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("must be text, not %s", typeName(v))
}

// asStrings accepts a single string or a list of them.
func asStrings(v any) ([]string, error) {
	switch s := v.(type) {
	case nil:
		return nil, nil
	case string:
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	case []any:
		out := make([]string, 0, len(s))
		for _, e := range s {
			str, err := asString(e)
			if err != nil {
				return nil, fmt.Errorf("list item %v %w", e, err)
			}
			if str = strings.TrimSpace(str); str != "" {
				out = append(out, str)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("must be a list of text, not %s", typeName(v))
}

func asBool(v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		return strconv.ParseBool(b)
	}
	return false, fmt.Errorf("must be true or false, not %s", typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a map"
	case []any, []map[string]any:
		return "a list"
	case string:
		return "text"
	case bool:
		return "true/false"
	case int, int64, float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// unclosedBracketLine returns the 1-based line of block where a flow list or
// map opened that is never closed, or 0.
func unclosedBracketLine(block []byte) int {
	depth, opened := 0, 0
	for i, line := range strings.Split(string(block), "\n") {
		var quote rune
		for _, c := range line {
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '#':
				goto next
			case c == '[' || c == '{':
				if depth == 0 {
					opened = i + 1
				}
				depth++
			case c == ']' || c == '}':
				depth = max(0, depth-1)
			}
		}
	next:
	}
	if depth > 0 {
		return opened
	}
	return 0
}
