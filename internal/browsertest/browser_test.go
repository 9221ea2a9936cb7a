package browsertest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/mmcdole/gofeed"
)

const (
	letter = "/letters/open-letter-to-interpol/"
	report = "/reports/test-detained-abroad/" // from testdata: translations, corrections
)

// pages are what every reader meets: the home page, publications, a search
// with results, a folder of documents, and a page that does not exist.
var pages = []struct {
	name, path string
	status     int64
}{
	{"home", "/", 200},
	{"publication", letter, 200},
	{"report", report, 200},
	{"search", "/search?q=red+notice", 200},
	{"documents", "/documents/", 200}, // from testdata: a standalone PDF
	{"notfound", "/no/such/page/", 404},
}

func jsName(on bool) string {
	if on {
		return "js-on"
	}
	return "js-off"
}

var searchSkipped sync.Once

// searchReady skips a test while the search page is still a placeholder.
func searchReady(t *testing.T) {
	t.Helper()
	if noBrowser != "" {
		t.Skip(noBrowser)
	}
	res, err := http.Get(serverURL + "/search?q=red+notice")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusServiceUnavailable {
		const why = "the search page is not available yet (the server answers 503): search checks skipped"
		searchSkipped.Do(func() { results.note("NOT RUN: " + why) })
		t.Skip(why)
	}
}

// TestPages loads every page at both widths with JavaScript on and off: no
// console error, no other host, nothing wider than a phone's screen. One
// full-page screenshot per page and width, with JavaScript off as in Tor
// Browser's safest setting (the site has no script, so on looks the same).
func TestPages(t *testing.T) {
	for _, view := range []viewport{phone, desktop} {
		for _, js := range []bool{true, false} {
			tb := openTab(t, tabOptions{view: view, js: js})
			for _, p := range pages {
				name := fmt.Sprintf("%s-%s-%s", p.name, view.name, jsName(js))
				t.Run(name, func(t *testing.T) {
					if p.name == "search" {
						searchReady(t)
					}
					if status := tb.visit(t, p.path); status != p.status {
						t.Errorf("status %d, want %d", status, p.status)
					}
					tb.checkClean(t, p.status)
					if w := tb.evalNumber(t, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
						t.Errorf("the page is %v px wider than the screen: it scrolls sideways", w)
					}
					if !tb.evalBool(t, `!!document.querySelector("main h1") && document.documentElement.lang !== ""`) {
						t.Error("no main heading, or no language on <html>")
					}
					if !js {
						tb.screenshot(t, p.name+"-"+view.name, fmt.Sprintf("%s at %d px", p.path, view.width))
					}
				})
			}
		}
	}
	// Dark mode, and the translations in their scripts.
	for _, set := range []struct {
		view  viewport
		dark  bool
		paths map[string]string
	}{
		{phone, true, map[string]string{"home-phone-dark": "/", "publication-phone-dark": letter}},
		{desktop, true, map[string]string{"publication-desktop-dark": letter, "report-desktop-dark": report}},
		{phone, false, map[string]string{"report-zh-phone": "/reports/test-detained-abroad-zh/"}},
		{desktop, false, map[string]string{"report-ar-desktop": "/reports/test-detained-abroad-ar/"}},
	} {
		tb := openTab(t, tabOptions{view: set.view, js: false, dark: set.dark})
		for name, path := range set.paths {
			t.Run(name, func(t *testing.T) {
				if status := tb.visit(t, path); status != 200 {
					t.Errorf("status %d", status)
				}
				tb.checkClean(t, 200)
				if set.dark && tb.evalString(t, `getComputedStyle(document.body).backgroundColor`) == "rgb(252, 252, 250)" {
					t.Error("dark mode kept the light background")
				}
				tb.screenshot(t, name, fmt.Sprintf("%s at %d px, %s", path, set.view.width, map[bool]string{true: "dark mode", false: "light mode"}[set.dark]))
			})
		}
	}
}

// axeViolation is what the audit reports of one rule.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// TestAccessibility injects axe-core into each page and fails on any
// violation of serious or critical impact. Every page is audited at desktop
// width against the WCAG 2.1 A and AA rules and axe's best practices; in dark
// mode the colour contrast is audited again, and the main pages are audited
// whole at phone width too.
func TestAccessibility(t *testing.T) {
	all := append(pages[:len(pages):len(pages)], []struct {
		name, path string
		status     int64
	}{
		{"report-zh", "/reports/test-detained-abroad-zh/", 200},
		{"report-ar", "/reports/test-detained-abroad-ar/", 200},
		{"highlighted", letter + "?hl=%22red+notice%22+interpol#p-7", 200},
	}...)
	const full = `{type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}`
	for _, mode := range []struct {
		name    string
		view    viewport
		dark    bool
		runOnly string
		pages   int // how many of all
	}{
		{"desktop-light", desktop, false, full, len(all)},
		{"desktop-dark", desktop, true, `{type: "rule", values: ["color-contrast"]}`, len(all)},
		{"phone-light", phone, false, full, 3},
	} {
		if axeSource == "" {
			t.Run(mode.name, func(t *testing.T) { t.Skip(axeMissing) })
			continue
		}
		tb := openTab(t, tabOptions{view: mode.view, js: true, dark: mode.dark})
		for _, p := range all[:mode.pages] {
			name := p.name + "-" + mode.name
			t.Run(name, func(t *testing.T) {
				if p.name == "search" {
					searchReady(t)
				}
				tb.visit(t, p.path)
				tb.eval(t, axeSource+";true")
				raw := tb.evalString(t, `axe.run(document, {runOnly: `+mode.runOnly+`, resultTypes: ["violations"]}).then(r => JSON.stringify({
					passes: r.passes.length,
					violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))}))
				}))`, chromedp.EvalAwaitPromise)
				var res struct {
					Passes     int            `json:"passes"`
					Violations []axeViolation `json:"violations"`
				}
				if err := json.Unmarshal([]byte(raw), &res); err != nil {
					t.Fatalf("axe result: %v: %s", err, raw)
				}
				var found []string
				for _, v := range res.Violations {
					found = append(found, fmt.Sprintf("%s (%s: %s) at %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", ")))
					if v.Impact == "serious" || v.Impact == "critical" {
						t.Errorf("axe: %s (%s): %s, at %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
					}
				}
				what := "rules passed"
				if mode.dark {
					what = "rule passed (contrast only)"
				}
				line := fmt.Sprintf("%-28s %2d %s, %d violations", name, res.Passes, what, len(res.Violations))
				if len(found) > 0 {
					line += ": " + strings.Join(found, "; ")
				}
				results.audit(line)
			})
		}
	}
}

// TestSearch submits the search form as a reader would, with JavaScript on
// and off, sees highlighted results, and follows a hit to its paragraph.
func TestSearch(t *testing.T) {
	for _, view := range []viewport{desktop, phone} {
		for _, js := range []bool{true, false} {
			name := fmt.Sprintf("%s-%s", view.name, jsName(js))
			t.Run(name, func(t *testing.T) {
				searchReady(t)
				tb := openTab(t, tabOptions{view: view, js: js})
				tb.visit(t, "/")
				res, err := chromedp.RunResponse(tb.ctx,
					chromedp.SendKeys(chromedp.CSS("#site-q"), "red notice"),
					chromedp.Click(chromedp.CSS(".search-box button")))
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != 200 || !strings.Contains(res.URL, "/search?q=red+notice") {
					t.Fatalf("the form led to %s (status %d)", res.URL, res.Status)
				}
				if n := tb.evalNumber(t, `document.querySelectorAll("main mark").length`); n == 0 {
					t.Error("no highlighted words in the results")
				}
				tb.checkClean(t, 200)
				tb.screenshot(t, "search-results-"+name, "results of the search form for “red notice”")

				hit := tb.evalString(t, `(document.querySelector('main a[href*="hl="]') || {}).href || ""`)
				if hit == "" {
					t.Fatal("no result links to a page with its words highlighted")
				}
				res, err = chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(`main a[href*="hl="]`)))
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != 200 {
					t.Fatalf("hit %s: status %d", hit, res.Status)
				}
				if n := tb.evalNumber(t, `document.querySelectorAll("article mark").length`); n == 0 {
					t.Errorf("the page of hit %s marks no words", hit)
				}
				if strings.Contains(hit, "#") {
					// The fragment names the paragraph of the hit: the reader
					// lands on it.
					if !tb.evalBool(t, `(() => { const id = decodeURIComponent(location.hash.slice(1).split(":~:")[0]);
						const r = document.getElementById(id).getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; })()`) {
						t.Errorf("the paragraph of hit %s is not on screen", hit)
					}
				}
				tb.checkClean(t, 200)
			})
		}
	}
}

// inView is a script that tells whether the element with the id is near the
// top of the screen, where a link to it scrolls it.
func inView(id string) string {
	return `(() => { const r = document.getElementById("` + id + `").getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight / 3; })()`
}

// TestParagraphLink: the ¶ link of a paragraph shows on hover (desktop) or
// always (touch screens), and following it brings the paragraph to the top.
func TestParagraphLink(t *testing.T) {
	for _, view := range []viewport{desktop, phone} {
		for _, js := range []bool{true, false} {
			name := fmt.Sprintf("%s-%s", view.name, jsName(js))
			t.Run(name, func(t *testing.T) {
				tb := openTab(t, tabOptions{view: view, js: js})
				tb.visit(t, letter)
				opacity := `getComputedStyle(document.querySelector("#p-7 > a.anchor")).opacity`
				if view.phone {
					if got := tb.evalString(t, opacity); got != "1" {
						t.Errorf("on a touch screen the ¶ link has opacity %s, want 1", got)
					}
				} else {
					if got := tb.evalString(t, opacity); got != "0" {
						t.Errorf("before hover the ¶ link has opacity %s, want 0", got)
					}
					tb.eval(t, `document.getElementById("p-7").scrollIntoView({block: "center"}); true`)
					x := tb.evalNumber(t, `(() => { const r = document.getElementById("p-7").getBoundingClientRect(); return r.left + 40; })()`)
					y := tb.evalNumber(t, `(() => { const r = document.getElementById("p-7").getBoundingClientRect(); return r.top + 10; })()`)
					if err := chromedp.Do(tb.ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y)); err != nil {
						t.Fatal(err)
					}
					if got := tb.evalString(t, opacity); got != "1" {
						t.Errorf("on hover the ¶ link has opacity %s, want 1", got)
					}
				}
				if err := chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS("#p-7 > a.anchor"))); err != nil {
					t.Fatal(err)
				}
				if hash := tb.evalString(t, `location.hash`); hash != "#p-7" {
					t.Errorf("location.hash = %q after following the ¶ link", hash)
				}
				if !tb.evalBool(t, inView("p-7")) {
					t.Error("the paragraph is not at the top of the screen after following its link")
				}
				png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
				if err != nil {
					t.Fatal(err)
				}
				file := "paragraph-link-" + name + ".png"
				if err := os.WriteFile(filepath.Join(shotsDir, file), png, 0o644); err != nil {
					t.Fatal(err)
				}
				results.shot(file, "the screen after following the ¶ link of #p-7", len(png))
				tb.checkClean(t, 200)
			})
		}
	}
}

// TestKeyboard: the first Tab shows the skip link, with a visible focus
// ring, and Enter on it moves past the menus.
func TestKeyboard(t *testing.T) {
	tb := openTab(t, tabOptions{view: desktop, js: false})
	tb.visit(t, letter)
	if err := chromedp.Do(tb.ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
		t.Fatal(err)
	}
	if !tb.evalBool(t, `document.activeElement.classList.contains("skip") && document.activeElement.getBoundingClientRect().left >= 0`) {
		t.Error("the first Tab does not show the skip link")
	}
	if style := tb.evalString(t, `getComputedStyle(document.activeElement).outlineStyle`); style == "none" {
		t.Error("the focused skip link has no focus outline")
	}
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err == nil {
		os.WriteFile(filepath.Join(shotsDir, "keyboard-skip-link.png"), png, 0o644)
		results.shot("keyboard-skip-link.png", "the first Tab on a publication: the skip link, focused", len(png))
	}
	if err := chromedp.Do(tb.ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	if got := tb.evalString(t, `location.hash`); got != "#main" {
		t.Errorf("Enter on the skip link went to %q", got)
	}
}

// TestHighlightOnArrival opens a search hit's URL with JavaScript off: the
// words are marked by the server and the paragraph is on screen.
func TestHighlightOnArrival(t *testing.T) {
	for _, view := range []viewport{desktop, phone} {
		t.Run(view.name, func(t *testing.T) {
			tb := openTab(t, tabOptions{view: view, js: false})
			tb.visit(t, letter+"?hl=%22red+notice%22+interpol#p-7")
			if n := tb.evalNumber(t, `document.querySelectorAll("#p-7 mark").length`); n == 0 {
				t.Error("the hit's paragraph has no marked words")
			}
			if n := tb.evalNumber(t, `document.querySelectorAll(".site-header mark, .attachments mark, .cite mark").length`); n != 0 {
				t.Errorf("%v words marked outside the publication's text", n)
			}
			if !tb.evalBool(t, `!!document.querySelector(".hl-banner a[href='/letters/open-letter-to-interpol/']")`) {
				t.Error("no note with a link to the page without highlighting")
			}
			if !tb.evalBool(t, inView("p-7")) {
				t.Error("the hit's paragraph is not on screen")
			}
			png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			file := "highlight-arrival-" + view.name + ".png"
			os.WriteFile(filepath.Join(shotsDir, file), png, 0o644)
			results.shot(file, "arriving from a search hit (?hl=) at #p-7, JavaScript off", len(png))
			tb.checkClean(t, 200)
		})
	}
}

// TestPrint checks that the print stylesheet applies: only the publication,
// in a serif, with its URL; and saves the printed PDF.
func TestPrint(t *testing.T) {
	tb := openTab(t, tabOptions{view: desktop, js: false, print: true})
	tb.visit(t, report)
	checks := map[string]string{
		`getComputedStyle(document.querySelector(".site-header")).display`:            "none",
		`getComputedStyle(document.querySelector("a.anchor")).display`:                "none",
		`getComputedStyle(document.querySelector(".print-url")).display`:              "block",
		`getComputedStyle(document.body).fontFamily.includes("serif")`:                "true",
		`document.querySelector(".print-url").textContent.includes("` + report + `")`: "true",
	}
	for js, want := range checks {
		if got := fmt.Sprint(tb.eval(t, js)); got != want {
			t.Errorf("printing: %s = %s, want %s", js, got, want)
		}
	}
	tb.screenshot(t, "report-print", report+" with the print stylesheet")
	res, err := chromedp.Call(tb.ctx, page.PrintToPDF, page.PrintToPDFParams{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(shotsDir, "report-print.pdf")
	if err := os.WriteFile(file, res.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	results.shot("report-print.pdf", "the report printed to PDF by Chromium", len(res.Data))
	tb.checkClean(t, 200)
}

// TestPageWeight measures what a publication page costs a reader, without
// its PDFs: every byte over the network with the cache off. The budget is
// 50 KB; the page must also not move once shown (no layout shift).
func TestPageWeight(t *testing.T) {
	const budget = 50 * 1000
	for _, path := range []string{letter, "/investigations/pursued-for-life/", report} {
		t.Run(strings.Trim(path, "/"), func(t *testing.T) {
			tb := openTab(t, tabOptions{view: desktop, js: true})
			if _, err := chromedp.Call(tb.ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
				t.Fatal(err)
			}
			tb.visit(t, path)
			cls := tb.evalNumber(t, `new Promise(done => {
				let sum = 0;
				new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) sum += e.value; })
					.observe({type: "layout-shift", buffered: true});
				setTimeout(() => done(sum), 300);
			})`)
			if cls > 0 {
				t.Errorf("cumulative layout shift %v, want 0", cls)
			}
			tb.mu.Lock()
			total := 0.0
			var parts []string
			for id, n := range tb.received {
				total += n
				parts = append(parts, fmt.Sprintf("%s %.1f KB", strings.TrimPrefix(tb.urls[id], serverURL), n/1000))
			}
			tb.mu.Unlock()
			if total > budget {
				t.Errorf("%s weighs %.1f KB over the network, over the %d KB budget: %s", path, total/1000, budget/1000, strings.Join(parts, ", "))
			}
			html, _ := tb.eval(t, `document.documentElement.outerHTML.length`).(float64)
			results.note(fmt.Sprintf("%s: %.1f KB over the network (%s); HTML %.1f KB uncompressed; layout shift %v", path, total/1000, strings.Join(parts, ", "), html/1000, cls))
		})
	}
}

// TestDiscovery reads the feeds with a real feed parser, the schema.org data
// as JSON, and checks the files against checksums.txt, all from the server.
func TestDiscovery(t *testing.T) {
	if noBrowser != "" {
		t.Skip(noBrowser)
	}
	get := func(t *testing.T, path string) (*http.Response, []byte) {
		t.Helper()
		res, err := http.Get(serverURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		return res, b
	}
	t.Run("feeds", func(t *testing.T) {
		for _, path := range []string{"/feed.atom", "/feed.json", "/letters/feed.atom", "/reports/feed.json", "/tags/interpol/feed.atom"} {
			_, b := get(t, path)
			f, err := gofeed.NewParser().ParseString(string(b))
			if err != nil {
				t.Errorf("%s does not parse: %v", path, err)
				continue
			}
			if len(f.Items) == 0 || !strings.HasPrefix(f.Items[0].Link, serverURL+"/") {
				t.Errorf("%s: %d items, first link %v", path, len(f.Items), f.Items)
			}
			for _, it := range f.Items {
				if it.Link == serverURL+report && !strings.Contains(it.Content, "four, not five") {
					t.Errorf("%s: the report's entry lacks its correction", path)
				}
			}
		}
	})
	t.Run("json-ld", func(t *testing.T) {
		tb := openTab(t, tabOptions{view: desktop, js: false})
		for path, want := range map[string]string{letter: "Article", report: "Report", "/investigations/pursued-for-life/": "Report", "/": "WebSite"} {
			tb.visit(t, path)
			raw := tb.evalString(t, `document.querySelector('script[type="application/ld+json"]').textContent`)
			var ld map[string]any
			if err := json.Unmarshal([]byte(raw), &ld); err != nil {
				t.Errorf("%s: JSON-LD does not parse: %v", path, err)
				continue
			}
			if ld["@type"] != want || ld["@context"] != "https://schema.org" {
				t.Errorf("%s: @type %v, want %s", path, ld["@type"], want)
			}
			if want != "WebSite" && (ld["author"] == nil || ld["datePublished"] == nil) {
				t.Errorf("%s: no author or date in %s", path, raw)
			}
		}
		tb.checkClean(t, 200)
	})
	t.Run("translations", func(t *testing.T) {
		tb := openTab(t, tabOptions{view: desktop, js: false})
		tb.visit(t, report)
		if n := tb.evalNumber(t, `document.querySelectorAll('link[rel=alternate][hreflang]').length`); n != 3 {
			t.Errorf("%v hreflang links, want 3", n)
		}
		if got := tb.evalString(t, `[...document.querySelectorAll('.translations a')].map(a => a.lang + ":" + a.textContent).join(" ")`); got != "ar:العربية zh:中文" {
			t.Errorf("language switch = %q", got)
		}
	})
	t.Run("checksums", func(t *testing.T) {
		_, sums := get(t, "/checksums.txt")
		checked := 0
		for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
			sum, path, ok := strings.Cut(line, "  ")
			if !ok {
				t.Fatalf("line %q is not in sha256sum's format", line)
			}
			_, b := get(t, "/"+path)
			got := sha256.Sum256(b)
			if hex.EncodeToString(got[:]) != sum {
				t.Errorf("%s: served file does not match its checksum", path)
			}
			checked++
		}
		if checked == 0 {
			t.Error("checksums.txt lists no file")
		}
	})
	t.Run("citations", func(t *testing.T) {
		for file, ctype := range map[string]string{"cite.bib": "application/x-bibtex", "cite.ris": "application/x-research-info-systems", "cite.json": "application/vnd.citationstyles.csl+json"} {
			res, b := get(t, letter+file)
			if !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) || !strings.Contains(string(b), serverURL+letter) {
				t.Errorf("%s: type %q, body:\n%s", file, res.Header.Get("Content-Type"), b)
			}
		}
	})
}
