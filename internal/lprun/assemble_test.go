package lprun

import (
	"strings"
	"testing"

	"github.com/gospeedup/speedup/internal/gorun/child"
	"github.com/gospeedup/speedup/lineprof"
)

// lineOf returns the profile line l of f.
func lineOf(f *lineprof.Func, l int) (lineprof.Line, bool) {
	for _, x := range f.Lines {
		if x.Line == l {
			return x, true
		}
	}
	return lineprof.Line{}, false
}

// fn is a synthetic function on lines 10..14 of a.go with counters on
// lines 11..13, and line 14 a continuation of line 13.
func fn(counts ...uint64) FuncInput {
	return FuncInput{File: "a.go", Name: "F", Line: 10, EndLine: 14,
		Slots:  []Slot{{0, 11}, {1, 12}, {2, 13}},
		Counts: counts, Owner: map[int]int{14: 13}}
}

// TestAssemble checks the statistical core on synthetic samples: the
// snapshots' shares give each function's time, the CPU profile splits the
// time on CPU over lines, parked snapshots add time off CPU, continuation
// lines go to their statement, and hits are the counters.
func TestAssemble(t *testing.T) {
	tests := []struct {
		name string
		in   AssembleInput
		// want is the time (ns) per line; hits are 1, 10, 10 throughout.
		want       map[int]int64
		unresolved bool
	}{
		{
			name: "snapshots and CPU profile",
			in: AssembleInput{
				Funcs: []FuncInput{fn(1, 10, 10)},
				// 10 runs of 1000 ns; 100 snapshots, 50 found F running.
				Runs: Runs{RunNS: rep(10, 1000), Samples: 100, Lines: []child.LineTime{{Target: 0, Line: 12, N: 50}}},
				// 30 CPU samples: 10 on line 12, 20 on line 14 (line 13's).
				CPU: []CPUSample{{Count: 10, Frames: []Frame{{"a.go", 12}}}, {Count: 20, Frames: []Frame{{"b.go", 3}, {"a.go", 14}}}},
			},
			// 50% of 1000 ns on CPU, split 1/3 : 2/3.
			want: map[int]int64{12: 167, 13: 333},
		},
		{
			name: "parked snapshots",
			in: AssembleInput{
				Funcs: []FuncInput{fn(1, 10, 10)},
				Runs:  Runs{RunNS: rep(10, 1000), Samples: 100, Lines: []child.LineTime{{Target: 0, Line: 13, N: 25, Parked: true}}},
			},
			want: map[int]int64{13: 250},
		},
		{
			name: "recursion counts once per sample",
			in: AssembleInput{
				Funcs: []FuncInput{fn(1, 10, 10)},
				Runs:  Runs{RunNS: rep(1, 1000), Samples: 10, Lines: []child.LineTime{{Target: 0, Line: 12, N: 10}}},
				CPU:   []CPUSample{{Count: 40, Frames: []Frame{{"a.go", 12}, {"a.go", 13}, {"a.go", 12}}}},
			},
			// A share of 1 of the run, all on line 12 (the innermost).
			want: map[int]int64{12: 1000},
		},
		{
			name: "no sample fell in the function",
			in: AssembleInput{
				Funcs: []FuncInput{fn(1, 10, 10)},
				Runs:  Runs{RunNS: rep(10, 1000), Samples: 100},
			},
			want:       map[int]int64{},
			unresolved: true,
		},
	}
	for _, tt := range tests {
		res, st := assemble(tt.in)
		f := res.Profile.Funcs[0]
		for l, h := range map[int]int64{11: 1, 12: 10, 13: 10} {
			if got, _ := lineOf(f, l); got.Hits != h {
				t.Errorf("%s: line %d hits %d, want %d", tt.name, l, got.Hits, h)
			}
		}
		for l := 11; l <= 14; l++ {
			got, _ := lineOf(f, l)
			if got.TimeNS != tt.want[l] {
				t.Errorf("%s: line %d time %d ns, want %d", tt.name, l, got.TimeNS, tt.want[l])
			}
		}
		if (len(st.unresolved) > 0) != tt.unresolved {
			t.Errorf("%s: unresolved %v, want %v", tt.name, st.unresolved, tt.unresolved)
		}
		if res.PlainNS != 1000 {
			t.Errorf("%s: PlainNS %d, want 1000", tt.name, res.PlainNS)
		}
	}
}

// TestMeanRunNS: the runs no snapshot paused give the mean when there are
// enough of them; otherwise the pauses are taken out of the total.
func TestMeanRunNS(t *testing.T) {
	r := Runs{RunNS: rep(20, 1100), PausedNS: 2000, CleanNS: 10 * 1000, CleanRuns: 10}
	if got := r.meanRunNS(); got != 1000 {
		t.Errorf("clean runs: %v, want 1000", got)
	}
	r = Runs{RunNS: rep(4, 1100), PausedNS: 400, CleanRuns: 2, CleanNS: 2000}
	if got := r.meanRunNS(); got != 1000 {
		t.Errorf("pauses out: %v, want 1000", got)
	}
}

// TestAssembleExact: --exact-time's profile is the counters and times.
func TestAssembleExact(t *testing.T) {
	f := fn(1, 10, 0)
	f.Times = []int64{5, 500, 0}
	p := AssembleExact(AssembleInput{Funcs: []FuncInput{f}})
	got := p.Funcs[0].Lines
	if len(got) != 2 || got[0] != (lineprof.Line{Line: 11, Hits: 1, TimeNS: 5}) || got[1] != (lineprof.Line{Line: 12, Hits: 10, TimeNS: 500}) {
		t.Errorf("lines %+v", got)
	}
}

// TestMethod: the header says what ran, and never presents an unmeasured
// 0 as a measurement.
func TestMethod(t *testing.T) {
	r := &Result{Runs: 10, PlainNS: 1000, InstrumentedNS: 3000, Samples: 100}
	m := method("the program", r, stats{unresolved: []string{"F"}, resolutionNS: 10}, false, 2, 0)
	for _, want := range []string{"one run of the program (instrumented build, 3 µs)", "2 activations of profiled functions still running", "mean of 10 runs (1 µs each)", "No sample fell in F: its time per run is below the resolution of about 10 ns"} {
		if !strings.Contains(strings.Join(m, "\n"), want) {
			t.Errorf("method lacks %q:\n%s", want, strings.Join(m, "\n"))
		}
	}
}

func rep(n int, v int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
