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
	if Median([]time.Duration{3, 1, 2}) != 2 || Median([]time.Duration{4, 1, 3, 2}) != 2 {
		t.Error("median")
	}
	if s := Spread([]time.Duration{10, 10, 10, 10}); s != 0 {
		t.Errorf("spread of equal runs: %v", s)
	}
}
