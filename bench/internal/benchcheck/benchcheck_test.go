package benchcheck

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSpeedup(t *testing.T) {
	c := Cores(0)
	for _, s := range []float64{0.5, 1, float64(c), float64(c) * 1.04} {
		if err := Speedup(s, 0); err != nil {
			t.Errorf("Speedup(%v) on %d cores: %v", s, c, err)
		}
	}
	// bench/distpar once printed 2.37x on 2 cores.
	for _, s := range []float64{float64(c) * 1.06, 0, -1, math.NaN(), math.Inf(1)} {
		if err := Speedup(s, 0); err == nil {
			t.Errorf("Speedup(%v) on %d cores accepted", s, c)
		}
	}
	if err := Speedup(1.5, 1); err == nil || !strings.Contains(err.Error(), "more than 1 cores allow") {
		t.Errorf("1.5x with one worker: %v", err)
	}
	if Cores(1000) > runtime.NumCPU() {
		t.Errorf("Cores(1000) = %d on %d CPUs", Cores(1000), runtime.NumCPU())
	}
}

func TestChecksAndVerdict(t *testing.T) {
	// bench/lprun once printed -0.873 ns per event and a 0.43x ratio, ok.
	if err := Cost("per event", -0.873); err == nil {
		t.Error("negative cost accepted")
	}
	if err := Cost("per event", 0); err != nil {
		t.Error(err)
	}
	if err := Ratio("total/true", 0.43, 0.8, 1.25); err == nil {
		t.Error("ratio outside its bounds accepted")
	}
	if err := Ratio("total/true", 1.3, 0.8, 1.25); err != nil {
		t.Errorf("ratio within slack refused: %v", err)
	}
	if v := Verdict(true, Cost("x", -1)); !strings.HasPrefix(v, "INVALID (") {
		t.Errorf("an invalid figure meeting its target: %q", v)
	}
	if Verdict(true, nil) != "ok" || Verdict(false, nil) != "MISSED" {
		t.Error("verdict words")
	}
	if First(nil, Cost("a", -1), Cost("b", -2)).Error() != Cost("a", -1).Error() {
		t.Error("First")
	}
}

func TestAlternate(t *testing.T) {
	var order []int
	mk := func(i int) func() time.Duration {
		return func() time.Duration { order = append(order, i); return time.Duration(i + 1) }
	}
	runs := Alternate(4, mk(0), mk(1))
	want := []int{0, 1, 1, 0, 0, 1, 1, 0}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	if len(runs[0]) != 4 || runs[1][0] != 2 {
		t.Errorf("runs %v", runs)
	}
}

// bench/parlazy -reps 3 printed "±NaN%": Spread gave NaN below 4 runs and
// the programs printed it. Every count of runs, identical runs and zero
// times must print a number or say why there is none, never NaN or Inf.
func TestSpreadAndMedianFewRuns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		runs   []time.Duration
		median time.Duration
		spread float64 // -1: none
		text   string
	}{
		{"none", nil, 0, -1, "n/a (too few runs)"},
		{"one run", []time.Duration{100}, 100, -1, "n/a (too few runs)"},
		{"two runs", []time.Duration{100, 300}, 200, -1, "n/a (too few runs)"},
		{"three runs", []time.Duration{90, 100, 130}, 100, 0.1, "±10.0%"},
		{"three identical", []time.Duration{7, 7, 7}, 7, 0, "±0.0%"},
		{"four identical", []time.Duration{10, 10, 10, 10}, 10, 0, "±0.0%"},
		{"four runs", []time.Duration{40, 10, 30, 20}, 25, 0.3, "±30.0%"},
		{"three zero times", []time.Duration{0, 0, 0}, 0, -1, "n/a (median not positive)"},
		{"zero median", []time.Duration{0, 0, 5}, 0, -1, "n/a (median not positive)"},
		{"near the int64 limit", []time.Duration{math.MaxInt64 - 2, math.MaxInt64}, math.MaxInt64 - 1, -1, "n/a (too few runs)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if m := Median(tc.runs); m != tc.median {
				t.Errorf("Median = %v, want %v", m, tc.median)
			}
			sp, ok := Spread(tc.runs)
			if ok != (tc.spread >= 0) || ok && math.Abs(sp-tc.spread) > 1e-12 {
				t.Errorf("Spread = %v, %v; want %v", sp, ok, tc.spread)
			}
			if txt := SpreadText(tc.runs, 1); txt != tc.text {
				t.Errorf("SpreadText = %q, want %q", txt, tc.text)
			}
		})
	}
	// Ratios and costs are summarized the same way; a NaN among them
	// gives no spread rather than a NaN one.
	if m := Median([]float64{1.5, 0.5}); m != 1 {
		t.Errorf("float median %v", m)
	}
	if m := Median([]float64{math.Inf(1), math.Inf(1)}); !math.IsInf(m, 1) {
		t.Errorf("median of two infinities %v", m)
	}
	if txt := SpreadText([]float64{1, math.NaN(), 2, 3}, 0); txt != "n/a (not a number)" {
		t.Errorf("spread with a NaN: %q", txt)
	}
}

// A verdict on fewer than MinRuns runs says so, instead of ok or MISSED;
// an impossible figure stays INVALID whatever the count.
func TestVerdictTooShort(t *testing.T) {
	for _, tc := range []struct {
		met    bool
		checks []error
		want   string
	}{
		{true, []error{Enough(1)}, "too short (1 run, a verdict needs 3)"},
		{false, []error{Enough(2)}, "too short (2 runs, a verdict needs 3)"},
		{true, []error{Enough(0), nil}, "too short (0 runs, a verdict needs 3)"},
		{true, []error{Enough(3)}, "ok"},
		{false, []error{Enough(15), nil}, "MISSED"},
		{true, []error{Enough(1), Cost("per event", -1)}, "INVALID (per event -1 ns is not a possible cost)"},
		{true, []error{Speedup(math.NaN(), 0), Enough(2)}, "INVALID (speedup NaN is not a positive number)"},
		{true, nil, "ok"},
		{true, []error{EnoughOf(1, "pair")}, "too short (1 pair, a verdict needs 3)"},
		{true, []error{EnoughOf(2, "session")}, "too short (2 sessions, a verdict needs 3)"},
	} {
		if got := Verdict(tc.met, tc.checks...); got != tc.want {
			t.Errorf("Verdict(%v, %v) = %q, want %q", tc.met, tc.checks, got, tc.want)
		}
	}
}
