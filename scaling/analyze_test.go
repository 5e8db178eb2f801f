package scaling

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestPoint(t *testing.T) {
	base := Measurement{Procs: 1, Mean: 8, Stdev: 0.1}
	for _, tc := range []struct {
		m           Measurement
		speedup     float64
		super, slow bool
	}{
		{base, 1, false, false},
		{Measurement{Procs: 2, Mean: 4}, 2, false, false},
		// 8.05 / 4.01 = 2.007: noise, not caching.
		{Measurement{Procs: 2, Mean: 3.99, Stdev: 0.02}, 8 / 3.99, false, false},
		{Measurement{Procs: 2, Mean: 3, Stdev: 0.01}, 8 / 3.0, true, false},
		{Measurement{Procs: 4, Mean: 8.1}, 8 / 8.1, false, false},
		{Measurement{Procs: 4, Mean: 10, Stdev: 0.1}, 0.8, false, true},
	} {
		pt, super, slow := point(base, tc.m)
		if math.Abs(pt.Speedup-tc.speedup) > 1e-12 || super != tc.super || slow != tc.slow {
			t.Errorf("point(%+v) = speedup %v, super %v, slow %v; want %v, %v, %v", tc.m, pt.Speedup, super, slow, tc.speedup, tc.super, tc.slow)
		}
		if want := tc.speedup / float64(tc.m.Procs); math.Abs(pt.Efficiency-want) > 1e-12 {
			t.Errorf("point(%+v): efficiency %v, want %v", tc.m, pt.Efficiency, want)
		}
		if (tc.m.Procs == 1) != math.IsNaN(pt.KarpFlatt) {
			t.Errorf("point(%+v): Karp-Flatt %v: want NaN only at P=1", tc.m, pt.KarpFlatt)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		ms   []Measurement
		want string
	}{
		{[]Measurement{{Procs: 1, Mean: 1}, {Procs: 2, Mean: 0.5}}, ""},
		{[]Measurement{{Procs: 0, Mean: 1}}, "scaling: worker count 0 is less than 1"},
		{[]Measurement{{Procs: 1, Mean: 1}, {Procs: 1, Mean: 1}}, "scaling: worker count 1 measured twice"},
		{[]Measurement{{Procs: 1, Mean: math.Inf(1)}}, "scaling: P=1: mean time +Inf is not a positive number"},
		{[]Measurement{{Procs: 1, Mean: 1, Stdev: math.NaN()}}, "scaling: P=1: standard deviation NaN is not a non-negative number"},
		{[]Measurement{{Procs: 2, Mean: 1}}, "scaling: no measurement at P=1: speedup is relative to the serial time T1, so the worker counts must include 1"},
	} {
		err := validate(tc.ms)
		if got := errString(err); got != tc.want {
			t.Errorf("validate(%+v) = %q, want %q", tc.ms, got, tc.want)
		}
	}
}

func TestFitWarning(t *testing.T) {
	for _, tc := range []struct {
		a           Amdahl
		super, slow bool
		want        error // the warning's kind, nil for none
	}{
		{Amdahl{}, false, false, ErrNoFit},
		{Amdahl{Fitted: true, SerialFraction: 0.1}, true, true, nil},
		{Amdahl{Fitted: true, Clamped: true}, false, false, nil},
		{Amdahl{Fitted: true, Clamped: true}, true, false, ErrClamped},
		{Amdahl{Fitted: true, Clamped: true}, false, true, nil},
		{Amdahl{Fitted: true, Clamped: true, SerialFraction: 1}, false, true, ErrClamped},
		{Amdahl{Fitted: true, Clamped: true, SerialFraction: 1}, true, false, nil},
	} {
		w := fitWarning(tc.a, []Measurement{{Procs: 1, Mean: 1}}, tc.super, tc.slow)
		if (w == nil) != (tc.want == nil) || (w != nil && !errors.Is(w, tc.want)) {
			t.Errorf("fitWarning(%+v, super %v, slow %v) = %v, want kind %v", tc.a, tc.super, tc.slow, w, tc.want)
		}
	}
}

func TestOversubscribed(t *testing.T) {
	for _, tc := range []struct {
		over []string
		cpu  int
		want string
	}{
		{[]string{"4"}, 2, "P=4 exceeds the 2 cores of this machine (runtime.NumCPU): timings above 2 measure oversubscription"},
		{[]string{"2", "4"}, 1, "P=2,4 exceed the 1 core of this machine (runtime.NumCPU): timings above 1 measure oversubscription"},
	} {
		w := oversubscribed(tc.over, tc.cpu)
		if w.Error() != tc.want || !errors.Is(w, ErrOversubscribed) {
			t.Errorf("oversubscribed(%q, %d) = %q, want %q", tc.over, tc.cpu, w, tc.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestSpeedupBars(t *testing.T) {
	points := []Point{
		{Measurement: Measurement{Procs: 1, Mean: 8, Stdev: 0.8}, Speedup: 1},
		{Measurement: Measurement{Procs: 2, Mean: 4, Stdev: 0}, Speedup: 2},
		{Measurement: Measurement{Procs: 4, Mean: 2, Stdev: 0.2}, Speedup: 4},
	}
	pts, errs := speedupBars(points)
	// Relative errors 0.1 and 0, then 0.1 and 0.1: 2*0.1 and 4*0.1*sqrt(2).
	want := []float64{0, 0.2, 0.4 * math.Sqrt2}
	for i, pt := range points {
		if pts[i].X != float64(pt.Procs) || pts[i].Y != pt.Speedup {
			t.Errorf("point %d = %v, want (%d, %v)", i, pts[i], pt.Procs, pt.Speedup)
		}
		if math.Abs(errs[i].Low-want[i]) > 1e-12 || errs[i].Low != errs[i].High {
			t.Errorf("error bar %d = %+v, want ±%v", i, errs[i], want[i])
		}
	}
}

// The fit and the report with few points, identical times and times of
// any magnitude: never a NaN printed as a fitted value, never a JSON
// document that fails to encode. Times of 1e-160 s fitted f = NaN (the
// weights 1/TP² overflowed), and times 1e308 apart made speedup +Inf,
// which JSON cannot carry: such times are refused with a clear error.
func TestAnalyzeFewAndExtreme(t *testing.T) {
	for _, tc := range []struct {
		name string
		ms   []Measurement
		f    float64 // NaN: not fitted
		err  string
	}{
		{"P=1 only", []Measurement{{1, 1e-3, 0}}, math.NaN(), ""},
		{"two identical times", []Measurement{{1, 1e-3, 0}, {2, 1e-3, 0}}, 1, ""},
		{"two points, perfect", []Measurement{{1, 1e-3, 0}, {2, 0.5e-3, 0}}, 0, ""},
		{"two points, f = 1/3", []Measurement{{1, 3e-3, 0}, {2, 2e-3, 0}}, 1.0 / 3, ""},
		{"three identical times", []Measurement{{1, 5e-9, 0}, {2, 5e-9, 0}, {4, 5e-9, 0}}, 1, ""},
		{"shortest times", []Measurement{{1, 3e-15, 0}, {2, 2e-15, 0}, {4, 1.5e-15, 0}}, 1.0 / 3, ""},
		// A speedup of 1e30 is no measurement, but it is printed as
		// such, with a warning that no fit could be made (it was
		// "f = NaN").
		{"times 1e30 apart", []Measurement{{1, 1e15, 1e15}, {2, 1e-15, 0}}, math.NaN(), ""},
		{"tiny times", []Measurement{{1, 1e-160, 0}, {2, 0.5e-160, 0}}, 0, "P=1: mean time 1e-160 s is outside what a clock measures (1e-15 s to 1e+15 s)"},
		{"times 1e308 apart", []Measurement{{1, 1e300, 0}, {2, 1e-10, 0}}, 0, "P=1: mean time 1e+300 s is outside"},
		{"huge deviation", []Measurement{{1, 1, 1e300}, {2, 1, 0}}, 0, "P=1: standard deviation 1e+300 s is outside what a clock measures (up to 1e+15 s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Analyze(tc.ms, 2)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := r.Amdahl
			if math.IsNaN(tc.f) {
				if a.Fitted || len(r.Warnings) == 0 || !errors.Is(r.Warnings[len(r.Warnings)-1], ErrNoFit) {
					t.Errorf("fitted %+v, warnings %v; want no fit and why", a, r.Warnings)
				}
			} else if !a.Fitted || math.Abs(a.SerialFraction-tc.f) > 1e-9 {
				t.Errorf("f = %v (fitted %v), want %v", a.SerialFraction, a.Fitted, tc.f)
			}
			if txt := r.String(); strings.Contains(txt, "NaN") {
				t.Errorf("report prints NaN or Inf:\n%s", txt)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Errorf("JSON: %v", err)
			}
		})
	}
}
