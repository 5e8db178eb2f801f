package lprun

import (
	"math"
	"strings"
	"testing"
	"time"

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
				Runs: oneBatch(10, 1000, 100, child.LineTime{Target: 0, Line: 12, N: 50}),
				// 30 CPU samples: 10 on line 12, 20 on line 14 (line 13's).
				CPU: []CPUSample{{Count: 10, Frames: []Frame{{"a.go", 12}}}, {Count: 20, Frames: []Frame{{"b.go", 3}, {"a.go", 14}}}, {Count: 50, Frames: []Frame{{"a.go", 13}}, Batch: -1}},
			},
			// 50% of 1000 ns on CPU, split 1/3 : 2/3 (the samples of no
			// batch, the setup's, are not the runs').
			want: map[int]int64{12: 167, 13: 333},
		},
		{
			name: "parked snapshots",
			in: AssembleInput{
				Funcs: []FuncInput{fn(1, 10, 10)},
				Runs:  oneBatch(10, 1000, 100, child.LineTime{Target: 0, Line: 13, N: 25, Parked: true}),
			},
			want: map[int]int64{13: 250},
		},
		{
			name: "recursion counts once per sample",
			in: AssembleInput{
				Funcs: []FuncInput{fn(1, 10, 10)},
				Runs:  oneBatch(1, 1000, 10, child.LineTime{Target: 0, Line: 12, N: 10}),
				CPU:   []CPUSample{{Count: 40, Frames: []Frame{{"a.go", 12}, {"a.go", 13}, {"a.go", 12}}}},
			},
			// A share of 1 of the run, all on line 12 (the innermost).
			want: map[int]int64{12: 1000},
		},
		{
			name: "no sample fell in the function",
			in: AssembleInput{
				Funcs: []FuncInput{fn(1, 10, 10)},
				Runs:  oneBatch(10, 1000, 100),
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

// TestMeanRunNS: the batches without snapshots give the mean run time;
// without any, the pauses are taken out of the batches with.
func TestMeanRunNS(t *testing.T) {
	in := AssembleInput{Funcs: []FuncInput{fn(1, 10, 10)}, Runs: Runs{Batches: []child.Batch{
		{Snap: true, Runs: 10, NS: 11000, Samples: 5, PausedNS: 500},
		{Runs: 20, NS: 20000},
	}}}
	if got := in.set([]int{0, 1}, nil).meanNS; got != 1000 {
		t.Errorf("with batches without snapshots: %v, want 1000", got)
	}
	if got := in.set([]int{0}, nil).meanNS; got != 1050 {
		t.Errorf("pauses out: %v, want 1050", got)
	}
}

// pairsOf returns batches on, off, off, on, ... for n pairs whose run
// times (ns per run, 10 runs each) are on[i] and off[i], with snapshots
// finding F running on line 12 in half of 100 snapshots.
func pairsOf(on, off []int64) Runs {
	var r Runs
	for i := range on {
		a := child.Batch{Snap: true, Runs: 10, NS: 10 * on[i], IntervalNS: 5e6, Samples: 100, Lines: []child.LineTime{{Target: 0, Line: 12, N: 50}}}
		b := child.Batch{Runs: 10, NS: 10 * off[i]}
		if i%2 == 1 {
			a, b = b, a
		}
		r.Batches = append(r.Batches, a, b)
	}
	return r
}

// TestSpreadError: the stated error covers the spread of the independent
// pairs of batches (run times that vary by ±20% between pairs give an
// error of the same order), and shrinks to the sampling error when the
// pairs agree.
func TestSpreadError(t *testing.T) {
	vary := []int64{800, 1200, 800, 1200, 800, 1200}
	res, st := assemble(AssembleInput{Funcs: []FuncInput{fn(1, 10, 10)}, Runs: pairsOf(vary, vary)})
	if st.groups != 6 || res.Batches != 12 {
		t.Fatalf("groups %d, batches %d", st.groups, res.Batches)
	}
	// The totals 400/600 deviate by 100 ns from their median, 500 ns:
	// robust sd 148 ns, s.e. of the median 1.253 x 148 / sqrt(6) = 76 ns,
	// t(5) 2.57 x 76 x sqrt(2) for a repeated session = 275 ns, 55%.
	if res.TotalErr < 0.53 || res.TotalErr > 0.57 {
		t.Errorf("varying pairs: stated error %.3f, want about 0.55", res.TotalErr)
	}
	// One pair 3x slower (a burst of another process) moves neither the
	// time (the median batch's) nor the error much.
	burst := []int64{1000, 1000, 3000, 1000, 1000, 1000, 1000, 1000}
	res, _ = assemble(AssembleInput{Funcs: []FuncInput{fn(1, 10, 10)}, Runs: pairsOf(burst, burst)})
	// (The error left is the sampling error, 1.96 x sqrt(0.25/400)/0.5.)
	if res.PlainNS != 1000 || res.TotalErr > 0.1 {
		t.Errorf("one slow pair: mean run %d ns, stated error %.3f", res.PlainNS, res.TotalErr)
	}
	same := []int64{1000, 1000, 1000, 1000, 1000, 1000}
	res, _ = assemble(AssembleInput{Funcs: []FuncInput{fn(1, 10, 10)}, Runs: pairsOf(same, same)})
	// The sampling error alone: 1.96 x sqrt(0.5 x 0.5 / 600) / 0.5.
	if want := 1.96 * math.Sqrt(0.25/600) / 0.5; math.Abs(res.TotalErr-want) > 1e-9 {
		t.Errorf("agreeing pairs: stated error %.4f, want %.4f", res.TotalErr, want)
	}
}

// TestRepeatErr: pairs that drift (the machine's load changing over
// seconds) get the error of their blocks, larger than that of pairs whose
// spread is the same but in no order.
func TestRepeatErr(t *testing.T) {
	drift := []float64{1, 1.1, 1, 1.1, 1, 1.1, 1, 1.1, 2, 2.1, 2, 2.1, 2, 2.1, 2, 2.1}
	mixed := []float64{1, 2, 1.1, 2.1, 1, 2, 1.1, 2.1, 1, 2, 1.1, 2.1, 1, 2, 1.1, 2.1}
	if d, m := repeatErr(drift), repeatErr(mixed); d <= 1.5*m {
		t.Errorf("drifting pairs: error %.3f, mixed: %.3f", d, m)
	}
	if e := repeatErr([]float64{3, 3, 3}); e != 0 {
		t.Errorf("equal pairs: error %v", e)
	}
}

// TestSlowdown: runs 10% slower with snapshots are measured as such, and
// the times come from the runs without them.
func TestSlowdown(t *testing.T) {
	res, st := assemble(AssembleInput{Funcs: []FuncInput{fn(1, 10, 10)}, Runs: pairsOf([]int64{1100, 1100, 1100, 1100}, []int64{1000, 1000, 1000, 1000})})
	if math.Abs(res.Slowdown-0.10) > 1e-9 || st.slowPairs != 4 || res.SlowdownErr != 0 {
		t.Errorf("slowdown %v ± %v over %d pairs, want 0.10 ± 0 over 4", res.Slowdown, res.SlowdownErr, st.slowPairs)
	}
	if res.PlainNS != 1000 {
		t.Errorf("mean run %d ns, want 1000 (the runs without snapshots)", res.PlainNS)
	}
	// Pairs at an earlier snapshot period do not count (when two or more
	// ran at the final one).
	r := pairsOf([]int64{1500, 1100, 1100}, []int64{1000, 1000, 1000})
	r.Batches[0].IntervalNS = 1e6
	if _, st := assemble(AssembleInput{Funcs: []FuncInput{fn(1, 10, 10)}, Runs: r}); math.Abs(st.slowdown-0.10) > 1e-9 || st.slowPairs != 2 {
		t.Errorf("slowdown %v over %d pairs, want 0.10 over 2", st.slowdown, st.slowPairs)
	}
	r.Batches[3].IntervalNS = 1e6
	if _, st := assemble(AssembleInput{Funcs: []FuncInput{fn(1, 10, 10)}, Runs: r}); math.Abs(st.slowdown-0.2333333333) > 1e-6 || st.slowPairs != 3 {
		t.Errorf("slowdown %v over %d pairs, want 0.233 over all 3", st.slowdown, st.slowPairs)
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
	r := &Result{Runs: 10, Batches: 4, PlainNS: 1000, InstrumentedNS: 3000, Samples: 100, IntervalNS: 5e6}
	m := method("the program", r, stats{unresolved: []string{"F"}, resolutionNS: 10, short: []string{"F (3)"}, slowdown: 0.012, slowdownErr: 0.02, slowPairs: 2}, false, 2, 0, "", time.Second)
	for _, want := range []string{"one run of the program (instrumented build, 3 µs)", "2 activations of profiled functions still running", "10 runs in 4 batches (1 µs each), repeated inside one process",
		"about every 5 ms, in every other batch", "slowed the runs by +1.2% ± 2.0%", "\nNote: --max-time (1 s) ended the runs before 50 snapshot samples fell in F (3)",
		"No sample fell in F: its time per run is below the resolution of about 10 ns"} {
		if !strings.Contains(strings.Join(m, "\n"), want) {
			t.Errorf("method lacks %q:\n%s", want, strings.Join(m, "\n"))
		}
	}
}

// oneBatch is one batch with snapshots of runs runs of ns each.
func oneBatch(runs int, ns int64, samples int, lines ...child.LineTime) Runs {
	return Runs{Batches: []child.Batch{{Snap: true, Runs: runs, NS: int64(runs) * ns, Samples: samples, Lines: lines}}}
}

// TestProfileLines: a function's lines are those counted and those
// sampled, each with both figures, 0 where one is missing, the times
// rounded to the nanosecond.
func TestProfileLines(t *testing.T) {
	for _, c := range []struct {
		name  string
		hits  map[int]int64
		times map[int]float64
		want  map[int]lineprof.Line
	}{
		{"none", map[int]int64{}, nil, map[int]lineprof.Line{}},
		{"both", map[int]int64{3: 5}, map[int]float64{3: 10.6}, map[int]lineprof.Line{3: {Line: 3, Hits: 5, TimeNS: 11}}},
		{"counted only", map[int]int64{4: 2}, map[int]float64{}, map[int]lineprof.Line{4: {Line: 4, Hits: 2}}},
		{"sampled only", map[int]int64{}, map[int]float64{7: 2.4}, map[int]lineprof.Line{7: {Line: 7, TimeNS: 2}}},
		{"mixed", map[int]int64{1: 1, 2: 0}, map[int]float64{2: 3, 9: 0.5}, map[int]lineprof.Line{
			1: {Line: 1, Hits: 1}, 2: {Line: 2, TimeNS: 3}, 9: {Line: 9, TimeNS: 1}}},
	} {
		got := profileLines(c.hits, c.times)
		if len(got) != len(c.want) {
			t.Errorf("%s: %d lines %+v, want %d", c.name, len(got), got, len(c.want))
			continue
		}
		for _, l := range got {
			if l != c.want[l.Line] {
				t.Errorf("%s: line %+v, want %+v", c.name, l, c.want[l.Line])
			}
		}
	}
}
