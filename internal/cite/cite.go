// Package cite writes how to cite a publication: a plain citation for people
// to copy, and the reference formats that citation managers import (BibTeX,
// RIS and CSL-JSON).
//
// A citation names the organisation as publisher, the publication's authors
// (the organisation itself when there are none), its title, date and URL. The
// date the reader retrieved it is theirs to add: the site cannot know it.
//
// It does not decide where the files are served (package site).
package cite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"archive/internal/content"
)

// Citation is what every format says about one publication.
type Citation struct {
	Key       string // BibTeX key and CSL id, such as "open-letter-to-interpol-2022"
	Report    bool   // a report or investigation, rather than an article or letter
	Authors   []string
	Title     string
	Publisher string
	Date      time.Time
	Updated   time.Time // latest revision; zero when never revised
	URL       string    // absolute
	Lang      string
	Abstract  string
	Keywords  []string
}

// IsReport tells reports and investigations, which citation styles and
// schema.org treat as reports, from letters and other articles. The section
// is the only sign of the kind the content carries.
func IsReport(section string) bool {
	s := strings.ToLower(section)
	return strings.Contains(s, "report") || strings.Contains(s, "investigation")
}

// New returns the citation of p, whose absolute URL is url.
func New(p *content.Publication, settings content.Settings, url string) *Citation {
	publisher := settings.Organisation
	if publisher == "" {
		publisher = settings.Title
	}
	c := &Citation{
		Key:       key(p),
		Report:    IsReport(p.Section),
		Authors:   p.Authors,
		Title:     p.Title,
		Publisher: publisher,
		Date:      p.Date,
		URL:       url,
		Lang:      p.Lang,
		Abstract:  p.Summary,
		Keywords:  p.Tags,
	}
	for _, u := range p.Updated {
		if u.After(c.Updated) && u.After(p.Date) {
			c.Updated = u
		}
	}
	if len(c.Authors) == 0 && publisher != "" {
		c.Authors = []string{publisher}
	}
	return c
}

// key is the publication's slug and year, kept to the characters every
// BibTeX implementation accepts in a key.
func key(p *content.Publication) string {
	var b strings.Builder
	for _, r := range p.Slug {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)), r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	k := strings.Trim(b.String(), "-")
	if k == "" {
		k = "publication"
	}
	if !p.Date.IsZero() {
		k += fmt.Sprintf("-%d", p.Date.Year())
	}
	return k
}

// Plain is the citation as a reader copies it into a text, with the date of
// retrieval left for them to write.
func (c *Citation) Plain() string {
	var b strings.Builder
	onlyPublisher := len(c.Authors) == 1 && c.Authors[0] == c.Publisher
	b.WriteString(strings.TrimSuffix(andList(c.Authors), "."))
	b.WriteString(". “" + sentence(c.Title) + "” ")
	if !onlyPublisher && c.Publisher != "" {
		b.WriteString(c.Publisher + ", ")
	}
	if !c.Date.IsZero() {
		b.WriteString(c.Date.Format("2 January 2006"))
		if !c.Updated.IsZero() {
			b.WriteString(", updated " + c.Updated.Format("2 January 2006"))
		}
		b.WriteString(". ")
	}
	b.WriteString(c.URL + ". Retrieved [date].")
	return b.String()
}

// sentence ends a title with a full stop unless it ends with punctuation
// of its own.
func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") {
		return s
	}
	return s + "."
}

func andList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// BibTeX is a BibTeX entry: @techreport for reports, @misc otherwise, with
// the fields BibLaTeX reads too (date, url, langid).
func (c *Citation) BibTeX() string {
	typ := "misc"
	if c.Report {
		typ = "techreport"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "@%s{%s,\n", typ, c.Key)
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "  %-11s = {%s},\n", name, value)
		}
	}
	// Braces around each name keep "Safeguard Defenders" from being read as
	// a first and a last name.
	var authors []string
	for _, a := range c.Authors {
		authors = append(authors, "{"+bibEscape(a)+"}")
	}
	field("author", strings.Join(authors, " and "))
	field("title", "{"+bibEscape(c.Title)+"}")
	if c.Report {
		field("institution", bibEscape(c.Publisher))
	} else {
		field("publisher", bibEscape(c.Publisher))
	}
	if !c.Date.IsZero() {
		field("year", c.Date.Format("2006"))
		// Unbraced: jan, feb… are macros that each style writes its own way.
		fmt.Fprintf(&b, "  %-11s = %s,\n", "month", strings.ToLower(c.Date.Format("Jan")))
		field("date", c.Date.Format(time.DateOnly))
	}
	field("url", c.URL)
	field("langid", c.Lang)
	field("abstract", bibEscape(c.Abstract))
	field("keywords", bibEscape(strings.Join(c.Keywords, ", ")))
	if !c.Updated.IsZero() {
		field("note", "Updated "+c.Updated.Format(time.DateOnly))
	}
	b.WriteString("}\n")
	return b.String()
}

var bibReplacer = strings.NewReplacer(
	`\`, `\textbackslash{}`, "{", `\{`, "}", `\}`, "%", `\%`, "&", `\&`, "$", `\$`,
	"#", `\#`, "_", `\_`, "~", `\textasciitilde{}`, "^", `\textasciicircum{}`,
)

func bibEscape(s string) string { return bibReplacer.Replace(oneLine(s)) }

// oneLine folds every run of white space, newlines included, into one space:
// RIS and BibTeX values must not span lines.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// RIS is the reference in the RIS format, with CRLF line ends as the format
// asks.
func (c *Citation) RIS() string {
	var b strings.Builder
	tag := func(t, v string) {
		if v = oneLine(v); v != "" {
			b.WriteString(t + "  - " + v + "\r\n")
		}
	}
	typ := "ELEC"
	if c.Report {
		typ = "RPRT"
	}
	tag("TY", typ)
	tag("ID", c.Key)
	for _, a := range c.Authors {
		tag("AU", a)
	}
	tag("TI", c.Title)
	tag("PB", c.Publisher)
	if !c.Date.IsZero() {
		tag("PY", c.Date.Format("2006"))
		tag("DA", c.Date.Format("2006/01/02"))
	}
	tag("UR", c.URL)
	tag("LA", c.Lang)
	tag("AB", c.Abstract)
	for _, k := range c.Keywords {
		tag("KW", k)
	}
	if !c.Updated.IsZero() {
		tag("N1", "Updated "+c.Updated.Format(time.DateOnly))
	}
	b.WriteString("ER  - \r\n")
	return b.String()
}

// cslItem is one item of CSL-JSON, the format of citeproc and Zotero.
type cslItem struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Title     string    `json:"title"`
	Author    []cslName `json:"author,omitempty"`
	Publisher string    `json:"publisher,omitempty"`
	Issued    *cslDate  `json:"issued,omitempty"`
	URL       string    `json:"URL"`
	Language  string    `json:"language,omitempty"`
	Abstract  string    `json:"abstract,omitempty"`
	Keyword   string    `json:"keyword,omitempty"`
	Note      string    `json:"note,omitempty"`
}

// cslName keeps each name whole ("literal"): the archive does not know
// which names are people's and how they split into given and family names.
type cslName struct {
	Literal string `json:"literal"`
}

type cslDate struct {
	DateParts [][]int `json:"date-parts"`
}

// CSLJSON is the reference as a CSL-JSON array of one item.
func (c *Citation) CSLJSON() ([]byte, error) {
	item := cslItem{
		ID:        c.Key,
		Type:      "webpage",
		Title:     c.Title,
		Publisher: c.Publisher,
		URL:       c.URL,
		Language:  c.Lang,
		Abstract:  oneLine(c.Abstract),
		Keyword:   strings.Join(c.Keywords, ", "),
	}
	if c.Report {
		item.Type = "report"
	}
	for _, a := range c.Authors {
		item.Author = append(item.Author, cslName{a})
	}
	if !c.Date.IsZero() {
		item.Issued = &cslDate{[][]int{{c.Date.Year(), int(c.Date.Month()), c.Date.Day()}}}
	}
	if !c.Updated.IsZero() {
		item.Note = "Updated " + c.Updated.Format(time.DateOnly)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // a file, never inlined in a page
	enc.SetIndent("", "  ")
	if err := enc.Encode([]cslItem{item}); err != nil {
		return nil, fmt.Errorf("CSL-JSON of %s: %w", c.Key, err)
	}
	return b.Bytes(), nil
}
