package cite_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"archive/internal/cite"
	"archive/internal/content"
)

var update = flag.Bool("update", false, "rewrite golden files")

var settings = content.Settings{Title: "Example Archive", Organisation: "Safeguard Defenders"}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

var pubs = map[string]*content.Publication{
	// A letter without authors of its own: the organisation is the author.
	"letter": {
		Section: "letters", Slug: "open-letter-to-interpol", Title: "Open letter to INTERPOL",
		Date: date("2022-01-13"), Lang: "en", Summary: "Sixteen people ask INTERPOL\nto check its files.",
		Tags: []string{"interpol", "hong-kong"},
	},
	// A revised report by two teams, with every character BibTeX and RIS
	// treat specially.
	"report": {
		Section: "reports", Slug: "detained_abroad", Title: "Detained abroad: 40% of {cases} & #extradition_requests ~ $ \\ ^",
		Date: date("2023-05-04"), Updated: []time.Time{date("2023-06-01"), date("2023-05-20")}, Lang: "fr",
		Authors: []string{"Research team", "Legal desk", "Safeguard Defenders"},
	},
	// A slug of characters a BibTeX key cannot hold.
	"unicode slug": {
		Section: "investigations", Slug: "追踪", Title: "追踪？ Who is pursued?", Date: date("2021-11-15"), Lang: "zh",
		Authors: []string{"Safeguard Defenders"},
	},
}

func TestFormatsGolden(t *testing.T) {
	for name, p := range pubs {
		t.Run(name, func(t *testing.T) {
			c := cite.New(p, settings, "https://archive.example.org/"+p.Section+"/"+p.Slug+"/")
			csl, err := c.CSLJSON()
			if err != nil {
				t.Fatal(err)
			}
			got := "== plain\n" + c.Plain() + "\n== bibtex\n" + c.BibTeX() + "== ris\n" + c.RIS() + "== csl-json\n" + string(csl)
			golden := filepath.Join("testdata", strings.ReplaceAll(name, " ", "-")+".txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("differs from %s (-want +got); run go test -update if intended:\n%s", golden, diff)
			}
		})
	}
}

// TestFormatsWellFormed checks what a citation manager needs to import the
// files, for every publication: balanced BibTeX braces, RIS lines that all
// end in CRLF and start with a tag, CSL-JSON that parses with its dates.
func TestFormatsWellFormed(t *testing.T) {
	for name, p := range pubs {
		t.Run(name, func(t *testing.T) {
			c := cite.New(p, settings, "https://archive.example.org/x/")
			bib := c.BibTeX()
			depth := 0
			for i, r := range bib {
				if i > 0 && bib[i-1] == '\\' {
					continue
				}
				switch r {
				case '{':
					depth++
				case '}':
					depth--
				}
				if depth < 0 {
					t.Fatalf("BibTeX closes a brace it never opened:\n%s", bib)
				}
			}
			if depth != 0 {
				t.Errorf("BibTeX braces unbalanced (%d):\n%s", depth, bib)
			}
			ris := c.RIS()
			if !strings.HasSuffix(ris, "ER  - \r\n") {
				t.Errorf("RIS does not end with ER: %q", ris)
			}
			for _, line := range strings.Split(strings.TrimSuffix(ris, "\r\n"), "\r\n") {
				if len(line) < 6 || line[2:6] != "  - " || strings.ContainsAny(line, "\r\n") {
					t.Errorf("RIS line %q is not TAG  - value", line)
				}
			}
			b, err := c.CSLJSON()
			if err != nil {
				t.Fatal(err)
			}
			var items []struct {
				ID     string `json:"id"`
				Type   string `json:"type"`
				Issued struct {
					DateParts [][]int `json:"date-parts"`
				} `json:"issued"`
			}
			if err := json.Unmarshal(b, &items); err != nil {
				t.Fatalf("CSL-JSON does not parse: %v\n%s", err, b)
			}
			want := []int{p.Date.Year(), int(p.Date.Month()), p.Date.Day()}
			if len(items) != 1 || items[0].ID != c.Key || !cmp.Equal(items[0].Issued.DateParts, [][]int{want}) {
				t.Errorf("CSL-JSON items = %+v", items)
			}
		})
	}
}

func TestIsReport(t *testing.T) {
	for section, want := range map[string]bool{"reports": true, "investigations": true, "Annual-Reports": true, "letters": false, "news": false} {
		if got := cite.IsReport(section); got != want {
			t.Errorf("IsReport(%q) = %v, want %v", section, got, want)
		}
	}
}
