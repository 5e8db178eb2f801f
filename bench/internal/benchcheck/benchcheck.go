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
//   - Enough checks that a figure rests on at least MinRuns runs: with
//     fewer, one disturbed run decides its median and it has no spread, so
//     its verdict is "too short", neither ok nor MISSED.
//   - Verdict turns a target and checks into the word to print: "ok",
//     "MISSED", "INVALID (reason)" or "too short (reason)".
//
// Typical use, in a bench program:
//
//	runs := benchcheck.Alternate(reps, serial, parallel) // []time.Duration per variant
//	s := float64(benchcheck.Median(runs[0])) / float64(benchcheck.Median(runs[1]))
//	fmt.Printf("speedup %.2fx %s: %s\n", s, benchcheck.SpreadText(runs[1], 0),
//		benchcheck.Verdict(s >= 1.85, benchcheck.Enough(reps), benchcheck.Speedup(s, workers)))
package benchcheck

import (
	"errors"
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

// MinRuns is the fewest runs a figure's verdict and spread rest on: the
// median of three is the first that one disturbed run cannot decide, and
// the first with a middle to measure a spread around.
const MinRuns = 3

// ShortError says that a figure rests on too few runs (or sessions,
// pairs...) to be judged.
type ShortError struct {
	N    int    // how many the figure rests on
	Unit string // what they are, singular: "run", "pair"
}

// Error says how many there were and how many a verdict needs: "2 runs,
// a verdict needs 3".
func (e *ShortError) Error() string {
	unit := e.Unit
	if e.N != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s, a verdict needs %d", e.N, unit, MinRuns)
}

// Enough checks that a figure rests on at least MinRuns runs: a
// *ShortError otherwise, which Verdict prints as "too short".
func Enough(runs int) error { return EnoughOf(runs, "run") }

// EnoughOf is Enough for a figure resting on n things other than runs
// (unit, singular, names them in the reason): sessions, pairs of runs.
func EnoughOf(n int, unit string) error {
	if n < MinRuns {
		return &ShortError{N: n, Unit: unit}
	}
	return nil
}

// Verdict is the word to print for a figure: "INVALID (reason)" when a
// check found the figure impossible, whatever the target and the number of
// runs say; otherwise "too short (reason)" when a check is a *ShortError
// (from Enough); otherwise "ok" or "MISSED".
func Verdict(met bool, checks ...error) string {
	var short *ShortError
	for _, c := range checks {
		var s *ShortError
		switch {
		case c == nil:
		case errors.As(c, &s):
			if short == nil {
				short = s
			}
		default:
			return "INVALID (" + c.Error() + ")"
		}
	}
	switch {
	case short != nil:
		return "too short (" + short.Error() + ")"
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

// Number is what Median and Spread summarize: durations, counts, ratios.
type Number interface {
	~int | ~int64 | ~float64
}

// Median returns the median of xs (the mean of the middle two for an even
// count); 0 for none, which a caller must not print as a figure: check
// the count with Enough first.
func Median[T Number](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 0 {
		// a + (b-a)/2 rather than (a+b)/2: durations near the int64
		// limit would overflow; and two equal infinities are their own
		// median, not Inf-Inf.
		if a, b := s[len(s)/2-1], s[len(s)/2]; a != b {
			return a + (b-a)/2
		}
	}
	return s[len(s)/2]
}

// Spread returns the relative half-width of the middle half of xs (the
// interquartile range over twice the median, quartiles interpolated
// between the sorted runs): the noise to print next to a median, ±Spread.
// ok is false when there is none to give: fewer than MinRuns runs, or a
// median of zero or less (a clock too coarse for the work, say), which no
// relative figure can be taken of.
func Spread[T Number](xs []T) (spread float64, ok bool) {
	if len(xs) < MinRuns {
		return 0, false
	}
	s := make([]float64, len(xs))
	for i, x := range xs {
		s[i] = float64(x)
	}
	slices.Sort(s)
	m := quantile(s, 0.5)
	sp := (quantile(s, 0.75) - quantile(s, 0.25)) / (2 * m)
	if !(m > 0) || math.IsNaN(sp) || math.IsInf(sp, 0) {
		return 0, false
	}
	return sp, true
}

// quantile is the q-quantile of sorted s, interpolated linearly between
// its neighbours (R's type 7, the common default).
func quantile(s []float64, q float64) float64 {
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// SpreadText is Spread as printed: "±4.2%" with prec decimals, or why
// there is none: "n/a (too few runs)", "n/a (median not positive)", "n/a
// (not a number)".
func SpreadText[T Number](xs []T, prec int) string {
	sp, ok := Spread(xs)
	switch {
	case ok:
		return fmt.Sprintf("±%.*f%%", prec, 100*sp)
	case len(xs) < MinRuns:
		return "n/a (too few runs)"
	case !(float64(Median(xs)) > 0):
		return "n/a (median not positive)"
	}
	return "n/a (not a number)"
}
