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
