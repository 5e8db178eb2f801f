package scaling

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/timeit"
)

func TestSweep(t *testing.T) {
	// A simulated machine: 1 ms of work per loop, of which 10% is serial.
	// Every run of every P is identical, so the deviations are 0 and the
	// fit recovers f = 0.1 exactly.
	var order []int
	measure := func(p int) (*timeit.Result, error) {
		order = append(order, p)
		perLoop := time.Duration(float64(time.Millisecond) * (0.1 + 0.9/float64(p)))
		s := timeit.SamplerFunc(func(loops int) (timeit.Sample, error) {
			return timeit.Sample{Loops: loops, Elapsed: time.Duration(loops) * perLoop}, nil
		})
		return timeit.Measure(s, timeit.Options{Number: 10, Repeat: 3})
	}
	r, err := Sweep([]int{4, 1, 2}, 4, measure)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []int{1, 2, 4}) {
		t.Errorf("measured in order %v, want 1, 2, 4", order)
	}
	if !near(r.Amdahl.SerialFraction, 0.1) || !near(r.Points[1].Mean, 0.55e-3) || r.Points[1].Stdev != 0 {
		t.Errorf("report %+v", r)
	}
}

func TestSweepErrors(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	_, err := Sweep([]int{1, 2}, 2, func(p int) (*timeit.Result, error) {
		calls++
		if p == 2 {
			return nil, boom
		}
		return timeit.NewResult([]timeit.Sample{{Loops: 1, Elapsed: time.Second}}, 0)
	})
	if !errors.Is(err, boom) || err.Error() != "P=2: boom" {
		t.Errorf("error %v, want P=2: boom", err)
	}
	calls = 0
	_, err = Sweep([]int{2, 4}, 2, func(p int) (*timeit.Result, error) { calls++; return nil, nil })
	if err == nil || !strings.Contains(err.Error(), "must include 1") || calls != 0 {
		t.Errorf("Sweep without P=1: error %v after %d measurements, want an error before any", err, calls)
	}
	if _, err := Sweep(nil, 2, nil); err == nil {
		t.Error("Sweep with no worker counts succeeded")
	}
}

func TestFromResult(t *testing.T) {
	// Per-loop times 2.5 ns and 3.5 ns: mean 3 ns, population deviation
	// 0.5 ns, kept to the fraction of a nanosecond.
	r, err := timeit.NewResult([]timeit.Sample{{Loops: 1000, Elapsed: 2500}, {Loops: 1000, Elapsed: 3500}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := FromResult(3, r)
	if err != nil {
		t.Fatal(err)
	}
	if m.Procs != 3 || math.Abs(m.Mean-3e-9) > 1e-21 || math.Abs(m.Stdev-0.5e-9) > 1e-21 {
		t.Errorf("FromResult = %+v, want P=3, 3 ns ± 0.5 ns", m)
	}
	// A Result built by hand, from Times only.
	m, err = FromResult(1, &timeit.Result{Times: []time.Duration{2 * time.Millisecond, 4 * time.Millisecond}})
	if err != nil || m.Mean != 3e-3 || m.Stdev != 1e-3 {
		t.Errorf("FromResult(Times) = %+v, %v", m, err)
	}
	if _, err := FromResult(1, &timeit.Result{}); err == nil {
		t.Error("FromResult of an empty result succeeded")
	}
	if _, err := FromResult(1, nil); err == nil {
		t.Error("FromResult(nil) succeeded")
	}
}
