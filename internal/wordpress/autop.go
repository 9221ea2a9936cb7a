package wordpress

import (
	"regexp"
	"strconv"
	"strings"
)

// WordPress stores a post written in the classic editor without paragraph
// tags: a blank line is a paragraph, a single line break a <br>, and the
// theme runs wpautop over it when it shows the post. autop does the same
// here, following wp-includes/formatting.php closely enough that the text
// falls into the same paragraphs. Block editor content (<!-- wp: -->) has its
// paragraphs written out and is left alone, as WordPress leaves it.

const allBlocks = `(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)`

var (
	autopPre          = regexp.MustCompile(`(?is)<pre[\s>].*?</pre>`)
	autopDoubleBR     = regexp.MustCompile(`(?i)<br\s*/?>\s*<br\s*/?>`)
	autopBlockOpen    = regexp.MustCompile(`(?i)(<` + allBlocks + `[\s/>])`)
	autopBlockClose   = regexp.MustCompile(`(?i)(</` + allBlocks + `>)`)
	autopHR           = regexp.MustCompile(`(?i)(<hr\s*?/?>)`)
	autopTag          = regexp.MustCompile(`(?s)<!--.*?-->|<[^<>]*>`)
	autopFigcapOpen   = regexp.MustCompile(`(?i)\s*(<figcaption[^>]*>)`)
	autopFigcapClose  = regexp.MustCompile(`(?i)</figcaption>\s*`)
	autopManyNL       = regexp.MustCompile(`\n\n+`)
	autopSplit        = regexp.MustCompile(`\n\s*\n`)
	autopEmptyP       = regexp.MustCompile(`<p>\s*</p>`)
	autopPInDiv       = regexp.MustCompile(`(?i)<p>([^<]+)</(div|address|form)>`)
	autopPAroundBlock = regexp.MustCompile(`(?i)<p>\s*(</?` + allBlocks + `[^>]*>)\s*</p>`)
	autopPLi          = regexp.MustCompile(`(?i)<p>(<li.+?)</p>`)
	autopPQuote       = regexp.MustCompile(`(?i)<p><blockquote([^>]*)>`)
	autopPBefore      = regexp.MustCompile(`(?i)<p>\s*(</?` + allBlocks + `[^>]*>)`)
	autopPAfter       = regexp.MustCompile(`(?i)(</?` + allBlocks + `[^>]*>)\s*</p>`)
	autopRaw          = regexp.MustCompile(`(?is)<(script|style|svg|math)[\s>].*?</(?:script|style|svg|math)>`)
	autopBRAfterBlock = regexp.MustCompile(`(?i)(</?` + allBlocks + `[^>]*>)\s*<br />`)
	autopBRBefore     = regexp.MustCompile(`(?i)<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)`)
)

func autop(text string) string {
	if strings.TrimSpace(text) == "" {
		return ""
	}
	text = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(text) + "\n"
	// <pre> is left exactly as written.
	var pres []string
	text = autopPre.ReplaceAllStringFunc(text, func(m string) string {
		pres = append(pres, m)
		return "<pre wp-pre-tag-" + strconv.Itoa(len(pres)-1) + "></pre>"
	})
	text = autopDoubleBR.ReplaceAllString(text, "\n\n")
	text = autopBlockOpen.ReplaceAllString(text, "\n\n$1")
	text = autopBlockClose.ReplaceAllString(text, "$1\n\n")
	text = autopHR.ReplaceAllString(text, "$1\n\n")
	// A line break inside a tag is no paragraph.
	text = autopTag.ReplaceAllStringFunc(text, func(tag string) string {
		return strings.ReplaceAll(tag, "\n", " <!-- wpnl --> ")
	})
	if strings.Contains(text, "<figcaption") {
		text = autopFigcapOpen.ReplaceAllString(text, "$1")
		text = autopFigcapClose.ReplaceAllString(text, "</figcaption>")
	}
	text = autopManyNL.ReplaceAllString(text, "\n\n")
	var b strings.Builder
	for _, chunk := range autopSplit.Split(text, -1) {
		if strings.TrimSpace(chunk) == "" {
			continue
		}
		b.WriteString("<p>" + strings.Trim(chunk, "\n") + "</p>\n")
	}
	text = b.String()
	text = autopEmptyP.ReplaceAllString(text, "")
	text = autopPInDiv.ReplaceAllString(text, "<p>$1</p></$2>")
	text = autopPAroundBlock.ReplaceAllString(text, "$1")
	text = autopPLi.ReplaceAllString(text, "$1")
	text = autopPQuote.ReplaceAllString(text, "<blockquote$1><p>")
	text = strings.ReplaceAll(text, "</blockquote></p>", "</p></blockquote>")
	text = autopPBefore.ReplaceAllString(text, "$1")
	text = autopPAfter.ReplaceAllString(text, "$1")
	// Single line breaks become <br />, except inside script, style, svg
	// and math.
	text = autopRaw.ReplaceAllStringFunc(text, func(m string) string {
		return strings.ReplaceAll(m, "\n", "<WPPreserveNewline />")
	})
	text = strings.NewReplacer("<br>", "<br />", "<br/>", "<br />").Replace(text)
	text = lineBreaksToBR(text)
	text = strings.ReplaceAll(text, "<WPPreserveNewline />", "\n")
	text = autopBRAfterBlock.ReplaceAllString(text, "$1")
	text = autopBRBefore.ReplaceAllString(text, "$1")
	text = strings.TrimSuffix(text, "\n</p>") // as formatting.php's "\n</p>$"
	for i, pre := range pres {
		text = strings.Replace(text, "<pre wp-pre-tag-"+strconv.Itoa(i)+"></pre>", pre, 1)
	}
	text = strings.ReplaceAll(text, " <!-- wpnl --> ", "\n")
	return strings.ReplaceAll(text, "<!-- wpnl -->", "\n")
}

// lineBreaksToBR is formatting.php's preg_replace('|(?<!<br />)\s*\n|',
// "<br />\n"), written out since Go's regexp has no lookbehind.
func lineBreaksToBR(text string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		// The whitespace before the line break goes with it.
		j := i
		for j > 0 && strings.ContainsRune(" \t\r\n\f\v", rune(text[j-1])) {
			j--
		}
		before := text[:j]
		if strings.HasSuffix(before, "<br />") {
			b.WriteString(text[:i+1])
		} else {
			b.WriteString(before)
			b.WriteString("<br />\n")
		}
		text = text[i+1:]
	}
}
