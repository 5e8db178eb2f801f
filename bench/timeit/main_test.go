package main

import (
	"math"
	"strings"
	"testing"
)

// The verdict on timeit/testing.B: judged from 3 rounds, "too short"
// below, INVALID for a ratio no two real times have; never a NaN judged
// ok or OUT OF TARGET (a round of 0 ns/op made one).
func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ti, tb []float64
		ratio  float64 // NaN: any
		want   string
	}{
		{"one round", []float64{101}, []float64{100}, 1.01, "too short (1 round, a verdict needs 3)"},
		{"two rounds", []float64{101, 99}, []float64{100, 100}, 1, "too short (2 rounds, a verdict needs 3)"},
		{"three rounds", []float64{101, 99, 120}, []float64{100, 100, 100}, 1.01, "ok"},
		{"three rounds, missed", []float64{110, 109, 120}, []float64{100, 100, 100}, 1.1, "MISSED"},
		{"identical rounds", []float64{5, 5, 5}, []float64{5, 5, 5}, 1, "ok"},
		{"zero ns/op from testing", []float64{5, 5, 5}, []float64{0, 0, 0}, math.Inf(1), "INVALID"},
		{"zero everywhere", []float64{0, 0, 0}, []float64{0, 0, 0}, math.NaN(), "INVALID"},
		{"one zero round, short", []float64{0}, []float64{0}, math.NaN(), "INVALID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, v := judge(tc.ti, tc.tb, 0.05)
			if !math.IsNaN(tc.ratio) && math.Abs(r-tc.ratio) > 1e-9 || math.IsNaN(tc.ratio) && !math.IsNaN(r) {
				t.Errorf("ratio %v, want %v", r, tc.ratio)
			}
			if !strings.HasPrefix(v, tc.want) {
				t.Errorf("verdict %q, want %q", v, tc.want)
			}
		})
	}
}
