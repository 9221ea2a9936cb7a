package feed_test

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mmcdole/gofeed"

	"archive/internal/content"
	"archive/internal/feed"
)

var update = flag.Bool("update", false, "rewrite golden files")

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func samplePubs() []*content.Publication {
	return []*content.Publication{
		{
			URL: "/reports/detained-abroad/", Title: "Detained abroad <& “quoted”>", Date: day("2023-05-04"),
			Summary: "Forty cases & what police forces did.", Authors: []string{"Research team"}, Tags: []string{"extradition"},
			Lang: "en", Updated: []time.Time{day("2023-05-20")},
			Corrections: []content.Correction{{Date: day("2023-06-01"), Text: "The number of cases in Spain was 4, not <5>."}},
			Attachments: []*content.Attachment{{Name: "report.pdf", Title: "Full report", URL: "/reports/detained-abroad/report.pdf", Size: 41566}},
		},
		{URL: "/letters/追踪/", Title: "追踪", Date: day("2022-01-13"), Lang: "zh"},
	}
}

var meta = feed.Meta{
	Title: "Example Archive", Description: "Reports.", Lang: "en", Author: "Safeguard Defenders",
	HomePath: "/", AtomPath: "/feed.atom", JSONPath: "/feed.json",
}

// TestParsesInFeedReader reads both formats with a real feed parser and
// checks what a reader's app would show.
func TestParsesInFeedReader(t *testing.T) {
	f := feed.New(meta, samplePubs(), "https://archive.example.org")
	atom, err := f.Atom()
	if err != nil {
		t.Fatal(err)
	}
	js, err := f.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"atom": atom, "json": js} {
		t.Run(name, func(t *testing.T) {
			parsed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("does not parse: %v\n%s", err, body)
			}
			if parsed.Title != "Example Archive" || len(parsed.Items) != 2 {
				t.Fatalf("title %q, %d items", parsed.Title, len(parsed.Items))
			}
			it := parsed.Items[0]
			got := []string{it.Title, it.Link, it.Description, fmt.Sprint(it.PublishedParsed.Format(time.DateOnly)), it.UpdatedParsed.Format(time.DateOnly)}
			want := []string{"Detained abroad <& “quoted”>", "https://archive.example.org/reports/detained-abroad/",
				"Forty cases & what police forces did.", "2023-05-04", "2023-06-01"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("first item (-want +got):\n%s", diff)
			}
			if !strings.Contains(it.Content, "4, not &lt;5&gt;.") || !strings.Contains(it.Content, "Updated 20 May 2023") {
				t.Errorf("content lacks the correction or the revision: %q", it.Content)
			}
			if len(it.Enclosures) != 1 || it.Enclosures[0].URL != "https://archive.example.org/reports/detained-abroad/report.pdf" ||
				it.Enclosures[0].Length != "41566" || it.Enclosures[0].Type != "application/pdf" {
				t.Errorf("enclosures = %+v", it.Enclosures)
			}
			if got := parsed.Items[1].Link; got != "https://archive.example.org/letters/%E8%BF%BD%E8%B8%AA/" {
				t.Errorf("second item link %q is not an escaped absolute URL", got)
			}
		})
	}
}

// TestAtomRequiredElements checks RFC 4287's must-haves: feed and entries
// each with id, title and updated, a self link, and an author for each entry.
func TestAtomRequiredElements(t *testing.T) {
	for name, m := range map[string]feed.Meta{"with organisation": meta, "without": {Title: "T", HomePath: "/", AtomPath: "/feed.atom"}} {
		t.Run(name, func(t *testing.T) {
			b, err := feed.New(m, samplePubs(), "https://a.example").Atom()
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				ID      string `xml:"id"`
				Title   string `xml:"title"`
				Updated string `xml:"updated"`
				Author  []struct {
					Name string `xml:"name"`
				} `xml:"author"`
				Link []struct {
					Rel  string `xml:"rel,attr"`
					Href string `xml:"href,attr"`
				} `xml:"link"`
				Entry []struct {
					ID      string `xml:"id"`
					Title   string `xml:"title"`
					Updated string `xml:"updated"`
					Author  []struct {
						Name string `xml:"name"`
					} `xml:"author"`
				} `xml:"entry"`
			}
			if err := xml.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.ID == "" || doc.Title == "" || doc.Updated == "" {
				t.Errorf("feed lacks id, title or updated: %+v", doc)
			}
			if len(doc.Link) == 0 || doc.Link[0].Rel != "self" || doc.Link[0].Href != "https://a.example/feed.atom" {
				t.Errorf("links = %+v", doc.Link)
			}
			for _, e := range doc.Entry {
				if e.ID == "" || e.Title == "" || e.Updated == "" {
					t.Errorf("entry lacks id, title or updated: %+v", e)
				}
				if len(e.Author) == 0 && len(doc.Author) == 0 {
					t.Errorf("entry %s has no author, nor has the feed", e.ID)
				}
			}
		})
	}
}

func TestNewestOnly(t *testing.T) {
	var pubs []*content.Publication
	for i := range feed.MaxItems + 7 {
		pubs = append(pubs, &content.Publication{URL: fmt.Sprintf("/r/%d/", i), Title: "x", Date: day("2020-01-01").AddDate(0, 0, -i)})
	}
	f := feed.New(meta, pubs, "https://a.example")
	if len(f.Items) != feed.MaxItems || f.Items[0].URL != "https://a.example/r/0/" {
		t.Errorf("%d items, first %s", len(f.Items), f.Items[0].URL)
	}
}

func TestGolden(t *testing.T) {
	f := feed.New(meta, samplePubs(), "https://archive.example.org")
	for _, format := range []string{"atom", "json"} {
		var got []byte
		var err error
		if format == "atom" {
			got, err = f.Atom()
		} else {
			got, err = f.JSON()
		}
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "feed."+format)
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s differs (-want +got); run go test -update if intended:\n%s", golden, diff)
		}
	}
}
