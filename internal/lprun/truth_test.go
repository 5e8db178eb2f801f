package lprun

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/lineprof"
)

// These tests compare lprun's times with what the code implies, within the
// error lprun states, plus a margin for what the fixture itself does not
// pin down. They must pass with every core busy with other processes.

// pctByLine returns each line's % Time in f.
func pctByLine(f *lineprof.Func) map[int]float64 {
	out := map[int]float64{}
	total := float64(f.TotalNS())
	for _, l := range f.Lines {
		if total > 0 {
			out[l.Line] = 100 * float64(l.TimeNS) / total
		}
	}
	return out
}

// TestShortMainLooped: a program of a few milliseconds in three phases
// (74.3%, 24.8%, 1.0% of its work) is repeated inside one process under
// --run, and its % Time finds the phases. Run once per process, it came
// out 50/46/4 while the header claimed ±4-7 points.
func TestShortMainLooped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir, _ := filepath.Abs("testdata/shortmain")
	t.Chdir(dir)
	res, err := Run(context.Background(), Options{Program: &Program{Pkg: "."}, Funcs: []string{"main"}, MaxTime: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	header := strings.Join(res.Profile.Method, "\n")
	if !strings.Contains(header, "repeated inside one process") {
		t.Errorf("the program was not repeated inside one process:\n%s", header)
	}
	if res.Runs < 10 {
		t.Errorf("%d runs of a program of milliseconds", res.Runs)
	}
	f := res.Profile.Funcs[0]
	pct := pctByLine(f)
	// The three mix lines are the last three before the closing brace.
	want := map[int]float64{f.EndLine - 3: 74.3, f.EndLine - 2: 24.8, f.EndLine - 1: 1.0}
	for l, w := range want {
		if d := math.Abs(pct[l] - w); d > res.PctErr+5 {
			t.Errorf("line %d: %% Time %.1f, truth %.1f: off by %.1f points, stated error ±%.1f\n%s", l, pct[l], w, d, res.PctErr, header)
		}
	}
}

// TestProgramLoopFallsBack: a program whose run exits with a non-zero
// status cannot be repeated inside one process: it runs once per process,
// and the header says why.
func TestProgramLoopFallsBack(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir, _ := filepath.Abs("testdata/shortmain")
	t.Chdir(dir)
	res, err := Run(context.Background(), Options{Program: &Program{Pkg: ".", Args: []string{"exit"}}, Funcs: []string{"main"}, MaxTime: 300 * time.Millisecond})
	var pe *ProgramExitError
	if err != nil && !asExit(err, &pe) {
		t.Fatal(err)
	}
	header := strings.Join(res.Profile.Method, "\n")
	if !strings.Contains(header, "one process per run (repeated inside one process, it exited with status 4)") {
		t.Errorf("header does not say why the program ran once per process:\n%s", header)
	}
	if res.Batches < 2 {
		t.Errorf("%d batches", res.Batches)
	}
}

func asExit(err error, pe **ProgramExitError) bool {
	e, ok := err.(*ProgramExitError)
	*pe = e
	return ok
}

// TestTotalWithinStatedError: a function that is the whole statement
// has, per run, the statement's mean run time: its Total time must agree
// with it within the stated error (it once showed 0 ns for a function of
// 60 ms per run on a loaded machine).
func TestTotalWithinStatedError(t *testing.T) {
	dir, _ := filepath.Abs("testdata/kinds")
	res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"fib"}, Stmt: "_ = fib(22)", MaxTime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	total := float64(res.Profile.Funcs[0].TotalNS())
	r := total / float64(res.PlainNS)
	header := strings.Join(res.Profile.Method, "\n")
	if math.Abs(r-1) > res.TotalErr+0.05 {
		t.Errorf("Total time %.0f ns is %.2fx the mean run %d ns; stated error ±%.1f%%\n%s", total, r, res.PlainNS, 100*res.TotalErr, header)
	}
	if !strings.Contains(header, "error (95%") || !strings.Contains(header, "The snapshots slowed the runs by") {
		t.Errorf("header lacks the error or the snapshots' cost:\n%s", header)
	}
}

// TestEvidenceCap: a function too short for any sample keeps the runs
// going to --max-time, and the header says that the cap ended them.
func TestEvidenceCap(t *testing.T) {
	dir, _ := filepath.Abs("testdata/kinds")
	res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"fib"}, Stmt: "_ = fib(1); time.Sleep(200*time.Microsecond)", MaxTime: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	header := strings.Join(res.Profile.Method, "\n")
	if !res.CapHit || !strings.Contains(header, "Note: --max-time (300 ms) ended the runs before 50 snapshot samples fell in fib (") {
		t.Errorf("cap hit %v, header:\n%s", res.CapHit, header)
	}
	// ... and a function with plenty of samples stops the runs before the
	// cap: fib(25) is the whole statement.
	start := time.Now()
	res, err = Run(context.Background(), Options{Dir: dir, Funcs: []string{"fib"}, Stmt: "_ = fib(25)", MaxTime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.CapHit || time.Since(start) > 50*time.Second || res.Batches < minBatches {
		t.Errorf("cap hit %v after %v, %d batches", res.CapHit, time.Since(start), res.Batches)
	}
}
