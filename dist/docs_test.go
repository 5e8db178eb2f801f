package dist_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/internal/docexample"
)

// The tutorial's Part 4 shows dist's commands as "% command" lines in
// fenced blocks, followed by their output. The core module's docs test
// runs "$ " lines only (running these would build Beam inside the core's
// tests); this test runs the "% " lines from the repository's root and
// compares their output with the documented one, numbers masked, as the
// core's test does.

var (
	timeRE   = regexp.MustCompile(`[-+]?[0-9][0-9.,]*(?:e[-+]?[0-9]+)?\s?(?:ns|µs|us|ms|s)\b`)
	numRE    = regexp.MustCompile(`[-+]?[0-9][0-9.,]*(?:e[-+]?[0-9]+)?`)
	hashesRE = regexp.MustCompile(`#(?:[ x%/]*#)+`)
	spaceRE  = regexp.MustCompile(`[ \t]+`)
	// A speedup above the number of cores is marked invalid, which only a
	// change of the machine's load causes.
	invalidRE = regexp.MustCompile(`\s*\(?INVALID[^)]*\)`)
)

func shape(lines []string) []string {
	var out []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		// The machine's load comes and goes.
		if l == "" || strings.HasPrefix(l, "caution: the machine") {
			continue
		}
		l = invalidRE.ReplaceAllString(l, "")
		l = timeRE.ReplaceAllString(l, "# U")
		l = numRE.ReplaceAllString(l, "#")
		l = hashesRE.ReplaceAllString(l, "#")
		out = append(out, spaceRE.ReplaceAllString(l, " "))
	}
	return out
}

func TestTutorialPart4(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the documented commands")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "docs", "tutorial.md"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("## Part 4: beyond one machine"))
	if i < 0 {
		t.Fatal("docs/tutorial.md has no Part 4")
	}
	line0 := bytes.Count(data[:i], []byte("\n"))
	examples := docexample.Examples("docs/tutorial.md", data[i:], "% ")
	if len(examples) < 3 {
		t.Fatalf("%d examples in Part 4, want at least 3", len(examples))
	}
	for _, ex := range examples {
		t.Run(strconv.Itoa(line0+ex.Line), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			c := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", ex.Cmd)
			c.Dir = root
			got, err := c.CombinedOutput()
			if err != nil {
				t.Fatalf("docs/tutorial.md:%d: %s: %v\n%s", line0+ex.Line, ex.Cmd, err, got)
			}
			g, w := shape(strings.Split(string(got), "\n")), shape(ex.Want)
			if strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Errorf("docs/tutorial.md:%d: output of %q no longer reads as documented.\n--- documented (masked)\n%s\n--- got (masked)\n%s\n--- got\n%s",
					line0+ex.Line, ex.Cmd, strings.Join(w, "\n"), strings.Join(g, "\n"), got)
			}
		})
	}
}
