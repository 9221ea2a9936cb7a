package wordpress

import (
	"sort"
	"strings"
)

// A shortcode is WordPress's [name attr="value"]content[/name] markup, which
// plugins and the core expand when a post is shown.
type shortcode struct {
	name    string
	attrs   map[string]string
	args    []string // positional attributes: [audio https://…/a.mp3]
	content string
	closed  bool // had [/name]
}

// enclosing are the shortcodes whose [/name] closes content; for any other
// name a [/name] is looked for too, but only up to the next [name.
var enclosing = map[string]bool{"caption": true, "wp_caption": true, "embed": true, "audio": true, "video": true, "code": true, "sourcecode": true}

// maxAttrs bounds the attributes of a shortcode, so that a body of many
// brackets and quotes takes time in proportion to its length.
const maxAttrs = 4 << 10

// tagIndex holds where each name opens ("[name") and closes ("[/name]") in
// a text, so that finding a shortcode's end is a lookup, not a scan.
type tagIndex struct {
	opens, closes map[string][]int
}

func indexTags(lower string) tagIndex {
	ix := tagIndex{opens: map[string][]int{}, closes: map[string][]int{}}
	for i := 0; i < len(lower); i++ {
		if lower[i] != '[' {
			continue
		}
		j, closing := i+1, false
		if j < len(lower) && lower[j] == '/' {
			j, closing = j+1, true
		}
		k := j
		for k < len(lower) && isNameByte(lower[k]) {
			k++
		}
		if k == j || k >= len(lower) {
			continue
		}
		name := lower[j:k]
		switch {
		case closing && lower[k] == ']':
			ix.closes[name] = append(ix.closes[name], i)
		case !closing:
			ix.opens[name] = append(ix.opens[name], i)
		}
	}
	return ix
}

// after is the first position in list greater than p, or -1.
func after(list []int, p int) int {
	if i := sort.SearchInts(list, p+1); i < len(list) {
		return list[i]
	}
	return -1
}

// expandShortcodes replaces every shortcode in text with what fn returns
// for it; fn returns ok false to keep the shortcode as written. [[name]] is
// WordPress's escape for a literal [name].
func expandShortcodes(text string, fn func(sc shortcode) (string, bool)) string {
	if !strings.Contains(text, "[") {
		return text
	}
	lower := asciiLower(text) // names in either case, at the same offsets
	ix := indexTags(lower)
	var b strings.Builder
	pos := 0
	for {
		i := strings.IndexByte(text[pos:], '[')
		if i < 0 {
			b.WriteString(text[pos:])
			return b.String()
		}
		b.WriteString(text[pos : pos+i])
		pos += i
		if strings.HasPrefix(text[pos:], "[[") {
			if _, n := parseShortcode(text, ix, pos+1); n > 0 && strings.HasPrefix(text[pos+1+n:], "]") {
				b.WriteString(text[pos+1 : pos+1+n])
				pos += n + 2
				continue
			}
			b.WriteByte('[')
			pos++
			continue
		}
		sc, n := parseShortcode(text, ix, pos)
		if n == 0 {
			b.WriteByte('[')
			pos++
			continue
		}
		if out, ok := fn(sc); ok {
			b.WriteString(out)
		} else {
			b.WriteString(text[pos : pos+n])
		}
		pos += n
	}
}

// parseShortcode reads a shortcode at text[at:] and returns it and its
// length in bytes, or a length of 0 when none starts there.
func parseShortcode(text string, ix tagIndex, at int) (shortcode, int) {
	s := text[at:]
	if !strings.HasPrefix(s, "[") {
		return shortcode{}, 0
	}
	i := 1
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	name := s[1:i]
	if name == "" || !isLetter(name[0]) || i >= len(s) {
		return shortcode{}, 0
	}
	if s[i] != ']' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '/' {
		return shortcode{}, 0
	}
	// The attributes end at the first ] outside quotes.
	end := -1
	quote := byte(0)
	for j := i; j < len(s) && j < i+maxAttrs && end < 0; j++ {
		c := s[j]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[':
			return shortcode{}, 0
		case c == ']':
			end = j
		}
	}
	if end < 0 {
		return shortcode{}, 0
	}
	sc := shortcode{name: strings.ToLower(name), attrs: map[string]string{}}
	attrText := strings.TrimSpace(s[i:end])
	selfClosed := strings.HasSuffix(attrText, "/")
	parseShortcodeAttrs(strings.TrimSuffix(attrText, "/"), &sc)
	n := end + 1
	if selfClosed {
		return sc, n
	}
	closeAt := after(ix.closes[sc.name], at+n-1)
	if closeAt < 0 {
		return sc, n
	}
	if !enclosing[sc.name] {
		// [foo] … [foo] … [/foo]: the first is self-closing.
		if next := after(ix.opens[sc.name], at); next >= 0 && next < closeAt {
			return sc, n
		}
	}
	closeAt -= at + n
	sc.content = s[n : n+closeAt]
	sc.closed = true
	return sc, n + closeAt + len("[/"+sc.name+"]")
}

func parseShortcodeAttrs(s string, sc *shortcode) {
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return
		}
		key := ""
		k := 0
		for k < len(s) && isNameByte(s[k]) {
			k++
		}
		if k > 0 && k < len(s) && s[k] == '=' {
			key = strings.ToLower(s[:k])
			s = s[k+1:]
		}
		var val string
		if s != "" && (s[0] == '"' || s[0] == '\'') {
			q := s[0]
			end := strings.IndexByte(s[1:], q)
			if end < 0 {
				val, s = s[1:], ""
			} else {
				val, s = s[1:1+end], s[2+end:]
			}
		} else {
			end := strings.IndexAny(s, " \t\n\r")
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		if key == "" {
			sc.args = append(sc.args, val)
		} else {
			sc.attrs[key] = val
		}
	}
}

// asciiLower lower-cases ASCII letters only, so that offsets into the
// result are offsets into s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isNameByte(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '_' || c == '-'
}
