// Package browsertest tests the archive as readers see it: the real server
// binary on loopback, driven by Debian's Chromium through the DevTools
// protocol (chromedp), at phone and desktop widths, with JavaScript on and
// off. It checks that pages raise no console error and fetch nothing from any
// other host, that search, paragraph links, highlighting and printing work,
// that a publication page stays under its weight budget, and it audits every
// page with axe-core.
//
// The tests need Chromium (/usr/bin/chromium, or $CHROME_PATH) and skip with
// a message without it; the audit needs axe-core from npm in $AXE_DIR
// (default ~/.cache/archive-axe), as .ci/run installs it. Screenshots, a
// printed PDF and REPORT.txt (the screenshots, the audit results and the page
// weight) go to $ARCHIVE_SCREENSHOTS, default archive-screenshots in the
// temporary folder.
//
// The server reads a copy of content/ with testdata/content laid over it: a
// report with translations, revisions and corrections, which the shipped
// content does not have, so that every part of a publication page is seen.
//
// The package holds tests only.
package browsertest
