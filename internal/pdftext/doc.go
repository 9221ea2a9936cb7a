// Package pdftext turns PDF files into plain text, page by page, for the
// search index and for quoting.
//
// It owns reading PDFs: opening them (including the damaged and odd ones the
// underlying library refuses), walking the page tree, interpreting content
// streams with a text layer of its own, and laying the glyphs out as words and
// lines. It does not index, render or serve anything.
//
// # Trust
//
// [Extract] runs in the calling process and a hostile file can still make the
// underlying library loop or allocate without bound. The server therefore uses
// an [Extractor], which runs each file in a child process of our own binary
// (`archive pdftext -child`) under a time and an address-space limit, streams
// the pages back as JSON lines so that text read before a fault is kept, and
// caches results on disk by the file's SHA-256.
//
// # Text
//
// Glyph positions come from the content stream (TJ offsets, Td/Tm moves, Form
// XObjects followed), widths and encodings are cached per font. A space is
// put where the gap between two glyphs exceeds a fraction of the font size,
// a newline where the baseline moves. Ligatures are expanded, line-end
// hyphenation is joined, the result is NFC with control characters and soft
// hyphens removed.
package pdftext
