// Package benchcheck keeps the bench/ programs honest. A benchmark figure is
// only worth printing when the way it was measured can be trusted and the
// figure itself is physically possible; benchcheck gives the bench programs
// one way to do both:
//
//   - Alternate runs the baseline and the measured variants in turns
//     (A B B A, A B B A, ...), so that a change of machine state (another
//     process, frequency scaling, a warm cache) hurts them alike instead of
//     biasing one, and Median and Spread summarize each variant's runs.
//   - Speedup, Ratio and Cost check a figure against what is possible: a
//     speedup above the number of cores the run could use (with 5% of slack
//     for noise), a ratio outside its bounds, a negative or NaN time. Such a
//     figure comes from a broken measurement (a baseline slowed by something
//     else, work deleted by the compiler, a clock read wrongly), never from
//     the code: it must be printed as INVALID, with the reason, and never
//     judged "ok" against a target.
//   - Verdict turns a target and a check into the word to print: "ok",
//     "MISSED" or "INVALID (reason)".
//
// Typical use, in a bench program:
//
//	runs := benchcheck.Alternate(reps, serial, parallel) // []time.Duration per variant
//	s := benchcheck.Median(runs[0]) / benchcheck.Median(runs[1])
//	err := benchcheck.Speedup(s, workers)
//	fmt.Printf("speedup %.2fx: %s\n", s, benchcheck.Verdict(s >= 1.85, err))
package benchcheck

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"
)

// Slack is the relative margin allowed beyond a physical bound before a
// figure is declared invalid: timing noise can push a real figure a little
// past its bound, a broken measurement goes well past it.
const Slack = 0.05

// Cores is the number of cores a run with the given number of workers can
// use at most: workers (0 for GOMAXPROCS), capped by GOMAXPROCS and by the
// machine's CPUs.
func Cores(workers int) int {
	c := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	if workers > 0 {
		c = min(c, workers)
	}
	return max(c, 1)
}

// Speedup checks a speedup (baseline time / parallel time) of a run on
// workers workers (0 for GOMAXPROCS): it is invalid when it is not a
// positive number or exceeds Cores(workers) by more than Slack.
func Speedup(s float64, workers int) error {
	c := Cores(workers)
	if math.IsNaN(s) || math.IsInf(s, 0) || s <= 0 {
		return fmt.Errorf("speedup %.3g is not a positive number", s)
	}
	if s > float64(c)*(1+Slack) {
		return fmt.Errorf("speedup %.2fx is more than %d cores allow", s, c)
	}
	return nil
}

// Ratio checks that r lies within [lo, hi] (with Slack beyond each end); what
// names the ratio in the reason.
func Ratio(what string, r, lo, hi float64) error {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return fmt.Errorf("%s %.3g is not a number", what, r)
	}
	if r < lo*(1-Slack) || r > hi*(1+Slack) {
		return fmt.Errorf("%s %.3g is outside the possible %.3g..%.3g", what, r, lo, hi)
	}
	return nil
}

// Cost checks a cost (a time, a time per item or per event, a difference
// of two times meant as an overhead): a negative or NaN cost is invalid.
// A difference below zero means the baseline took longer than baseline
// plus overhead, which the noise between them explains, not the code.
func Cost(what string, ns float64) error {
	if math.IsNaN(ns) || math.IsInf(ns, 0) || ns < 0 {
		return fmt.Errorf("%s %.3g ns is not a possible cost", what, ns)
	}
	return nil
}

// Verdict is the word to print for a figure: "INVALID (reason)" when check
// failed, whatever the target says; otherwise "ok" or "MISSED".
func Verdict(met bool, check error) string {
	switch {
	case check != nil:
		return "INVALID (" + check.Error() + ")"
	case met:
		return "ok"
	}
	return "MISSED"
}

// First returns the first non-nil error, to combine checks.
func First(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Alternate runs each of variants reps times, in turns, and returns the
// measured durations of each variant (runs[i] for variants[i]). The order
// is reversed every other round (A B, B A, A B, ...) so that neither
// variant always runs right after the other (and pays for its garbage or
// profits from its warm cache); runtime.GC runs before every run so that
// no run pays for the previous one's garbage. A variant returns its own
// measured time, so that it can leave its set-up out of it.
func Alternate(reps int, variants ...func() time.Duration) [][]time.Duration {
	runs := make([][]time.Duration, len(variants))
	order := make([]int, len(variants))
	for i := range order {
		order[i] = i
	}
	for r := range reps {
		for k := range order {
			i := order[k]
			if r%2 == 1 {
				i = order[len(order)-1-k]
			}
			runtime.GC()
			runs[i] = append(runs[i], variants[i]())
		}
	}
	return runs
}

// Time measures one call of fn, for Alternate's variants.
func Time(fn func()) func() time.Duration {
	return func() time.Duration {
		t := time.Now()
		fn()
		return time.Since(t)
	}
}

// Median returns the median of ds (the mean of the middle two for an even
// count); 0 for none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

// Spread returns the relative half-width of the middle half of ds (the
// interquartile range over twice the median): the noise to print next to
// a median, ±Spread.
func Spread(ds []time.Duration) float64 {
	if len(ds) < 4 {
		return math.NaN()
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q1, q3 := s[len(s)/4], s[(3*len(s))/4]
	m := Median(ds)
	if m <= 0 {
		return math.NaN()
	}
	return float64(q3-q1) / float64(2*m)
}
