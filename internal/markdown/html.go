package markdown

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"archive/internal/whitespace"
)

// publicationPolicy allows the markup a publication needs (figures, tables,
// quotations, definition lists, disclosure widgets) and nothing that runs,
// styles or embeds: no script, style, iframe, object, form, event handler,
// style attribute, class, or URL other than http, https, mailto and relative.
// Links to other hosts get rel="nofollow noreferrer"; noreferrer implies
// noopener, and no target attribute survives to need it.
func publicationPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(
		"p", "div", "span", "br", "hr", "blockquote", "pre", "code", "kbd",
		"ul", "ol", "li", "dl", "dt", "dd",
		"figure", "figcaption",
		"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
		"details", "summary",
		"em", "strong", "b", "i", "s", "del", "ins", "u", "sup", "sub",
		"abbr", "cite", "q", "mark", "small",
		"h1", "h2", "h3", "h4", "h5", "h6",
	)
	number := regexp.MustCompile(`^[0-9]{1,4}$`)
	p.AllowAttrs("lang").Matching(regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`)).Globally()
	p.AllowAttrs("dir").Matching(regexp.MustCompile(`^(ltr|rtl|auto)$`)).Globally()
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_:.-]*$`)).OnElements("h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("src", "alt", "title").OnElements("img")
	p.AllowAttrs("width", "height").Matching(number).OnElements("img")
	p.AllowAttrs("colspan", "rowspan").Matching(number).OnElements("td", "th")
	p.AllowAttrs("scope").Matching(regexp.MustCompile(`^(row|col|rowgroup|colgroup)$`)).OnElements("th")
	p.AllowAttrs("title").OnElements("abbr")
	p.AllowAttrs("open").Matching(regexp.MustCompile(`^(open)?$`)).OnElements("details")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	p.RequireNoFollowOnFullyQualifiedLinks(true)
	p.RequireNoReferrerOnFullyQualifiedLinks(true)
	return p
}

// clean sanitizes raw HTML; a nil policy trusts it (Options.AllowHTML).
func clean(p *bluemonday.Policy, raw []byte) []byte {
	if p == nil {
		return raw
	}
	return p.SanitizeBytes(raw)
}

// anchorLinkHTML is the "¶" link of an anchored block.
func anchorLinkHTML(id string) string {
	return `<a class="anchor" href="#` + html.EscapeString(id) + `" aria-label="Link to this paragraph">¶</a>`
}

// anchorHTMLBlock gives a block of raw HTML its anchor. Markup that closes
// every element it opens is wrapped in a div that carries the id and ends
// with the "¶" link. Markup that does not (a <details> whose body is Markdown
// that follows) cannot be wrapped without breaking the page, so the id goes
// on an empty span before it.
func anchorHTMLBlock(markup []byte, id string) string {
	body := strings.TrimRight(string(markup), "\n")
	if balanced(markup) {
		return `<div id="` + html.EscapeString(id) + `" class="html-block">` + body + "\n" + anchorLinkHTML(id) + "</div>\n"
	}
	return `<span id="` + html.EscapeString(id) + `"></span>` + body + "\n" + anchorLinkHTML(id) + "\n"
}

// balanced reports whether markup closes every element it opens, and only those.
func balanced(markup []byte) bool {
	open, ok := unclosed(nil, markup)
	return ok && len(open) == 0
}

// unclosed adds the elements that markup opens and leaves open to open, the
// elements open before it. It reports false if markup closes one not open.
func unclosed(open []string, markup []byte) ([]string, bool) {
	z := html.NewTokenizer(bytes.NewReader(markup))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return open, true
		case html.StartTagToken:
			if name, _ := z.TagName(); !voidElements[string(name)] {
				open = append(open, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			i := lastIndex(open, string(name))
			if i < 0 {
				return open, false
			}
			open = open[:i]
		}
	}
}

var voidElements = setOf("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr")

// inlineElements run on with the text around them; every other element
// separates words in Block.Text and starts a block of its own in an HTML file.
var inlineElements = setOf("a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "i", "img",
	"ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr")

// hiddenElements hold nothing a reader sees, when trusted HTML keeps them.
var hiddenElements = setOf("head", "iframe", "noembed", "noframes", "noscript", "object", "script", "style", "template", "textarea", "title")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// visibleText is the text of markup as a reader sees it, with an image's alt
// text in its place, words separated as the elements around them separate them.
func visibleText(markup []byte) string {
	z := html.NewTokenizer(bytes.NewReader(markup))
	var b strings.Builder
	hidden, depth := "", 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return whitespace.Collapse(b.String())
		}
		name, hasAttr := z.TagName()
		switch {
		case hidden != "":
			if string(name) == hidden && tt == html.StartTagToken {
				depth++
			} else if string(name) == hidden && tt == html.EndTagToken {
				if depth--; depth == 0 {
					hidden = ""
				}
			}
		case tt == html.TextToken:
			b.Write(z.Text())
		case tt == html.StartTagToken && hiddenElements[string(name)]:
			hidden, depth = string(name), 1
		case tt == html.StartTagToken || tt == html.SelfClosingTagToken || tt == html.EndTagToken:
			if string(name) == "img" {
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "alt" {
						b.WriteString(" " + string(v) + " ")
					}
				}
			}
			if !inlineElements[string(name)] || string(name) == "br" {
				b.WriteByte(' ')
			}
		}
	}
}

// htmlLink is a link destination in raw HTML at a byte offset of it.
type htmlLink struct {
	dest   string
	offset int
}

var linkAttrs = map[string]string{"a": "href", "img": "src"}

// htmlLinks finds the destinations of a href and img src in markup, as written.
func htmlLinks(markup []byte) []htmlLink {
	z := html.NewTokenizer(bytes.NewReader(markup))
	var links []htmlLink
	offset := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return links
		}
		start := offset
		offset += len(z.Raw())
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		want := linkAttrs[string(name)]
		for hasAttr && want != "" {
			var k, v []byte
			k, v, hasAttr = z.TagAttr()
			if string(k) == want {
				links = append(links, htmlLink{dest: string(v), offset: start})
			}
		}
	}
}

// htmlChunk is a top-level part of an HTML body: one element, or a run of
// text and inline elements, which RenderHTML treats as a paragraph.
type htmlChunk struct {
	start, end int
	tag        string // "" for a run of text
	items      []int  // offsets of the items of a top-level list
}

// transparentElements enclose a whole article; their blocks are its blocks.
var transparentElements = setOf("html", "body", "main", "article", "section")

// splitHTML cuts an HTML body into its top-level chunks. What lies between
// chunks (white space, comments, the tags of transparent elements, stray end
// tags) is left to the sanitizer as it is.
func splitHTML(src []byte) []htmlChunk {
	z := html.NewTokenizer(bytes.NewReader(src))
	var chunks []htmlChunk
	var open []string // elements open inside the last chunk
	inRun := false
	offset := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return chunks
		}
		start := offset
		offset += len(z.Raw())
		b, _ := z.TagName()
		name := string(b)
		isTag := tt == html.StartTagToken || tt == html.SelfClosingTagToken
		if len(open) == 1 && open[0] == "p" && isTag && !inlineElements[name] {
			open = open[:0] // a block closes an open paragraph, as in a browser
		}
		if len(open) > 0 {
			last := &chunks[len(chunks)-1]
			last.end = offset
			switch tt {
			case html.TextToken:
				last.end = start + len(bytes.TrimRight(z.Raw(), spaces)) // white space at the end goes between chunks
			case html.StartTagToken:
				if len(open) == 1 && name == "li" && (open[0] == "ul" || open[0] == "ol") {
					last.items = append(last.items, start)
				}
				if !voidElements[name] {
					open = append(open, name)
				}
			case html.EndTagToken:
				if i := lastIndex(open, name); i >= 0 {
					open = open[:i]
				}
			}
			continue
		}
		text := bytes.TrimRight(z.Raw(), spaces)
		switch {
		case tt == html.TextToken && len(bytes.TrimLeft(text, spaces)) > 0 || isTag && inlineElements[name]:
			if !inRun {
				lead := 0
				if tt == html.TextToken {
					lead = len(text) - len(bytes.TrimLeft(text, spaces))
				}
				chunks = append(chunks, htmlChunk{start: start + lead})
				inRun = true
			}
			chunks[len(chunks)-1].end = offset
			if tt == html.TextToken {
				chunks[len(chunks)-1].end = start + len(text)
			}
			if tt == html.StartTagToken && !voidElements[name] {
				open = append(open, name)
			}
		case tt == html.TextToken:
			// White space neither ends a run nor belongs to it.
		case isTag && !transparentElements[name]:
			inRun = false
			chunks = append(chunks, htmlChunk{start: start, end: offset, tag: name})
			if tt == html.StartTagToken && !voidElements[name] {
				open = append(open, name)
			}
		default:
			inRun = false
		}
	}
}

// RenderHTML renders the body of an HTML content file: sanitized like raw
// HTML in Markdown (unless Options.AllowHTML), with the same anchors, and
// the same parts reported. Each top-level paragraph and list item is a
// Block with its id on the element; any other top-level element holding
// text (blockquote, figure, table, div…) is a Block wrapped in a div that
// carries the id. h2–h6 are Headings and start sections. Shortcodes and
// Liquid tags are removed as in Render.
func (r *Renderer) RenderHTML(src []byte) (*Document, error) {
	src, shortcodes := stripTemplateTags(src)
	doc := &Document{Shortcodes: shortcodes}
	lines := newLineIndex(src)
	for _, l := range htmlLinks(src) {
		doc.Links = append(doc.Links, Link{Dest: l.dest, Line: lines.of(l.offset)})
	}
	a := newAnchors()
	var out bytes.Buffer
	out.Grow(len(src) + len(src)/4)
	prev := 0
	for _, c := range splitHTML(src) {
		out.Write(clean(r.policy, src[prev:c.start]))
		prev = c.end
		markup := clean(r.policy, src[c.start:c.end])
		if c.tag != "" && c.tag != "p" && c.tag != "ul" && c.tag != "ol" && !isHeading(c.tag) {
			if text := visibleText(markup); text != "" {
				id := a.next()
				doc.Blocks = append(doc.Blocks, Block{ID: id, Text: text, Line: lines.of(c.start)})
				out.WriteString(anchorHTMLBlock(markup, id))
			} else {
				out.Write(markup)
			}
			continue
		}
		nodes, err := html.ParseFragment(bytes.NewReader(markup), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
		if err != nil {
			return nil, fmt.Errorf("render html: line %d: %w", lines.of(c.start), err)
		}
		if c.tag == "" {
			p := &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
			for _, n := range nodes {
				p.AppendChild(n)
			}
			nodes = []*html.Node{p}
		}
		if el := firstElement(nodes); el != nil {
			switch {
			case isHeading(el.Data):
				a.htmlHeading(el, doc)
			case el.Data == "p":
				a.htmlBlock(el, lines.of(c.start), doc)
			case el.Data == "ul" || el.Data == "ol":
				i := 0
				for li := el.FirstChild; li != nil; li = li.NextSibling {
					if li.Type != html.ElementNode || li.Data != "li" {
						continue
					}
					line := lines.of(c.start)
					if i < len(c.items) {
						line = lines.of(c.items[i])
					}
					i++
					a.htmlBlock(li, line, doc)
				}
			}
		}
		for _, n := range nodes {
			if err := html.Render(&out, n); err != nil {
				return nil, fmt.Errorf("render html: %w", err)
			}
		}
	}
	out.Write(clean(r.policy, src[prev:]))
	doc.HTML = out.String()
	return doc, nil
}

const spaces = " \t\r\n\f"

func lastIndex(s []string, v string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == v {
			return i
		}
	}
	return -1
}

func isHeading(tag string) bool {
	return len(tag) == 2 && tag[0] == 'h' && '1' <= tag[1] && tag[1] <= '6'
}

func firstElement(nodes []*html.Node) *html.Node {
	for _, n := range nodes {
		if n.Type == html.ElementNode {
			return n
		}
	}
	return nil
}

// htmlHeading gives a heading of an HTML file its id, the one written or one made
// from its text as goldmark makes it, and starts its section if it is h2–h6.
func (a *anchors) htmlHeading(el *html.Node, doc *Document) {
	text := nodeText(el)
	id := attr(el, "id")
	if id == "" {
		id = string(parser.NewContext().IDs().Generate([]byte(text), ast.KindHeading))
	}
	id = a.unique(id)
	setAttr(el, "id", id)
	if level, _ := strconv.Atoi(el.Data[1:]); level >= 2 {
		doc.Headings = append(doc.Headings, Heading{Level: level, ID: id, Text: text})
		a.enter(id)
	}
}

// htmlBlock anchors a paragraph or list item of an HTML file that holds text,
// with its "¶" link beside its words: in a list item, before a nested list.
func (a *anchors) htmlBlock(el *html.Node, line int, doc *Document) {
	text := nodeText(el)
	if text == "" {
		return
	}
	id := a.next()
	setAttr(el, "id", id)
	doc.Blocks = append(doc.Blocks, Block{ID: id, Text: text, Line: line})
	var before *html.Node
	for c := el.FirstChild; c != nil && el.Data == "li"; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.Data == "ul" || c.Data == "ol") {
			before = c
			break
		}
	}
	link := &html.Node{Type: html.ElementNode, Data: "a", DataAtom: atom.A, Attr: []html.Attribute{
		{Key: "class", Val: "anchor"}, {Key: "href", Val: "#" + id}, {Key: "aria-label", Val: "Link to this paragraph"},
	}}
	link.AppendChild(&html.Node{Type: html.TextNode, Data: "¶"})
	el.InsertBefore(&html.Node{Type: html.TextNode, Data: "\u00a0"}, before)
	el.InsertBefore(link, before)
}

func nodeText(n *html.Node) string {
	var b bytes.Buffer
	_ = html.Render(&b, n) // a bytes.Buffer does not fail
	return visibleText(b.Bytes())
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func setAttr(n *html.Node, key, val string) {
	for i := range n.Attr {
		if n.Attr[i].Key == key {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, html.Attribute{Key: key, Val: val})
}
