package content_test

import (
	"os"
	"testing"

	"archive/internal/content"
)

func TestSmoke(t *testing.T) {
	for _, dir := range []string{"../../content", "../../../shared/corpus/markdown"} {
		site, probs, err := content.Load(os.DirFS(dir), content.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d pubs, %d problems, %d errors, hash %s", dir, len(site.Publications), len(probs), len(probs.Errors()), site.Hash[:8])
		for i, p := range probs {
			if i < 15 || !p.Warning {
				t.Log(p)
			}
		}
	}
}
