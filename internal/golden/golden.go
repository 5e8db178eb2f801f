// Package golden is the test support shared by speedup's packages: it
// compares output with golden files (rewritten by "go test -update", the
// one flag of every package's tests) and recognises the output lines whose
// presence depends on the machine's load rather than on the code, which
// tests of real measurements must leave out.
//
// Only tests import it.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files with the output the tests get")

// Update reports whether the tests run with -update.
func Update() bool { return *update }

// T is the part of *testing.T that Check uses.
type T interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

var _ T = testing.TB(nil)

// Check compares got with the contents of the file at path, and fails t
// with both when they differ. Under -update it writes got to path instead
// (creating its directory).
func Check(t T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			t.Fatalf("%v", err)
		}
		if err := os.WriteFile(path, got, 0o666); err != nil {
			t.Fatalf("%v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TimingDependent reports whether line is one that comes and goes with
// the machine's load, not with the code: IPython's "slowest run" caution
// (also after a sweep's "n=10000: " label or scaling's "P=2: "), the
// "Compiler time" of a slow build, and scaling's cautions about noisy
// points.
func TimingDependent(line string) bool {
	s := strings.TrimSpace(line)
	return strings.Contains(s, "The slowest run took") ||
		strings.HasPrefix(s, "Compiler time") ||
		// lprun's note that --max-time ended the runs before enough
		// samples came depends on the machine's load.
		strings.HasPrefix(s, "Note: --max-time") ||
		strings.HasPrefix(s, "warning: speedup above P") ||
		strings.HasPrefix(s, "warning: slower than P=1") ||
		strings.HasPrefix(s, "warning: Amdahl fit: the law cannot")
}

// WithoutTimingLines returns the lines of out, without the trailing
// newline, except the timing-dependent ones.
func WithoutTimingLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !TimingDependent(l) {
			lines = append(lines, l)
		}
	}
	return lines
}
