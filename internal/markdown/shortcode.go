package markdown

import (
	"bytes"
	"strings"
)

// Shortcode is a Hugo shortcode or a Liquid tag found in a body. The archive
// runs neither: the tag is removed and the text between an opening and a
// closing tag is kept, so the content loader can warn once per name.
type Shortcode struct {
	Name string
	Line int // 1-based line of its first use
}

// templateTag is one shortcode or Liquid tag: src[start:end] is its markup.
type templateTag struct {
	start, end int
	name       string
	liquid     bool
}

var tagDelimiters = []struct {
	open, close string
	liquid      bool
}{
	{"{{<", ">}}", false},
	{"{{%", "%}}", false},
	{"{%", "%}", true},
}

// stripTemplateTags removes Hugo shortcodes ({{< name >}}, {{% name %}} and
// their closing forms) and Liquid tags ({% name %}) from src, and names each
// the first time it occurs. A tag is replaced by the newlines it held, so
// every line keeps its number. Liquid's {% raw %} keeps its inner text as it
// is, tags included; {% comment %} drops its inner text.
func stripTemplateTags(src []byte) ([]byte, []Shortcode) {
	if !bytes.Contains(src, []byte("{{<")) && !bytes.Contains(src, []byte("{%")) {
		return src, nil
	}
	out := make([]byte, 0, len(src))
	var found []Shortcode
	seen := map[string]bool{}
	line, counted := 1, 0
	i := 0
	for {
		t, ok := nextTemplateTag(src, i)
		if !ok {
			break
		}
		line += bytes.Count(src[counted:t.start], []byte("\n"))
		counted = t.start
		// A closing tag ({{< /note >}}, {% endif %}) names the same thing as its opening.
		if name := strings.TrimPrefix(t.name, "end"); !seen[t.name] && !(t.liquid && seen[name]) {
			seen[t.name] = true
			found = append(found, Shortcode{Name: t.name, Line: line})
		}
		out = append(out, src[i:t.start]...)
		out = appendNewlines(out, src[t.start:t.end])
		i = t.end
		if !t.liquid || (t.name != "raw" && t.name != "comment") {
			continue
		}
		end := templateTag{start: len(src), end: len(src)}
		for j := i; ; {
			e, ok := nextTemplateTag(src, j)
			if !ok {
				break
			}
			if e.liquid && e.name == "end"+t.name {
				end = e
				break
			}
			j = e.start + 1
		}
		if t.name == "raw" {
			out = append(out, src[i:end.start]...)
		} else {
			out = appendNewlines(out, src[i:end.start])
		}
		out = appendNewlines(out, src[end.start:end.end])
		i = end.end
	}
	return append(out, src[i:]...), found
}

// nextTemplateTag finds the first tag at or after from. A tag must close
// before the next blank line, so a stray "{%" in prose swallows nothing.
func nextTemplateTag(src []byte, from int) (templateTag, bool) {
	for i := from; i < len(src); i++ {
		k := bytes.IndexByte(src[i:], '{')
		if k < 0 {
			break
		}
		i += k
		for _, d := range tagDelimiters {
			if !bytes.HasPrefix(src[i:], []byte(d.open)) {
				continue
			}
			body := src[i+len(d.open):]
			e := bytes.Index(body, []byte(d.close))
			if e < 0 || bytes.Contains(body[:e], []byte("\n\n")) {
				break
			}
			name := templateTagName(string(body[:e]), d.liquid)
			if name == "" {
				break
			}
			return templateTag{start: i, end: i + len(d.open) + e + len(d.close), name: name, liquid: d.liquid}, true
		}
	}
	return templateTag{}, false
}

// templateTagName is the name in a tag's inner text: "note" for " /note ",
// "include" for "- include a.html -".
func templateTagName(inner string, liquid bool) string {
	s := strings.TrimSpace(inner)
	if liquid {
		s = strings.TrimSpace(strings.Trim(s, "-"))
	} else if strings.HasPrefix(s, "/*") {
		return "" // {{</* name */>}} is Hugo's way to show a shortcode as text
	}
	fields := strings.Fields(strings.TrimPrefix(s, "/"))
	if len(fields) == 0 {
		return ""
	}
	name := strings.TrimSuffix(fields[0], "/")
	if name == "" || !(name[0] == '_' || 'a' <= name[0] && name[0] <= 'z' || 'A' <= name[0] && name[0] <= 'Z') {
		return ""
	}
	return name
}

func appendNewlines(out, removed []byte) []byte {
	for range bytes.Count(removed, []byte("\n")) {
		out = append(out, '\n')
	}
	return out
}
