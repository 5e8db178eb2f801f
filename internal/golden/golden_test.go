package golden

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestTimingDependent(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"The slowest run took 5.12 times longer than the fastest. This could mean that an intermediate result is being cached.", true},
		// A sweep's caution: the docs test used to miss it.
		{"n=10000: The slowest run took 4.5 times longer than the fastest.", true},
		{"Compiler time: 1.23 s", true},
		{"  Compiler time: 1.23 s", true},
		{"warning: speedup above P at P=2 (2.31): superlinear, or noise", true},
		{"warning: slower than P=1 at P=4", true},
		{"warning: Amdahl fit: the law cannot explain ...", true},
		{"82.7 µs ± 1.2 µs per loop (mean ± std. dev. of 7 runs, 10,000 loops each)", false},
		{"n=10000: 82.7 µs ± 1.2 µs per loop (mean ± std. dev. of 7 runs, 10,000 loops each)", false},
		{"warning: P=3 exceeds the 2 cores", false},
		{"", false},
	} {
		if got := TimingDependent(tc.line); got != tc.want {
			t.Errorf("TimingDependent(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
	got := WithoutTimingLines("n=1: The slowest run took 9 times longer\nn=1: 1 ns ± 0 ns\nCompiler time: 2.00 s\n")
	if want := []string{"n=1: 1 ns ± 0 ns"}; !reflect.DeepEqual(got, want) {
		t.Errorf("WithoutTimingLines = %q, want %q", got, want)
	}
}

func TestCheck(t *testing.T) {
	if Update() {
		t.Skip("writes its own file")
	}
	path := filepath.Join(t.TempDir(), "x.golden")
	*update = true
	Check(t, path, []byte("same\n"))
	*update = false
	Check(t, path, []byte("same\n"))
	var r recorder
	Check(&r, path, []byte("different\n"))
	if !r.failed {
		t.Errorf("Check accepted output that differs from the golden file")
	}
}

// recorder is a T that records a failure.
type recorder struct{ failed bool }

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
