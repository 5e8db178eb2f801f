package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

// The median overhead was the upper middle of the sorted invocations,
// judged "within" from one invocation, and a negative overhead (wall time
// below the measured time, which noise can make) counted as within too.
func TestOverheadVerdict(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		medians []time.Duration
		reps    int
		worst   time.Duration
		want    string
	}{
		{[]time.Duration{300 * ms, 400 * ms}, 1, 400 * ms, "too short (1 invocation, a verdict needs 3)"},
		{[]time.Duration{300 * ms, 400 * ms}, 2, 400 * ms, "too short (2 invocations, a verdict needs 3)"},
		{[]time.Duration{300 * ms, 400 * ms}, 3, 400 * ms, "ok"},
		{[]time.Duration{300 * ms, 800 * ms}, 5, 800 * ms, "MISSED"},
		{[]time.Duration{-5 * ms, 400 * ms}, 5, 400 * ms, "INVALID"},
		{[]time.Duration{-5 * ms, 400 * ms}, 1, 400 * ms, "INVALID"},
		{[]time.Duration{0, 0}, 3, 0, "ok"},
	} {
		worst, v := overheadVerdict(tc.medians, tc.reps)
		if worst != tc.worst || !strings.HasPrefix(v, tc.want) {
			t.Errorf("overheadVerdict(%v, %d) = %v, %q; want %v, %q", tc.medians, tc.reps, worst, v, tc.worst, tc.want)
		}
	}
}

// The median ratio of an even count of rounds was the upper middle one,
// and a 0 ns/op from go test gave an Inf ratio judged OUTSIDE.
func TestRatioVerdict(t *testing.T) {
	for _, tc := range []struct {
		ratios []float64
		med    float64
		want   string
	}{
		{[]float64{1.01}, 1.01, "too short (1 round, a verdict needs 3)"},
		{[]float64{1.0, 1.2}, 1.1, "too short (2 rounds, a verdict needs 3)"},
		{[]float64{1.0, 1.02, 1.2, 0.98}, 1.01, "ok"},
		{[]float64{1.1, 1.1, 1.1}, 1.1, "MISSED"},
		{[]float64{math.Inf(1), math.Inf(1), math.Inf(1)}, math.Inf(1), "INVALID"},
		{[]float64{math.NaN(), math.NaN(), math.NaN()}, math.NaN(), "INVALID"},
	} {
		med, v := ratioVerdict(tc.ratios, 0.05)
		if !(med == tc.med || math.Abs(med-tc.med) < 1e-9 || math.IsNaN(tc.med) && math.IsNaN(med)) || !strings.HasPrefix(v, tc.want) {
			t.Errorf("ratioVerdict(%v) = %v, %q; want %v, %q", tc.ratios, med, v, tc.med, tc.want)
		}
	}
}
