package browsertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// quotes are exact phrases a journalist would look for, each from one
// paragraph of the shipped content.
var quotes = []string{
	"tip of the iceberg",
	"we send you this Open Letter as a Preventive Notice",
	"political abuse of Red Notices",
}

// TestLandOnQuote searches each quote through the API, opens the first
// page hit as a reader would follow it, and checks, at both widths with
// JavaScript on and off, that the hit's paragraph is on screen and holds
// the quote's words marked.
func TestLandOnQuote(t *testing.T) {
	searchReady(t)
	type hit struct {
		URL, Source string
	}
	var hits []string
	for _, q := range quotes {
		res, err := http.Get(serverURL + "/api/search?q=" + url.QueryEscape(`"`+q+`"`) + "&source=page")
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Hits []hit }
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if err != nil || len(body.Hits) == 0 || !strings.Contains(body.Hits[0].URL, "#") {
			t.Fatalf("no page hit with a paragraph for %q: %v %+v", q, err, body.Hits)
		}
		hits = append(hits, body.Hits[0].URL)
	}
	for _, view := range []viewport{phone, desktop} {
		for _, js := range []bool{true, false} {
			tb := openTab(t, tabOptions{view: view, js: js})
			for i, u := range hits {
				t.Run(fmt.Sprintf("%s-%s-%d", view.name, jsName(js), i), func(t *testing.T) {
					tb.visit(t, u)
					id := u[strings.LastIndex(u, "#")+1:]
					check := fmt.Sprintf(`(() => {
						const p = document.getElementById(%q);
						if (!p) return "no element " + %q;
						const r = p.getBoundingClientRect();
						if (r.bottom <= 0 || r.top >= innerHeight) return "paragraph at " + Math.round(r.top) + " px, screen " + innerHeight;
						const marked = [...p.querySelectorAll("mark")].map(m => m.textContent).join(" ").toLowerCase();
						for (const w of %q.toLowerCase().split(" ")) if (!marked.includes(w)) return "not marked: " + w + " (marked: " + marked + ")";
						return "";
					})()`, id, id, quotes[i])
					if why := tb.evalString(t, check); why != "" {
						t.Errorf("%s: %s", u, why)
					}
				})
			}
		}
	}
}

// TestLandOnDocumentPage searches a quote from page 2 of a standalone
// document (a PDF outside any bundle), follows the hit's link to that page
// as text, and checks at both widths, JavaScript on and off, that the
// quote's words are marked and on screen.
func TestLandOnDocumentPage(t *testing.T) {
	searchReady(t)
	const quote = "seventeen witnesses in closed session"
	res, err := http.Get(serverURL + "/api/search?q=" + url.QueryEscape(`"`+quote+`"`))
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Hits []struct {
			Kind    string
			TextURL string `json:"text_url"`
			Page    int
		}
	}
	err = json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if err != nil || len(body.Hits) != 1 || body.Hits[0].Kind != "document" || body.Hits[0].Page != 2 {
		t.Fatalf("the quote's hit is not page 2 of the document: %v %+v", err, body.Hits)
	}
	u := body.Hits[0].TextURL
	for _, view := range []viewport{phone, desktop} {
		for _, js := range []bool{true, false} {
			t.Run(view.name+"-"+jsName(js), func(t *testing.T) {
				tb := openTab(t, tabOptions{view: view, js: js})
				tb.visit(t, u)
				check := fmt.Sprintf(`(() => {
					const marks = [...document.querySelectorAll("main mark")];
					if (!marks.length) return "nothing marked";
					const r = marks[0].getBoundingClientRect();
					if (r.bottom <= 0 || r.top >= innerHeight) return "first mark at " + Math.round(r.top) + " px, screen " + innerHeight;
					const marked = marks.map(m => m.textContent).join(" ").toLowerCase();
					for (const w of %q.split(" ")) if (!marked.includes(w)) return "not marked: " + w + " (marked: " + marked + ")";
					return "";
				})()`, quote)
				if why := tb.evalString(t, check); why != "" {
					t.Errorf("%s: %s", u, why)
				}
			})
		}
	}
}
