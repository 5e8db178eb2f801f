package timeit

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestFitPower(t *testing.T) {
	tests := []struct {
		name   string
		xs, ys []float64
		k, r2  float64
	}{
		{"quadratic", []float64{1e4, 1e5, 1e6}, []float64{3e-4, 3e-2, 3}, 2, 1},
		{"linear", []float64{10, 20, 40, 80}, []float64{5, 10, 20, 40}, 1, 1},
		{"inverse", []float64{1, 2, 4}, []float64{8, 4, 2}, -1, 1},
		{"constant", []float64{1, 10, 100}, []float64{7, 7, 7}, 0, 1},
		// A line through two points fits them exactly whatever the
		// times: its R² of 1 said nothing, and is now NaN (n/a). Two
		// values with repeated runs are still two values.
		{"two points", []float64{2, 8}, []float64{1, 8}, 1.5, math.NaN()},
		{"two values, four points", []float64{2, 2, 8, 8}, []float64{1, 1.2, 8, 7}, 1.38608, math.NaN()},
		{"two identical times", []float64{2, 8}, []float64{5, 5}, 0, math.NaN()},
		// log10 points (0,0), (1,2), (2,3): slope 3/2; residuals -1/6,
		// 1/3, -1/6 give SSres 1/6 against SStot 14/3, so R² = 27/28.
		{"by hand", []float64{1, 10, 100}, []float64{1, 100, 1000}, 1.5, 27.0 / 28},
		// Points without a logarithm are skipped.
		{"skips zeros", []float64{0, 1, 2, 4, -1}, []float64{1, 1, 2, 4, 3}, 1, 1},
	}
	for _, tt := range tests {
		f, err := FitPower(tt.xs, tt.ys)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if math.Abs(f.Exponent-tt.k) > 1e-4 || math.IsNaN(f.R2) != math.IsNaN(tt.r2) || math.Abs(f.R2-tt.r2) > 1e-12 {
			t.Errorf("%s: exponent %v R² %v, want %v and %v", tt.name, f.Exponent, f.R2, tt.k, tt.r2)
		}
	}
	for _, bad := range [][2][]float64{
		{{1}, {1}},
		{{5, 5, 5}, {1, 2, 3}},
		{{1, 2}, {1}},
		{{0, -1}, {1, 2}},
		{{1, 2}, {0, 0}},
		{nil, nil},
	} {
		if f, err := FitPower(bad[0], bad[1]); err == nil {
			t.Errorf("FitPower(%v, %v) = %v, want an error", bad[0], bad[1], f)
		}
	}
}

func TestFitString(t *testing.T) {
	for _, tt := range []struct {
		f    Fit
		want string
	}{
		{Fit{"n", 1.0213, 0.99912, 3}, "time ~ n^1.02 (R² 0.999)"},
		{Fit{"size", 2, 1, 4}, "time ~ size^2.00 (R² 1.000)"},
		{Fit{"", -0.5, 0.5, 3}, "time ~ x^-0.50 (R² 0.500)"},
		{Fit{"n", 1.5, math.NaN(), 2}, "time ~ n^1.50 (R² n/a: 2 values of n)"},
	} {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.f, got, tt.want)
		}
	}
	b, _ := json.Marshal(Fit{"n", 1.5, 0.25, 3})
	if string(b) != `{"param":"n","exponent":1.5,"values":3,"r2":0.25}` {
		t.Errorf("JSON %s", b)
	}
	b, err := json.Marshal(Fit{"n", 1.5, math.NaN(), 2})
	if err != nil || string(b) != `{"param":"n","exponent":1.5,"values":2,"r2":null}` {
		t.Errorf("JSON of a fit without R²: %s, %v", b, err)
	}
}

// sweep makes sweep points whose mean per loop is c·x^k exactly.
func sweep(t *testing.T, c, k float64, xs ...float64) []SweepPoint {
	t.Helper()
	var pts []SweepPoint
	for _, x := range xs {
		per := c * math.Pow(x, k) // seconds per loop
		var ss []Sample
		for _, f := range []float64{0.9, 1, 1.1} {
			ss = append(ss, Sample{Loops: 1000, Elapsed: time.Duration(per * f * 1000 * 1e9)})
		}
		r, err := NewResult(ss, 3)
		if err != nil {
			t.Fatal(err)
		}
		pts = append(pts, SweepPoint{Value: int(x), X: x, Result: r})
	}
	return pts
}

func TestFitSweep(t *testing.T) {
	f, err := FitSweep("n", sweep(t, 1e-9, 1, 1e4, 1e5, 1e6))
	if err != nil {
		t.Fatal(err)
	}
	// Run times are whole nanoseconds, so the power law is exact only
	// to about 1e-9 relative.
	if f.Param != "n" || math.Abs(f.Exponent-1) > 1e-6 || f.R2 < 1-1e-9 {
		t.Errorf("fit %#v, want n^1 with R² 1", f)
	}
}
