// Package docs holds the project's documentation. Its test runs every
// example command shown in README.md and docs/*.md and checks that the
// output still reads as documented, so that the docs cannot rot (the same
// idea as benchstat's doc_test.go).
//
// An example is a fenced block whose lines start with "$ ": the command,
// run by bash from the repository root with a freshly built speedup on
// PATH, followed by its expected output up to the next "$ " line or the end
// of the block. Measured numbers differ from run to run, so the comparison
// masks them: every number becomes "#", a number's time unit becomes "U",
// and runs of spaces fold to one. Lines that appear only under some timings
// (IPython's "slowest run" caution, "Compiler time") are ignored on both
// sides. Absolute paths to the checkout (line_profiler's "File:" line)
// depend on where it was cloned, so the test replaces the checkout's path
// in the output with the one the docs were written in. Files that
// commands write under docs/img/ or /tmp/ go to the test's temporary
// directory instead, so the test never changes the tree or leaves files
// behind.
package docs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/internal/docexample"
	"github.com/gospeedup/speedup/internal/golden"
)

// docsRoot is the checkout's path when the documented outputs were made.
const docsRoot = "/work/main"

var (
	// A time with its unit, first, so that "82.7 µs" and "1.2 ms" match.
	timeRE = regexp.MustCompile(`[-+]?[0-9][0-9.,]*(?:e[-+]?[0-9]+)?\s?(?:ns|µs|us|ms|s)\b`)
	// "∞" is a number too: scaling's ceiling 1/f when the fit finds f = 0.
	numRE = regexp.MustCompile(`[-+]?[0-9][0-9.,]*(?:e[-+]?[0-9]+)?|∞`)
	// Several masked numbers in a row (columns) fold into one, because a
	// value can be present or absent depending on the run.
	hashesRE = regexp.MustCompile(`#(?:[ x%/]*#)+`)
	spaceRE  = regexp.MustCompile(`[ \t]+`)
	ruleRE   = regexp.MustCompile(`^[=\-#\[\] |]+$`)
)

// mask reduces a line to its shape.
func mask(s string) string {
	s = timeRE.ReplaceAllString(s, "# U")
	s = numRE.ReplaceAllString(s, "#")
	// JSON's null stands for an unbounded or undefined figure (Amdahl's
	// max_speedup with no serial part): a measurement, like a number.
	s = strings.ReplaceAll(s, ": null", ": #")
	s = hashesRE.ReplaceAllString(s, "#")
	s = spaceRE.ReplaceAllString(s, " ")
	return strings.TrimSpace(s)
}

// ignored reports blank lines and lines whose presence depends on timing,
// not on the code (the tests' one list of them: golden.TimingDependent).
func ignored(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || golden.TimingDependent(s) ||
		ruleRE.MatchString(s) && strings.Contains(s, "#")
}

func shape(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !ignored(l) {
			out = append(out, mask(l))
		}
	}
	return out
}

func TestDocExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every documented command; skipped with -short")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	docs = append([]string{filepath.Join(root, "README.md")}, docs...)
	var all []docexample.Example
	for _, d := range docs {
		data, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, d)
		all = append(all, docexample.Examples(rel, data, "$ ")...)
	}
	if len(all) == 0 {
		t.Fatal("no examples found in README.md and docs/*.md")
	}

	bin := t.TempDir()
	exe := "speedup"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	build := exec.Command("go", "build", "-o", filepath.Join(bin, exe), "./cmd/speedup")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building speedup: %v\n%s", err, out)
	}
	out := t.TempDir()
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	// A command documented twice (the README shows some of the tutorial's)
	// runs once: its output is compared with both. Commands that touch
	// files always run, since what they read may have changed in between.
	ran := map[string]outcome{}

	for _, ex := range all {
		if strings.HasPrefix(ex.Cmd, "go test") || strings.HasPrefix(ex.Cmd, "git ") {
			continue // running the test suite from inside itself would recurse
		}
		t.Run(ex.File+":"+strconv.Itoa(ex.Line), func(t *testing.T) {
			// One pass: out is itself under /tmp/, and must not be rewritten.
			cmdline := strings.NewReplacer("docs/img/", out+"/", "/tmp/", out+"/").Replace(ex.Cmd)
			pure := cmdline == ex.Cmd
			wantFail := false
			for _, w := range ex.Want {
				if strings.HasPrefix(w, "speedup: ") {
					wantFail = true // documented errors exit non-zero
				}
			}
			// A measurement's output can change shape with the machine's
			// load (a bench that rejects an impossible figure, a fit that
			// becomes unbounded): a command is run up to three times, and
			// fails only if no run reads as documented.
			var problem string
			for try := 1; try <= 3; try++ {
				o, seen := ran[cmdline]
				if !seen || !pure || try > 1 {
					o = runExample(cmdline, root, env)
					if pure {
						ran[cmdline] = o
					}
				}
				problem = o.check(ex, wantFail)
				if problem == "" {
					return
				}
				t.Logf("try %d of 3: %s", try, firstLine(problem))
			}
			t.Error(problem)
		})
	}
}

// outcome is what one run of a documented command printed.
type outcome struct {
	got []byte
	err error
}

// runExample runs cmdline with bash in root, as a reader would, with the
// documentation's root in place of the checkout's path.
func runExample(cmdline, root string, env []string) outcome {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", cmdline)
	c.Dir = root
	c.Env = env
	var o outcome
	o.got, o.err = c.CombinedOutput()
	o.got = bytes.ReplaceAll(o.got, []byte(root+"/"), []byte(docsRoot+"/"))
	return o
}

// check says how o differs from the example's documented output, or ""
// when it reads as documented.
func (o outcome) check(ex docexample.Example, wantFail bool) string {
	if o.err != nil && !wantFail {
		return fmt.Sprintf("%s:%d: %s: %v\n%s", ex.File, ex.Line, ex.Cmd, o.err, o.got)
	}
	g := shape(strings.Split(string(o.got), "\n"))
	w := shape(ex.Want)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		return fmt.Sprintf("%s:%d: output of %q no longer reads as documented.\n--- documented (masked)\n%s\n--- got (masked)\n%s\n--- got\n%s",
			ex.File, ex.Line, ex.Cmd, strings.Join(w, "\n"), strings.Join(g, "\n"), o.got)
	}
	return ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func TestMask(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"82.7 µs ± 1.2 µs per loop (mean ± std. dev. of 7 runs, 10,000 loops each)",
			"1.03 ms ± 980 ns per loop (mean ± std. dev. of 7 runs, 1,000 loops each)"},
		{"    13   1000000   92883057.0     92.9     15.4                  tmp := X[i][k] - X[j][k]",
			"    13   1010000   4883057.0     4.8     5.4                  tmp := X[i][k] - X[j][k]"},
		{"time ~ n^1.02 (R² 0.999)", "time ~ n^0.98 (R² 1)"},
	} {
		if mask(tc.a) != mask(tc.b) {
			t.Errorf("mask(%q) = %q, mask(%q) = %q; want equal", tc.a, mask(tc.a), tc.b, mask(tc.b))
		}
	}
	if mask("Hits 5 x") == mask("Hits x") {
		t.Errorf("a missing number must not mask away")
	}
}
