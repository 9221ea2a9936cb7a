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
//
// # Scanned pages
//
// A page whose text layer has fewer than 20 characters while the images it
// draws cover half its MediaBox or more is a scan (Page.Scan). An Extractor
// reads it with Tesseract, in the same isolation as the text: a second
// child (`archive pdftext -child -images DIR -pages N,...`) finds the image
// XObjects the page draws and writes each upright at its own resolution
// (JPEG as the file holds it; Flate, raw and CCITT fax images decoded by us
// into PNG; JBIG2 and JPEG 2000 reported as not readable), then Tesseract
// runs on each image, started by /bin/sh, which sets its address-space
// limit (ulimit -v) and becomes Tesseract, killed with its process group at the OCR time limit. The languages come from the
// publication's lang ([TesseractLanguage]), else the site default
// (OCRConfig.Languages), else English, among those installed. Each page's
// OCR text is cached by the file's SHA-256, the page, Tesseract's version
// and the languages. The server never decodes an image itself.
package pdftext
