package pdftext

import (
	"testing"
	"time"
)

// TestPDFDate reads the dates producers write, and gives no date for the
// ones they get wrong.
func TestPDFDate(t *testing.T) {
	plus1 := time.FixedZone("", 3600)
	minus530 := time.FixedZone("", -(5*3600 + 30*60))
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"D:20190315120000+01'00'", time.Date(2019, 3, 15, 12, 0, 0, 0, plus1)},
		{"D:20190315120000-05'30", time.Date(2019, 3, 15, 12, 0, 0, 0, minus530)},
		{"D:20190315120000Z", time.Date(2019, 3, 15, 12, 0, 0, 0, time.UTC)},
		{"D:20190315", time.Date(2019, 3, 15, 0, 0, 0, 0, time.UTC)},
		{"D:2019", time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"20190315120000", time.Date(2019, 3, 15, 12, 0, 0, 0, time.UTC)},
		{" D:201903151200 ", time.Date(2019, 3, 15, 12, 0, 0, 0, time.UTC)},
		{"", time.Time{}},
		{"D:", time.Time{}},
		{"D:19", time.Time{}},
		{"D:201", time.Time{}},
		{"D:20191315", time.Time{}}, // month 13
		{"D:20190231", time.Time{}}, // 31 February
		{"D:20190315250000", time.Time{}},
		{"D:00000101", time.Time{}},
		{"Fri Mar 15 11:00:00 2019", time.Time{}},
	} {
		if got := pdfDate(tt.in); !got.Equal(tt.want) || got.IsZero() != tt.want.IsZero() {
			t.Errorf("pdfDate(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzPDFDate(f *testing.F) {
	f.Add("D:20190315120000+01'00'")
	f.Add("D:2019")
	f.Fuzz(func(t *testing.T, s string) {
		if d := pdfDate(s); !d.IsZero() && (d.Year() < 1899 || d.Year() > 9999) {
			t.Errorf("pdfDate(%q) = %v", s, d)
		}
	})
}
