package wordpress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// A body goes from WordPress's HTML to Markdown in this order, each step
// working on what the one before left:
//
//  1. reusable blocks (<!-- wp:block {"ref":N} /-->) are replaced by their
//     content, and Gutenberg's block comments dropped;
//  2. shortcodes become HTML: [caption] a figure, [gallery] the images it
//     shows, [embed], [audio], [video] and [playlist] links to what they
//     played, [code] a code block; any other is kept as written;
//  3. a body without blocks gets WordPress's autop (blank lines are
//     paragraphs);
//  4. the HTML is walked: links and images are given to bodyEnv.link (files
//     of the bundle, pages of the archive), iframes and players become
//     links, scripts go, attributes that only styled the page go;
//  5. html-to-markdown writes the Markdown. What Markdown cannot say (sub-
//     and superscript, definition lists, disclosure widgets, tables with
//     merged or multi-paragraph cells) stays HTML, which the archive
//     sanitizes when it renders.

// bodyEnv is what converting one body needs of the site around it.
type bodyEnv struct {
	// link maps a URL of the body (an href or src) to what the Markdown
	// links: a file of the bundle, a page of the archive, or the URL as it
	// is. text is the link's text, which may name the file.
	link func(u, text string) string
	// attached are the item's attachments in WordPress's order (menu order,
	// then ID), for [gallery], [audio] and [video] that name no file.
	attached []*item
	byID     func(id int) *item
	// reusable is the content of a reusable block (post type wp_block).
	reusable func(id int) (string, bool)
	// notes counts what was reduced or dropped, by kind, for the report.
	notes map[string]int
}

func (env *bodyEnv) note(kind string) {
	if env.notes != nil {
		env.notes[kind]++
	}
}

// bodyConverter turns bodies into Markdown. It is safe for concurrent use.
type bodyConverter struct {
	conv *converter.Converter
}

// keptAsHTML are elements Markdown has no form for; they are written as
// HTML rather than lost.
// The value says whether the element is a block.
var keptAsHTML = map[string]bool{
	"sub": false, "sup": false, "mark": false, "q": false, "abbr": false,
	"dl": true, "details": true,
}

func newBodyConverter() *bodyConverter {
	conv := converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(),
		table.NewTablePlugin(table.WithHeaderPromotion(true)),
		strikethrough.NewStrikethroughPlugin(),
	))
	for _, name := range slices.Sorted(maps.Keys(keptAsHTML)) {
		if keptAsHTML[name] {
			conv.Register.RendererFor(name, converter.TagTypeBlock, renderKeptHTML, converter.PriorityEarly)
		} else {
			conv.Register.RendererFor(name, converter.TagTypeInline, renderKeptHTML, converter.PriorityEarly)
		}
	}
	conv.Register.RendererFor("table", converter.TagTypeBlock, func(ctx converter.Context, w converter.Writer, n *xhtml.Node) converter.RenderStatus {
		if !markdownTable(n) {
			return renderKeptHTML(ctx, w, n)
		}
		return converter.RenderTryNext
	}, converter.PriorityEarly)
	return &bodyConverter{conv: conv}
}

// renderKeptHTML writes an element as HTML. A blank line would end an HTML
// block in Markdown, so none is left inside it.
func renderKeptHTML(ctx converter.Context, w converter.Writer, n *xhtml.Node) converter.RenderStatus {
	var buf bytes.Buffer
	if err := xhtml.Render(&buf, n); err != nil {
		return converter.RenderTryNext
	}
	out := blankLines.ReplaceAllString(buf.String(), "\n")
	if t, _ := ctx.GetTagType(n.Data); t == converter.TagTypeBlock {
		w.WriteString("\n\n" + strings.TrimSpace(out) + "\n\n")
	} else {
		w.WriteString(out)
	}
	return converter.RenderSuccess
}

var blankLines = regexp.MustCompile(`\n[ \t]*\n+`)

// markdownTable reports whether a table can be a Markdown table: no merged
// cells, and nothing in a cell that needs more than one line.
func markdownTable(table *xhtml.Node) bool {
	ok := true
	var walk func(n *xhtml.Node, inCell bool)
	walk = func(n *xhtml.Node, inCell bool) {
		for c := n.FirstChild; c != nil && ok; c = c.NextSibling {
			if c.Type != xhtml.ElementNode {
				continue
			}
			switch c.DataAtom {
			case atom.Td, atom.Th:
				for _, a := range c.Attr {
					if (a.Key == "colspan" || a.Key == "rowspan") && strings.TrimSpace(a.Val) != "1" {
						ok = false
					}
				}
				walk(c, true)
				continue
			case atom.Table:
				if inCell {
					ok = false
				}
			case atom.P, atom.Div, atom.Ul, atom.Ol, atom.Pre, atom.Blockquote, atom.Br, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Dl, atom.Figure, atom.Hr:
				if inCell {
					ok = false
				}
			}
			walk(c, inCell)
		}
	}
	walk(table, false)
	return ok
}

// convert turns one body into Markdown, ending in a line break (or empty).
func (bc *bodyConverter) convert(src string, env *bodyEnv) (string, error) {
	src = expandReusable(src, env, 0)
	blocks := strings.Contains(src, "<!-- wp:")
	src = blockComment.ReplaceAllString(src, "")
	src = expandShortcodes(src, func(sc shortcode) (string, bool) { return env.shortcode(sc) })
	if !blocks {
		src = autop(src)
	}
	root := &xhtml.Node{Type: xhtml.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := xhtml.ParseFragment(strings.NewReader(src), root)
	if err != nil {
		return "", fmt.Errorf("read HTML: %w", err)
	}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	env.walk(root, false)
	md, err := bc.conv.ConvertNode(root)
	if err != nil {
		return "", fmt.Errorf("convert HTML to Markdown: %w", err)
	}
	out := strings.TrimSpace(string(md))
	if out == "" {
		return "", nil
	}
	return out + "\n", nil
}

var (
	blockComment = regexp.MustCompile(`(?s)<!--\s*/?wp:.*?-->`)
	reusableRef  = regexp.MustCompile(`<!--\s*wp:block\s+(\{.*?\})\s*/-->`)
)

// expandReusable puts the content of reusable blocks in place of the
// blocks that show them; depth stops a block that shows itself.
func expandReusable(src string, env *bodyEnv, depth int) string {
	if env.reusable == nil || depth > 5 {
		return src
	}
	return reusableRef.ReplaceAllStringFunc(src, func(m string) string {
		var attrs struct {
			Ref int `json:"ref"`
		}
		if err := json.Unmarshal([]byte(reusableRef.FindStringSubmatch(m)[1]), &attrs); err != nil || attrs.Ref == 0 {
			return m
		}
		content, ok := env.reusable(attrs.Ref)
		if !ok {
			env.note("reusable block missing from the export")
			return ""
		}
		return expandReusable(content, env, depth+1)
	})
}

// shortcode writes one shortcode as HTML, or says to keep it as written.
func (env *bodyEnv) shortcode(sc shortcode) (string, bool) {
	switch sc.name {
	case "caption", "wp_caption":
		return captionHTML(sc), true
	case "gallery":
		return env.galleryHTML(sc), true
	case "embed":
		u := strings.TrimSpace(sc.content)
		if u == "" {
			u = firstOf(sc.attrs["src"], sc.attrs["url"])
		}
		env.note("[embed] reduced to a link")
		return linkParagraph(u, u), true
	case "audio", "video":
		u := firstOf(sc.attrs["src"], sc.attrs["mp3"], sc.attrs["m4a"], sc.attrs["ogg"], sc.attrs["wav"],
			sc.attrs["mp4"], sc.attrs["m4v"], sc.attrs["webm"], sc.attrs["ogv"], sc.attrs["wmv"], sc.attrs["flv"])
		if u == "" && len(sc.args) > 0 && isHTTP(sc.args[0]) {
			u = sc.args[0]
		}
		if u == "" {
			for _, a := range env.attached {
				if mediaKind(a.attachmentURL) == sc.name {
					u = a.attachmentURL
					break
				}
			}
		}
		if u == "" {
			env.note("[" + sc.name + "] without a file removed")
			return "", true
		}
		env.note("[" + sc.name + "] reduced to a link to its file")
		return linkParagraph(u, fileLabel(u)), true
	case "playlist":
		var b strings.Builder
		for _, a := range env.selectAttachments(sc, firstOf(sc.attrs["type"], "audio")) {
			b.WriteString("<li><a href=\"" + html.EscapeString(a.attachmentURL) + "\">" + html.EscapeString(firstOf(plainText(a.title), fileLabel(a.attachmentURL))) + "</a></li>")
		}
		env.note("[playlist] reduced to links to its files")
		if b.Len() == 0 {
			return "", true
		}
		return "<ul>" + b.String() + "</ul>", true
	case "code", "sourcecode":
		lang := firstOf(sc.attrs["language"], sc.attrs["lang"])
		if lang == "" && len(sc.args) > 0 {
			lang = sc.args[0]
		}
		class := ""
		if lang != "" && safeLang.MatchString(lang) {
			class = ` class="language-` + strings.ToLower(lang) + `"`
		}
		code := strings.Trim(html.UnescapeString(sc.content), "\n")
		return "<pre><code" + class + ">" + html.EscapeString(code) + "</code></pre>", true
	}
	// [sic] and [simple boat] are text; a shortcode has attributes or
	// content.
	if len(sc.attrs) > 0 || sc.closed {
		env.note("shortcode [" + sc.name + "] kept as written")
	}
	return "", false
}

var safeLang = regexp.MustCompile(`^[A-Za-z0-9+#-]{1,20}$`)

var captionMedia = regexp.MustCompile(`(?is)^\s*((?:<a\s[^>]*>\s*)?<img\s[^>]*>(?:\s*</a>)?)(.*)$`)

// captionHTML writes [caption]<img> Text[/caption] as a figure: the image,
// then the caption, which Markdown gives as the paragraph below it.
func captionHTML(sc shortcode) string {
	media, text := sc.content, sc.attrs["caption"]
	if m := captionMedia.FindStringSubmatch(sc.content); m != nil {
		media = m[1]
		if strings.TrimSpace(m[2]) != "" {
			text = m[2]
		}
	}
	out := "<figure>" + media
	if strings.TrimSpace(text) != "" {
		out += "<figcaption>" + strings.TrimSpace(text) + "</figcaption>"
	}
	return out + "</figure>"
}

// galleryHTML writes the images a [gallery] shows, one figure each with
// its caption, in the gallery's order.
func (env *bodyEnv) galleryHTML(sc shortcode) string {
	var b strings.Builder
	for _, a := range env.selectAttachments(sc, "image") {
		b.WriteString(`<figure><img src="` + html.EscapeString(a.attachmentURL) + `" alt="` + html.EscapeString(a.meta["_wp_attachment_image_alt"]) + `">`)
		if c := strings.TrimSpace(a.excerpt); c != "" {
			b.WriteString("<figcaption>" + c + "</figcaption>")
		}
		b.WriteString("</figure>")
	}
	return b.String()
}

// selectAttachments are the files a gallery or playlist shows: those named
// by ids or include, else the item's own of that kind, less exclude.
func (env *bodyEnv) selectAttachments(sc shortcode, kind string) []*item {
	var list []*item
	ids := firstOf(sc.attrs["ids"], sc.attrs["include"])
	if ids != "" {
		for _, s := range strings.Split(ids, ",") {
			id, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				continue
			}
			if a := env.byID(id); a != nil && a.postType == "attachment" {
				list = append(list, a)
			} else {
				env.note("[" + sc.name + "] names a file that is not in the export")
			}
		}
	} else {
		for _, a := range env.attached {
			if mediaKind(a.attachmentURL) == kind {
				list = append(list, a)
			}
		}
	}
	if ex := sc.attrs["exclude"]; ex != "" {
		drop := map[int]bool{}
		for _, s := range strings.Split(ex, ",") {
			id, _ := strconv.Atoi(strings.TrimSpace(s))
			drop[id] = true
		}
		list = slices.DeleteFunc(list, func(a *item) bool { return drop[a.id] })
	}
	return list
}

func linkParagraph(u, label string) string {
	if u == "" {
		return ""
	}
	return `<p><a href="` + html.EscapeString(u) + `">` + html.EscapeString(label) + `</a></p>`
}

// mediaKind is "image", "audio", "video" or "" for a file's URL.
func mediaKind(u string) string {
	ext := strings.ToLower(path.Ext(stripQuery(u)))
	switch ext {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".bmp", ".tif", ".tiff", ".avif", ".heic":
		return "image"
	case ".mp3", ".m4a", ".ogg", ".oga", ".wav", ".flac", ".aac", ".wma":
		return "audio"
	case ".mp4", ".m4v", ".webm", ".ogv", ".mov", ".wmv", ".flv", ".avi", ".mkv":
		return "video"
	}
	return ""
}

func fileLabel(u string) string {
	name := path.Base(stripQuery(u))
	if name == "." || name == "/" {
		return u
	}
	return name
}

func stripQuery(u string) string {
	u, _, _ = strings.Cut(u, "#")
	u, _, _ = strings.Cut(u, "?")
	return u
}

func isHTTP(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
}

// keptAttrs are the attributes worth keeping: the rest (class, style, ids,
// data-*, sizes) only styled WordPress's theme.
var keptAttrs = map[string]bool{
	"href": true, "src": true, "alt": true, "title": true, "colspan": true, "rowspan": true,
	"scope": true, "lang": true, "dir": true, "open": true, "start": true, "reversed": true,
}

var loneURL = regexp.MustCompile(`^https?://[^\s<>"]+$`)

// walk prepares the parsed body for the converter (step 4 above).
// In a link or in code, a URL standing alone is text, not an embed.
func (env *bodyEnv) walk(n *xhtml.Node, textOnly bool) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		switch c.Type {
		case xhtml.ElementNode:
			env.element(c, textOnly)
		case xhtml.TextNode:
			if !textOnly {
				env.text(c)
			}
		}
		c = next
	}
}

func (env *bodyEnv) element(n *xhtml.Node, textOnly bool) {
	switch n.DataAtom {
	case atom.Script:
		env.note("script removed")
		n.Parent.RemoveChild(n)
		return
	case atom.Iframe, atom.Embed, atom.Object, atom.Video, atom.Audio:
		src := firstOf(attr(n, "src"), attr(n, "data"))
		if src == "" {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == xhtml.ElementNode && c.DataAtom == atom.Source {
					src = attr(c, "src")
					break
				}
			}
		}
		what := map[atom.Atom]string{atom.Iframe: "iframe", atom.Embed: "embedded object", atom.Object: "embedded object", atom.Video: "<video>", atom.Audio: "<audio>"}[n.DataAtom]
		if src == "" {
			env.note(what + " without a source removed")
			n.Parent.RemoveChild(n)
			return
		}
		env.note(what + " reduced to a link to its source")
		label := firstOf(strings.TrimSpace(attr(n, "title")), src)
		if n.DataAtom != atom.Iframe {
			label = fileLabel(src)
		}
		a := &xhtml.Node{Type: xhtml.ElementNode, Data: "a", DataAtom: atom.A, Attr: []xhtml.Attribute{{Key: "href", Val: env.link(src, "")}}}
		a.AppendChild(&xhtml.Node{Type: xhtml.TextNode, Data: label})
		n.Parent.InsertBefore(a, n)
		n.Parent.RemoveChild(n)
		return
	}
	var kept []xhtml.Attribute
	for _, a := range n.Attr {
		switch {
		case a.Namespace != "":
		case a.Key == "class" && n.DataAtom == atom.Code && strings.HasPrefix(a.Val, "language-"):
			kept = append(kept, a)
		case a.Key == "href" && n.DataAtom == atom.A:
			a.Val = env.link(strings.TrimSpace(a.Val), textContent(n))
			kept = append(kept, a)
		case a.Key == "src" && (n.DataAtom == atom.Img || n.DataAtom == atom.Source):
			a.Val = env.link(strings.TrimSpace(a.Val), "")
			kept = append(kept, a)
		case keptAttrs[a.Key]:
			kept = append(kept, a)
		}
	}
	n.Attr = kept
	env.walk(n, textOnly || n.DataAtom == atom.A || n.DataAtom == atom.Pre || n.DataAtom == atom.Code)
}

// text turns a URL standing alone in a paragraph or block, which WordPress
// showed as an embedded player or card, into a link to it.
func (env *bodyEnv) text(n *xhtml.Node) {
	u := strings.TrimSpace(n.Data)
	if !loneURL.MatchString(u) || n.Parent == nil {
		return
	}
	for c := n.Parent.FirstChild; c != nil; c = c.NextSibling {
		if c != n && (c.Type == xhtml.ElementNode && c.DataAtom != atom.Br || c.Type == xhtml.TextNode && strings.TrimSpace(c.Data) != "") {
			return
		}
	}
	env.note("URL on a line of its own (an embed in WordPress) written as a link")
	a := &xhtml.Node{Type: xhtml.ElementNode, Data: "a", DataAtom: atom.A, Attr: []xhtml.Attribute{{Key: "href", Val: env.link(u, "")}}}
	a.AppendChild(&xhtml.Node{Type: xhtml.TextNode, Data: u})
	n.Parent.InsertBefore(a, n)
	n.Parent.RemoveChild(n)
}

// textContent is the text of n and its descendants, white space collapsed.
func textContent(n *xhtml.Node) string {
	var b strings.Builder
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == xhtml.TextNode {
				b.WriteString(c.Data)
			}
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func attr(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// plainText is the text of a bit of HTML (a title, an excerpt): tags
// dropped, entities decoded, white space collapsed.
func plainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.Join(strings.Fields(s), " ")
	}
	z := xhtml.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case xhtml.TextToken:
			b.Write(z.Text())
		case xhtml.StartTagToken, xhtml.EndTagToken, xhtml.SelfClosingTagToken:
			if name, _ := z.TagName(); !inlineTag[string(name)] {
				b.WriteByte(' ')
			}
		}
	}
}

var inlineTag = map[string]bool{"a": true, "b": true, "strong": true, "em": true, "i": true, "sup": true, "sub": true, "span": true, "code": true, "small": true, "abbr": true, "mark": true, "u": true, "s": true, "del": true, "ins": true, "q": true, "cite": true}
