package wordpress

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

// An export is one WXR file as WordPress wrote it.
type export struct {
	file        string
	title, link string // the channel's
	language    string
	version     string            // wp:wxr_version
	blogURL     string            // wp:base_blog_url, else the channel's link
	authors     map[string]string // login -> display name
	items       []*item
	dropped     int // characters XML does not allow, dropped before parsing
}

// An item is one <item> of an export: a post, page, attachment, menu entry,
// revision or anything a plugin stores as a post.
type item struct {
	line int // of <item> in the export

	title, link, creator string
	content, excerpt     string
	id, parent           int
	menuOrder            int
	date, dateGMT        string // "2006-01-02 15:04:05"; "0000-00-00 00:00:00" when unset
	modified, modGMT     string
	pubDate              string // RFC 1123, the channel's own date of the item
	name                 string // wp:post_name, as exported (percent-encoded)
	status, postType     string
	password             string
	attachmentURL        string
	terms                []term
	meta                 map[string]string
	comments             int
}

// A term is a category, tag, post format or other taxonomy of an item.
type term struct {
	domain, nicename, name string
}

// xmlNode is an element of the export, kept only as far as the import needs:
// its namespace, name, attributes, own text and children.
type xmlNode struct {
	space, local string
	attrs        []xml.Attr
	text         strings.Builder
	kids         []*xmlNode
	line         int
}

// Namespaces are matched by the end of their path, so that an export that
// writes http://wordpress.org/export/1.2/ and one that writes https://, or
// WXR 1.0's and 1.1's, read alike.
var (
	nsWP      = regexp.MustCompile(`/export/1\.[0-9]+/?$`)
	nsExcerpt = regexp.MustCompile(`/export/1\.[0-9]+/excerpt/?$`)
)

const (
	nsContent = "/rss/1.0/modules/content/"
	nsDC      = "/dc/elements/1.1/"
)

func isNS(space, which string) bool {
	s := strings.TrimSuffix(space, "/") + "/"
	switch which {
	case "wp":
		return nsWP.MatchString(s)
	case "excerpt":
		return nsExcerpt.MatchString(s)
	case "content":
		return strings.HasSuffix(s, nsContent)
	case "dc":
		return strings.HasSuffix(s, nsDC)
	case "":
		return space == ""
	}
	return false
}

// child returns the first child element named ns:local.
func (n *xmlNode) child(ns, local string) *xmlNode {
	for _, k := range n.kids {
		if k.local == local && isNS(k.space, ns) {
			return k
		}
	}
	return nil
}

// value is the text of the first such child, trimmed.
func (n *xmlNode) value(ns, local string) string {
	if k := n.child(ns, local); k != nil {
		return strings.TrimSpace(k.text.String())
	}
	return ""
}

// raw is the text of the first such child as written (bodies keep their
// leading and trailing blank lines, which autop reads).
func (n *xmlNode) raw(ns, local string) string {
	if k := n.child(ns, local); k != nil {
		return k.text.String()
	}
	return ""
}

func (n *xmlNode) attr(local string) string {
	for _, a := range n.attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// parseExport reads a WXR file. Characters that XML forbids (control
// characters pasted into posts) are dropped first and counted, since one of
// them would otherwise make the whole export unreadable.
func parseExport(name string, data []byte) (*export, error) {
	data, dropped := dropInvalidXMLChars(data)
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Entity = xml.HTMLEntity // &nbsp; and its kind outside CDATA
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		enc, err := htmlindex.Get(label)
		if err != nil {
			return nil, fmt.Errorf("unknown encoding %q", label)
		}
		return enc.NewDecoder().Reader(r), nil
	}
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			return nil, fmt.Errorf("%s: line %d: not a readable WordPress export: %w", name, line, unwrapSyntax(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := d.InputPos()
			n := &xmlNode{space: t.Name.Space, local: t.Name.Local, attrs: t.Attr, line: line}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.kids = append(parent.kids, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil || root.local != "rss" {
		return nil, fmt.Errorf("%s: not a WordPress export: no <rss> element (export it with Tools → Export)", name)
	}
	ch := root.child("", "channel")
	if ch == nil {
		return nil, fmt.Errorf("%s: not a WordPress export: no <channel> in <rss>", name)
	}
	ex := &export{
		file:     name,
		title:    ch.value("", "title"),
		link:     ch.value("", "link"),
		language: ch.value("", "language"),
		version:  ch.value("wp", "wxr_version"),
		blogURL:  ch.value("wp", "base_blog_url"),
		authors:  map[string]string{},
		dropped:  dropped,
	}
	if ex.blogURL == "" {
		ex.blogURL = ex.link
	}
	if ex.version == "" {
		return nil, fmt.Errorf("%s: not a WordPress export: the channel has no wp:wxr_version", name)
	}
	for _, k := range ch.kids {
		switch {
		case k.local == "author" && isNS(k.space, "wp"):
			login := k.value("wp", "author_login")
			if display := k.value("wp", "author_display_name"); login != "" && display != "" {
				ex.authors[login] = display
			}
		case k.local == "item" && isNS(k.space, ""):
			ex.items = append(ex.items, parseItem(k))
		}
	}
	return ex, nil
}

func parseItem(n *xmlNode) *item {
	it := &item{
		line:          n.line,
		title:         n.value("", "title"),
		link:          n.value("", "link"),
		pubDate:       n.value("", "pubDate"),
		creator:       n.value("dc", "creator"),
		content:       n.raw("content", "encoded"),
		excerpt:       n.value("excerpt", "encoded"),
		id:            atoi(n.value("wp", "post_id")),
		parent:        atoi(n.value("wp", "post_parent")),
		menuOrder:     atoi(n.value("wp", "menu_order")),
		date:          n.value("wp", "post_date"),
		dateGMT:       n.value("wp", "post_date_gmt"),
		modified:      n.value("wp", "post_modified"),
		modGMT:        n.value("wp", "post_modified_gmt"),
		name:          n.value("wp", "post_name"),
		status:        n.value("wp", "status"),
		postType:      n.value("wp", "post_type"),
		password:      n.value("wp", "post_password"),
		attachmentURL: n.value("wp", "attachment_url"),
		meta:          map[string]string{},
	}
	for _, k := range n.kids {
		switch {
		case k.local == "category" && isNS(k.space, ""):
			t := term{domain: k.attr("domain"), nicename: k.attr("nicename"), name: strings.TrimSpace(k.text.String())}
			if t.domain == "" && t.nicename == "" {
				// WXR 1.0 wrote each category twice, once without
				// attributes; the one with them counts.
				continue
			}
			it.terms = append(it.terms, t)
		case k.local == "postmeta" && isNS(k.space, "wp"):
			if key := k.value("wp", "meta_key"); key != "" {
				it.meta[key] = k.value("wp", "meta_value")
			}
		case k.local == "comment" && isNS(k.space, "wp"):
			it.comments++
		}
	}
	return it
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func unwrapSyntax(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return errors.New(se.Msg)
	}
	return err
}

// dropInvalidXMLChars removes what XML 1.0 does not allow in a document:
// control characters other than tab and line breaks, and bytes that are not
// UTF-8 in a file that says it is.
func dropInvalidXMLChars(data []byte) ([]byte, int) {
	if !bytes.ContainsFunc(data, func(r rune) bool { return !xmlChar(r) }) && utf8.Valid(data) {
		return data, 0
	}
	if !bytes.HasPrefix(data, []byte("<?xml")) || !utf8Declared(data) {
		// Another encoding is decoded by the CharsetReader; only control
		// characters, which are ASCII in every such encoding, are dropped.
		out := make([]byte, 0, len(data))
		n := 0
		for _, b := range data {
			if b < 0x20 && b != '\t' && b != '\n' && b != '\r' {
				n++
				continue
			}
			out = append(out, b)
		}
		return out, n
	}
	out := make([]byte, 0, len(data))
	n := 0
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if (r == utf8.RuneError && size <= 1) || !xmlChar(r) {
			n++
		} else {
			out = append(out, data[:size]...)
		}
		data = data[size:]
	}
	return out, n
}

func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// utf8Declared reports whether the XML declaration says UTF-8 or nothing.
func utf8Declared(data []byte) bool {
	end := bytes.Index(data, []byte("?>"))
	if end < 0 {
		return true
	}
	decl := strings.ToLower(string(data[:end]))
	i := strings.Index(decl, "encoding=")
	if i < 0 {
		return true
	}
	enc := strings.Trim(decl[i+len("encoding="):], `"' `)
	enc, _, _ = strings.Cut(enc, `"`)
	enc, _, _ = strings.Cut(enc, `'`)
	return enc == "utf-8" || enc == "utf8"
}
