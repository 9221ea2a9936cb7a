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
// It does not own front matter, files or URLs: see package content.
package markdown

import (
	"bytes"
	"fmt"
	"html"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Options are the site settings that change rendering.
type Options struct {
	// AllowHTML passes raw HTML in Markdown through to the page. When false,
	// raw HTML is shown as text, so a content file cannot inject markup.
	AllowHTML bool
}

// Heading is an entry of the table of contents.
type Heading struct {
	Level int
	ID    string
	Text  string
}

// Block is a quotable unit of the body: a paragraph or a list item.
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
}

// Renderer renders Markdown. It is safe for concurrent use.
type Renderer struct {
	md goldmark.Markdown
}

// New returns a Renderer with the archive's Markdown dialect: GitHub tables,
// strikethrough and autolinks, footnotes, typographic punctuation written as
// Unicode characters, and heading ids.
func New(opts Options) *Renderer {
	htmlOpts := []renderer.Option{gmhtml.WithXHTML()}
	var extra []util.PrioritizedValue
	if opts.AllowHTML {
		htmlOpts = append(htmlOpts, gmhtml.WithUnsafe())
	} else {
		extra = append(extra, util.Prioritized(escapedHTML{}, 100))
	}
	extra = append(extra, util.Prioritized(anchorLinkRenderer{}, 100))
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
			parser.WithASTTransformers(util.Prioritized(anchorer{}, 1000)),
		),
		goldmark.WithRendererOptions(append(htmlOpts, renderer.WithNodeRenderers(extra...))...),
	)
	return &Renderer{md: md}
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
	ctx := parser.NewContext()
	root := r.md.Parser().Parse(text.NewReader(src), parser.WithContext(ctx))
	doc := &Document{}
	collect(root, src, doc)
	var buf bytes.Buffer
	buf.Grow(len(src) + len(src)/4)
	if err := r.md.Renderer().Render(&buf, src, root); err != nil {
		return nil, fmt.Errorf("render markdown: %w", err)
	}
	doc.HTML = buf.String()
	return doc, nil
}

// anchorer gives every quotable block its id, scoped by the preceding heading.
type anchorer struct{}

func (anchorer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	used := map[string]bool{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); entering && ok {
			if id, ok := h.AttributeString("id"); ok {
				used[string(id.([]byte))] = true
			}
		}
		return ast.WalkContinue, nil
	})
	section, count := "", 0
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindHeading:
			if id, ok := n.AttributeString("id"); ok {
				section, count = string(id.([]byte)), 0
			}
			return ast.WalkSkipChildren, nil
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
		count++
		id := fmt.Sprintf("p-%d", count)
		if section != "" {
			id = fmt.Sprintf("%s-p%d", section, count)
		}
		for base, i := id, 2; used[id]; i++ {
			id = fmt.Sprintf("%s-%d", base, i)
		}
		used[id] = true
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
			id := html.EscapeString(n.(*anchorLink).id)
			// A no-break space keeps the ¶ from wrapping onto a line of its own.
			_, _ = w.WriteString("\u00a0<a class=\"anchor\" href=\"#" + id + "\" aria-label=\"Link to this paragraph\">¶</a>")
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
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				b.Write(c.Segment.Value(src))
				if c.SoftLineBreak() || c.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(c.Value)
			case *ast.RawHTML:
				for i := 0; i < c.Segments.Len(); i++ {
					s := c.Segments.At(i)
					b.Write(s.Value(src))
				}
			case *ast.AutoLink:
				b.Write(c.Label(src))
			case *extast.FootnoteLink:
			default:
				if c.Type() == ast.TypeBlock && b.Len() > 0 {
					b.WriteByte(' ')
				}
				walk(c)
			}
		}
	}
	walk(n)
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
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

// escapedHTML renders raw HTML as visible text instead of markup.
type escapedHTML struct{}

func (escapedHTML) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		hb := n.(*ast.HTMLBlock)
		_, _ = w.WriteString("<pre class=\"raw-html\">")
		for i := 0; i < hb.Lines().Len(); i++ {
			s := hb.Lines().At(i)
			_, _ = w.WriteString(html.EscapeString(string(s.Value(src))))
		}
		if hb.HasClosure() {
			_, _ = w.WriteString(html.EscapeString(string(hb.ClosureLine.Value(src))))
		}
		_, _ = w.WriteString("</pre>\n")
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		r := n.(*ast.RawHTML)
		for i := 0; i < r.Segments.Len(); i++ {
			s := r.Segments.At(i)
			_, _ = w.WriteString(html.EscapeString(string(s.Value(src))))
		}
		return ast.WalkSkipChildren, nil
	})
}
