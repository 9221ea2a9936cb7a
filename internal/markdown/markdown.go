// Package markdown turns a publication's Markdown body into HTML, and reports
// what the rest of the archive needs to know about it: the headings for a
// table of contents, the quotable blocks (paragraphs and list items) with
// their anchors and plain text for search, and the links for validation.
//
// # Anchors
//
// Every quotable block gets an id that a journalist can cite. The id is the
// block's position within its section: "p-3" for the third block before the
// first heading, "methods-p2" for the second block after the heading whose id
// is "methods". Adding or removing text in one section therefore leaves the
// anchors of every other section unchanged, and correcting a typo inside a
// paragraph changes no anchor at all, which a content hash could not promise.
//
// Each anchored block ends with a visible "¶" link to its own anchor
// (class "anchor"), so that a reader can copy the link to one paragraph
// without JavaScript. The link is not part of Block.Text.
//
// # Raw HTML
//
// Raw HTML in Markdown is rendered, sanitized by an allow-list made for
// publications (figures, tables, quotations, lists, details; links and images
// to http, https, mailto or relative URLs; nothing that runs, styles or
// embeds): see publicationPolicy. Each piece of raw HTML that goldmark hands
// over (an inline tag, or a block of lines) is sanitized on its own, and the
// Markdown around it is rendered by goldmark as before, so a page without raw
// HTML renders byte for byte as it did. The sanitizer filters tags one by one
// and re-writes each it keeps whole, so a <figure> opened in one block and
// closed in a later one still works, and no piece can leave an attribute or
// comment open for the next. Options.AllowHTML trusts raw HTML instead and
// passes it through unchanged, along with Markdown links of any scheme.
//
// A block of raw HTML at the top level that holds text (a figure with its
// caption, a table, a paragraph written in HTML) is a quotable Block like a
// paragraph: its visible text, with the alt text of its images, is
// Block.Text, and it is wrapped in <div id="p-4" class="html-block"> ending
// with the "¶" link. Consecutive blocks are joined first when a blank line
// split an element; one that still leaves an element open (a <details> whose
// body is Markdown) is not wrapped, and an empty <span> before it carries the
// id instead. Inline HTML adds no text of its own to a block, and a heading
// written in HTML is a block, not an entry of the table of contents.
//
// # Shortcodes and Liquid tags
//
// Hugo shortcodes ({{< name >}}, {{% name %}}, {{< /name >}}) and Liquid tags
// ({% name %}) are removed before rendering, keeping the text between an
// opening and a closing tag as Markdown and the line numbers of everything
// else; {% raw %} keeps its inner text verbatim. Document.Shortcodes names
// each, so the content loader can tell which of them a site relied on.
// Liquid output ({{ page.title }}) is left as text.
//
// # HTML files
//
// RenderHTML renders a body written in HTML with the same sanitizing,
// anchors and reported parts: each top-level paragraph and list item is a
// Block with its id on the element, any other top-level element holding text
// is wrapped like raw HTML in Markdown, and h2–h6 start sections.
//
// It does not own front matter, files or URLs: see package content.
package markdown

import (
	"bytes"
	"fmt"
	"html"
	"sort"
	"strconv"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"archive/internal/whitespace"
)

// Options are the site settings that change rendering.
type Options struct {
	// AllowHTML trusts raw HTML: it reaches the page as written, and
	// Markdown links keep any scheme. When false, raw HTML is sanitized
	// (see the package doc), so a content file cannot inject script.
	AllowHTML bool
}

// Heading is an entry of the table of contents.
type Heading struct {
	Level int
	ID    string
	Text  string
}

// Block is a quotable unit of the body: a paragraph, a list item, a footnote
// or a top-level block of raw HTML that holds text.
type Block struct {
	ID   string
	Text string // plain text, as a reader would copy it
	Line int    // 1-based line in the body
}

// Link is a link or image destination found in the body.
type Link struct {
	Dest string
	Line int // 1-based line in the body
}

// Document is a rendered body.
type Document struct {
	HTML     string
	Headings []Heading
	Blocks   []Block
	Links    []Link
	// Shortcodes lists each Hugo shortcode or Liquid tag name once, in order
	// of first use.
	Shortcodes []Shortcode
}

// Renderer renders Markdown, and HTML bodies with RenderHTML. It is safe for
// concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy // nil when raw HTML is trusted
}

// New returns a Renderer with the archive's Markdown dialect: GitHub tables,
// strikethrough and autolinks, footnotes, typographic punctuation written as
// Unicode characters, and heading ids.
func New(opts Options) *Renderer {
	htmlOpts := []renderer.Option{gmhtml.WithXHTML()}
	var policy *bluemonday.Policy
	if opts.AllowHTML {
		htmlOpts = append(htmlOpts, gmhtml.WithUnsafe())
	} else {
		policy = publicationPolicy()
	}
	extra := []util.PrioritizedValue{
		util.Prioritized(rawHTMLRenderer{policy}, 100),
		util.Prioritized(anchorLinkRenderer{}, 100),
	}
	md := goldmark.New(
		goldmark.WithExtensions(
			extension.Table,
			extension.Strikethrough,
			extension.Linkify,
			extension.Footnote,
			extension.NewTypographer(extension.WithTypographicSubstitutions(typography)),
		),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithASTTransformers(util.Prioritized(anchorer{policy}, 1000)),
		),
		goldmark.WithRendererOptions(append(htmlOpts, renderer.WithNodeRenderers(extra...))...),
	)
	return &Renderer{md: md, policy: policy}
}

var typography = extension.TypographicSubstitutions{
	extension.LeftSingleQuote:  []byte("‘"),
	extension.RightSingleQuote: []byte("’"),
	extension.LeftDoubleQuote:  []byte("“"),
	extension.RightDoubleQuote: []byte("”"),
	extension.EnDash:           []byte("–"),
	extension.EmDash:           []byte("—"),
	extension.Ellipsis:         []byte("…"),
	extension.LeftAngleQuote:   []byte("«"),
	extension.RightAngleQuote:  []byte("»"),
	extension.Apostrophe:       []byte("’"),
}

// Render renders src. Errors come only from the writer and are not expected.
func (r *Renderer) Render(src []byte) (*Document, error) {
	src, shortcodes := stripTemplateTags(src)
	ctx := parser.NewContext()
	root := r.md.Parser().Parse(text.NewReader(src), parser.WithContext(ctx))
	doc := &Document{Shortcodes: shortcodes}
	collect(root, src, doc)
	var buf bytes.Buffer
	buf.Grow(len(src) + len(src)/4)
	if err := r.md.Renderer().Render(&buf, src, root); err != nil {
		return nil, fmt.Errorf("render markdown: %w", err)
	}
	doc.HTML = buf.String()
	return doc, nil
}

// anchors hands out block ids within sections, as the package doc describes.
type anchors struct {
	used    map[string]bool
	section string
	count   int
}

func newAnchors() *anchors { return &anchors{used: map[string]bool{}} }

// enter starts the section of the heading with the given id.
func (a *anchors) enter(section string) { a.section, a.count = section, 0 }

// next is the id of the next block of the current section.
func (a *anchors) next() string {
	a.count++
	id := fmt.Sprintf("p-%d", a.count)
	if a.section != "" {
		id = fmt.Sprintf("%s-p%d", a.section, a.count)
	}
	return a.unique(id)
}

// unique is id, or id with a number added if another element has it.
func (a *anchors) unique(id string) string {
	for base, i := id, 2; a.used[id]; i++ {
		id = fmt.Sprintf("%s-%d", base, i)
	}
	a.used[id] = true
	return id
}

// anchorer gives every quotable block its id, scoped by the preceding heading.
type anchorer struct {
	policy *bluemonday.Policy // nil when raw HTML is trusted
}

func (t anchorer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	gatherHTMLSections(doc, reader.Source(), t.policy)
	if t.policy != nil {
		dropHiddenInline(doc, reader.Source())
	}
	a := newAnchors()
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); entering && ok {
			if id, ok := h.AttributeString("id"); ok {
				a.used[string(id.([]byte))] = true
			}
		}
		return ast.WalkContinue, nil
	})
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindHeading:
			if id, ok := n.AttributeString("id"); ok {
				a.enter(string(id.([]byte)))
			}
			return ast.WalkSkipChildren, nil
		case kindHTMLSection:
			if s := n.(*htmlSection); s.text != "" {
				s.id = a.next()
			}
			return ast.WalkContinue, nil
		case extast.KindFootnoteList:
			return ast.WalkSkipChildren, nil
		case ast.KindParagraph:
			if n.Parent() != nil && n.Parent().Kind() == ast.KindListItem {
				return ast.WalkContinue, nil // the list item carries the anchor
			}
		case ast.KindListItem:
		default:
			return ast.WalkContinue, nil
		}
		id := a.next()
		n.SetAttributeString("id", []byte(id))
		addAnchorLink(n, id)
		return ast.WalkContinue, nil
	})
}

// anchorLink is the "¶" link at the end of an anchored block.
type anchorLink struct {
	ast.BaseInline
	id string
}

var kindAnchorLink = ast.NewNodeKind("AnchorLink")

func (n *anchorLink) Kind() ast.NodeKind { return kindAnchorLink }

func (n *anchorLink) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"id": n.id}, nil)
}

// addAnchorLink puts the link inside the block's text: in a list item, at the
// end of its first paragraph, so that it stays beside the words it cites
// rather than after a nested list.
func addAnchorLink(n ast.Node, id string) {
	target := n
	if n.Kind() == ast.KindListItem {
		c := n.FirstChild()
		if c == nil || (c.Kind() != ast.KindParagraph && c.Kind() != ast.KindTextBlock) {
			return // an item that starts with a code block or a list: no text to put it in
		}
		target = c
	}
	target.AppendChild(target, &anchorLink{id: id})
}

type anchorLinkRenderer struct{}

func (anchorLinkRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindAnchorLink, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			// A no-break space keeps the ¶ from wrapping onto a line of its own.
			_, _ = w.WriteString("\u00a0" + anchorLinkHTML(n.(*anchorLink).id))
		}
		return ast.WalkContinue, nil
	})
}

// collect reads headings, blocks and links out of the anchored tree.
func collect(root ast.Node, src []byte, doc *Document) {
	lines := newLineIndex(src)
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			id, _ := n.AttributeString("id")
			b, _ := id.([]byte)
			doc.Headings = append(doc.Headings, Heading{Level: n.Level, ID: string(b), Text: plainText(n, src)})
		case *ast.Paragraph, *ast.ListItem:
			if id, ok := n.AttributeString("id"); ok {
				doc.Blocks = append(doc.Blocks, Block{
					ID:   string(id.([]byte)),
					Text: plainText(n, src),
					Line: lines.of(blockStart(n)),
				})
			}
		case *htmlSection:
			if n.id != "" {
				doc.Blocks = append(doc.Blocks, Block{ID: n.id, Text: n.text, Line: lines.of(blockStart(n))})
			}
			doc.Links = appendHTMLLinks(doc.Links, segmentsOf(n.Lines()), src, lines)
		case *ast.HTMLBlock:
			doc.Links = appendHTMLLinks(doc.Links, htmlBlockLines(n), src, lines)
		case *ast.RawHTML:
			doc.Links = appendHTMLLinks(doc.Links, segmentsOf(n.Segments), src, lines)
		case *ast.Link:
			doc.Links = append(doc.Links, Link{Dest: string(n.Destination), Line: lines.of(blockStart(n))})
		case *ast.Image:
			doc.Links = append(doc.Links, Link{Dest: string(n.Destination), Line: lines.of(blockStart(n))})
		case *extast.Footnote:
			// Footnotes often hold a report's sources, which readers quote
			// and search for; goldmark gives each the id fn:N.
			doc.Blocks = append(doc.Blocks, Block{
				ID:   "fn:" + strconv.Itoa(n.Index),
				Text: plainText(n, src),
				Line: lines.of(blockStart(n)),
			})
		}
		return ast.WalkContinue, nil
	})
}

// blockStart is the byte offset of the first line of the block holding n.
func blockStart(n ast.Node) int {
	for ; n != nil; n = n.Parent() {
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return n.Lines().At(0).Start
		}
		if n.Type() == ast.TypeBlock {
			if c := n.FirstChild(); c != nil && c.Type() == ast.TypeBlock && c.Lines().Len() > 0 {
				return c.Lines().At(0).Start
			}
		}
	}
	return 0
}

// plainText is the text of n as a reader sees it, blocks separated by spaces.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	var walk func(ast.Node, bool)
	walk = func(n ast.Node, code bool) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				v := c.Segment.Value(src)
				if !code {
					// "\<" is "<" to a reader; in a code span it is as written.
					v = util.UnescapePunctuations(v)
				}
				b.Write(v)
				if c.SoftLineBreak() || c.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(c.Value)
			case *ast.RawHTML:
				// A tag; its text, if any, is in the nodes around it.
			case *ast.HTMLBlock:
				raw, _ := joinSegments(htmlBlockLines(c), src)
				b.WriteString(" " + html.EscapeString(visibleText(raw)) + " ")
			case *ast.AutoLink:
				b.Write(c.Label(src))
			case *extast.FootnoteLink:
			case *ast.CodeSpan:
				walk(c, true)
			default:
				if c.Type() == ast.TypeBlock && b.Len() > 0 {
					b.WriteByte(' ')
				}
				walk(c, code)
			}
		}
	}
	walk(n, false)
	text := whitespace.Collapse(html.UnescapeString(b.String()))
	if len(text) == b.Len() && b.Cap()-b.Len() > b.Len()/8 {
		// The text is the builder's buffer, grown by doubling. Search
		// keeps every block's text for as long as the site is served:
		// keep it without the buffer's spare room.
		text = strings.Clone(text)
	}
	return text
}

type lineIndex []int // byte offsets of line starts

func newLineIndex(src []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range src {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (l lineIndex) of(offset int) int {
	lo, hi := 0, len(l)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if l[mid] <= offset {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + 1
}

// htmlSection is a top-level block of raw HTML, sanitized once while the tree
// is anchored so that its text is known and the page shows the same.
type htmlSection struct {
	ast.BaseBlock
	markup []byte
	text   string
	id     string
}

var kindHTMLSection = ast.NewNodeKind("HTMLSection")

func (n *htmlSection) Kind() ast.NodeKind { return kindHTMLSection }

func (n *htmlSection) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"id": n.id, "text": n.text}, nil)
}

// gatherHTMLSections replaces each top-level HTML block with an htmlSection.
// goldmark ends an HTML block at a blank line, so a block that leaves an
// element open takes in the HTML blocks that follow it until it closes.
func gatherHTMLSections(doc *ast.Document, src []byte, policy *bluemonday.Policy) {
	for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
		hb, ok := c.(*ast.HTMLBlock)
		if !ok {
			continue
		}
		segs := htmlBlockLines(hb)
		raw, _ := joinSegments(segs, src)
		markup := clean(policy, raw)
		open, ok := unclosed(nil, markup)
		for ok && len(open) > 0 {
			next, isHTML := hb.NextSibling().(*ast.HTMLBlock)
			if !isHTML {
				break
			}
			doc.RemoveChild(doc, next)
			nextSegs := htmlBlockLines(next)
			segs = append(segs, nextSegs...)
			raw, _ = joinSegments(nextSegs, src)
			more := clean(policy, raw)
			open, ok = unclosed(open, more)
			markup = append(markup, more...)
		}
		s := &htmlSection{markup: markup, text: visibleText(markup)}
		for _, seg := range segs {
			s.Lines().Append(seg)
		}
		doc.ReplaceChild(doc, hb, s)
		c = s
	}
}

// dropHiddenInline removes what lies between an inline <script> (or another
// element whose content no reader sees) and its end tag: the sanitizer drops
// both tags, and the code between them would otherwise show as text.
func dropHiddenInline(doc *ast.Document, src []byte) {
	tagName := func(n ast.Node) (string, bool) {
		r, ok := n.(*ast.RawHTML)
		if !ok || r.Segments.Len() == 0 {
			return "", false
		}
		first := r.Segments.At(0)
		v := first.Value(src)
		end := bytes.HasPrefix(v, []byte("</"))
		name := bytes.TrimLeft(v, "</")
		if i := bytes.IndexFunc(name, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') }); i >= 0 {
			name = name[:i]
		}
		return strings.ToLower(string(name)), end
	}
	var opens []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if name, end := tagName(n); entering && !end && hiddenElements[name] {
			opens = append(opens, n)
		}
		return ast.WalkContinue, nil
	})
	for _, open := range opens {
		want, _ := tagName(open)
		for c := open.NextSibling(); c != nil; {
			next := c.NextSibling()
			if name, end := tagName(c); end && name == want {
				break
			}
			if c.Parent() != nil {
				c.Parent().RemoveChild(c.Parent(), c)
			}
			c = next
		}
	}
}

// htmlBlockLines are the lines of an HTML block, its closing line included.
func htmlBlockLines(n *ast.HTMLBlock) []text.Segment {
	segs := segmentsOf(n.Lines())
	if n.HasClosure() {
		segs = append(segs, n.ClosureLine)
	}
	return segs
}

func segmentsOf(s *text.Segments) []text.Segment {
	segs := make([]text.Segment, s.Len())
	for i := range segs {
		segs[i] = s.At(i)
	}
	return segs
}

// joinSegments is the text of segs, and the source offset of each of its bytes.
func joinSegments(segs []text.Segment, src []byte) ([]byte, func(int) int) {
	var raw []byte
	starts := make([]int, len(segs)) // offset in raw of each segment
	for i, s := range segs {
		starts[i] = len(raw)
		raw = append(raw, s.Value(src)...)
	}
	return raw, func(off int) int {
		i := max(sort.SearchInts(starts, off+1)-1, 0)
		return segs[i].Start + off - starts[i]
	}
}

// appendHTMLLinks adds the links written in a piece of raw HTML.
func appendHTMLLinks(links []Link, segs []text.Segment, src []byte, lines lineIndex) []Link {
	if len(segs) == 0 {
		return links
	}
	raw, pos := joinSegments(segs, src)
	for _, l := range htmlLinks(raw) {
		links = append(links, Link{Dest: l.dest, Line: lines.of(pos(l.offset))})
	}
	return links
}

// rawHTMLRenderer renders raw HTML sanitized, or as written when trusted, and
// a top-level block that holds text with its anchor.
type rawHTMLRenderer struct {
	policy *bluemonday.Policy
}

func (r rawHTMLRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindHTMLSection, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if s := n.(*htmlSection); entering && s.id != "" {
			_, _ = w.WriteString(anchorHTMLBlock(s.markup, s.id))
		} else if entering {
			_, _ = w.Write(s.markup)
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			raw, _ := joinSegments(htmlBlockLines(n.(*ast.HTMLBlock)), src)
			_, _ = w.Write(clean(r.policy, raw))
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			raw, _ := joinSegments(segmentsOf(n.(*ast.RawHTML).Segments), src)
			_, _ = w.Write(clean(r.policy, raw))
		}
		return ast.WalkSkipChildren, nil
	})
}
