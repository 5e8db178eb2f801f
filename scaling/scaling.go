// Package scaling tells whether parallelism paid: given the time a piece of
// work takes at several worker counts P (GOMAXPROCS values), it computes the
// speedup T1/TP, the efficiency S/P and the Karp-Flatt experimentally
// determined serial fraction at each P, and fits Amdahl's law to all points
// to estimate the serial fraction f and the ceiling 1/f on any speedup.
//
// Baseline. Speedup is always relative to the time at P = 1, the serial run
// of the same code: that is what Amdahl's law and the Karp-Flatt metric are
// defined against. A set of timings without P = 1 is an error rather than
// silently taking the smallest P as the baseline, because "speedup 1.9 at
// P = 4" relative to P = 2 reads like a failure when it is nearly perfect.
//
// Amdahl fit. Amdahl's law says TP = T1*(f + (1-f)/P). Written as
// TP = a + b/P (a = f*T1 is the serial time, b = (1-f)*T1 the parallel
// work) it is linear in a and b, and this package fits a and b by weighted
// least squares with weights 1/TP², that is it minimises the sum of squared
// relative residuals. Relative residuals are used because the times at large
// P are several times smaller than T1: with absolute residuals the P = 1
// point would dominate the fit and the points that actually show the serial
// fraction would barely count. T1 is fitted too rather than pinned to the
// measured value, so that noise in that single measurement does not tilt the
// whole curve. Then f = a/(a+b). When the unconstrained fit gives a < 0 (the
// times fall faster than 1/P: superlinear) or b < 0 (the times grow with P)
// the fit is redone under a, b >= 0 and f lands on 0 or 1; a warning says
// so when some point lies outside the law beyond the noise. Every point is
// used, including those beyond the machine's cores, which only measure
// oversubscription: a warning says that too.
//
// Unknown values (the Karp-Flatt fraction at P = 1, the ceiling 1/f when
// f = 0, the fit itself with a single P) are NaN or +Inf in Go and null in
// JSON, never a made-up sentinel.
package scaling

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Measurement is the time of one unit of work (one loop of a timeit run) at
// one worker count.
type Measurement struct {
	Procs int     // worker count P (GOMAXPROCS)
	Mean  float64 // mean time per loop, in seconds
	Stdev float64 // standard deviation of the per-loop time over the runs, in seconds
}

// Point is one row of a Report: a measurement and what it says about
// scaling.
type Point struct {
	Measurement
	// Speedup is T1/TP.
	Speedup float64
	// Efficiency is Speedup/P: 1 is perfect scaling.
	Efficiency float64
	// KarpFlatt is the experimentally determined serial fraction
	// e = (1/S - 1/P)/(1 - 1/P). It is NaN at P = 1, where it is undefined.
	// An e that grows with P points at parallel overhead (synchronisation,
	// contention) rather than at a fixed serial part of the work.
	KarpFlatt float64
}

// Amdahl is the result of fitting Amdahl's law S(P) = 1/(f + (1-f)/P) to
// the measurements.
type Amdahl struct {
	// Fitted is false when the fit could not be made (a single P).
	Fitted bool
	// SerialFraction is f, in [0, 1]; NaN when not fitted.
	SerialFraction float64
	// MaxSpeedup is the ceiling 1/f on the speedup as P grows; +Inf when
	// f = 0, NaN when not fitted.
	MaxSpeedup float64
	// Clamped reports that the unconstrained fit put f outside [0, 1] and
	// the constrained fit was used instead. The Report warns about it only
	// when some point is superlinear or slower than P = 1 beyond the noise.
	Clamped bool
}

// Speedup returns the speedup the fitted law predicts at p workers
// (NaN when not fitted).
func (a Amdahl) Speedup(p float64) float64 {
	if !a.Fitted {
		return math.NaN()
	}
	return 1 / (a.SerialFraction + (1-a.SerialFraction)/p)
}

// Report is the analysis of a set of measurements.
type Report struct {
	// Points are sorted by Procs; Points[0] is the P = 1 baseline.
	Points []Point
	// Amdahl is the law fitted to all points.
	Amdahl Amdahl
	// NumCPU is the number of cores the warnings were judged against.
	NumCPU int
	// Warnings are things the user must know to read the figures right
	// (oversubscription, superlinear speedup, slowdown, a clamped fit).
	// Each wraps one of ErrOversubscribed, ErrSuperlinear, ErrSlowdown,
	// ErrClamped or ErrNoFit, so that callers can test them with errors.Is.
	Warnings []error
}

// The kinds of warning a Report carries; test with errors.Is.
var (
	// ErrOversubscribed: some P exceed the machine's cores.
	ErrOversubscribed = errors.New("more workers than cores")
	// ErrSuperlinear: some speedup exceeds P by more than 5% beyond the
	// measurement noise.
	ErrSuperlinear = errors.New("superlinear speedup")
	// ErrSlowdown: some P > 1 is slower than P = 1 by more than 5% beyond
	// the measurement noise.
	ErrSlowdown = errors.New("slower than serial")
	// ErrClamped: the Amdahl fit put f outside [0, 1], and some point is
	// superlinear or slower than P = 1 beyond the noise.
	ErrClamped = errors.New("serial fraction clamped")
	// ErrNoFit: too few worker counts to fit Amdahl's law, or times too
	// far apart to fit it.
	ErrNoFit = errors.New("no Amdahl fit")
)

// warning is an error with its own message that still matches its kind
// under errors.Is.
type warning struct {
	kind error
	msg  string
}

func (w *warning) Error() string { return w.msg }
func (w *warning) Unwrap() error { return w.kind }

func warnf(kind error, format string, args ...any) error {
	return &warning{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// warnMargin is how far beyond the noise a speedup must exceed P (or fall
// below 1) to be warned about. Runs of the same code on a real machine
// differ by a few percent (frequency scaling, scheduling, memory
// placement) in ways that the deviations of one series of runs do not
// capture; a warning should point at an effect, such as caching, that is
// larger than that.
const warnMargin = 0.05

// fracEpsilon is the size below which a fitted serial fraction (or its
// complement) is taken as exactly 0 (or 1). Data that scale perfectly give
// f of the order of 1e-17 from rounding alone; no timing is precise to
// anywhere near 1e-9, so nothing real is lost.
const fracEpsilon = 1e-9

// minTime and maxTime bound the mean times Analyze accepts, in seconds:
// far beyond any clock's reach (a femtosecond, 30 million years), and
// narrow enough that every figure stays finite: times of 1e-160 s made the
// fit's weights 1/TP² overflow (f = NaN), times 1e308 apart an infinite
// speedup, which JSON cannot carry.
const (
	minTime = 1e-15
	maxTime = 1e15
)

// Analyze computes the scaling report of ms. numCPU is the machine's core
// count (runtime.NumCPU()) against which oversubscription is judged; 0 or
// less disables that warning. ms must hold P = 1, distinct P >= 1, and
// positive finite times.
func Analyze(ms []Measurement, numCPU int) (*Report, error) {
	if len(ms) == 0 {
		return nil, errors.New("scaling: no measurements")
	}
	sorted := slices.Clone(ms)
	slices.SortFunc(sorted, func(x, y Measurement) int { return cmp.Compare(x.Procs, y.Procs) })
	if err := validate(sorted); err != nil {
		return nil, err
	}

	r := &Report{NumCPU: numCPU}
	base := sorted[0]
	var over, super, slow []string
	for _, m := range sorted {
		pt, isSuper, isSlow := point(base, m)
		if isSuper {
			super = append(super, fmt.Sprintf("P=%d (%.2f)", m.Procs, pt.Speedup))
		}
		if isSlow {
			slow = append(slow, fmt.Sprintf("P=%d (speedup %.2f)", m.Procs, pt.Speedup))
		}
		if numCPU > 0 && m.Procs > numCPU {
			over = append(over, fmt.Sprint(m.Procs))
		}
		r.Points = append(r.Points, pt)
	}
	if len(over) > 0 {
		r.Warnings = append(r.Warnings, oversubscribed(over, numCPU))
	}
	if len(super) > 0 {
		r.Warnings = append(r.Warnings, warnf(ErrSuperlinear,
			"speedup above P (superlinear) at %s: check for caching effects (the parallel run's data may fit in the combined caches) or a serial run doing extra work",
			strings.Join(super, ", ")))
	}
	if len(slow) > 0 {
		r.Warnings = append(r.Warnings, warnf(ErrSlowdown,
			"slower than P=1 at %s: overhead or contention outweighs the parallel work",
			strings.Join(slow, ", ")))
	}

	r.Amdahl = fitAmdahl(sorted)
	if w := fitWarning(r.Amdahl, sorted, len(super) > 0, len(slow) > 0); w != nil {
		r.Warnings = append(r.Warnings, w)
	}
	return r, nil
}

// validate checks measurements sorted by Procs: P >= 1, distinct, P = 1
// among them, and times that are positive finite numbers.
func validate(sorted []Measurement) error {
	for i, m := range sorted {
		if m.Procs < 1 {
			return fmt.Errorf("scaling: worker count %d is less than 1", m.Procs)
		}
		if i > 0 && sorted[i-1].Procs == m.Procs {
			return fmt.Errorf("scaling: worker count %d measured twice", m.Procs)
		}
		if !(m.Mean > 0) || math.IsInf(m.Mean, 0) {
			return fmt.Errorf("scaling: P=%d: mean time %v is not a positive number", m.Procs, m.Mean)
		}
		if m.Mean < minTime || m.Mean > maxTime {
			return fmt.Errorf("scaling: P=%d: mean time %g s is outside what a clock measures (%g s to %g s)", m.Procs, m.Mean, minTime, maxTime)
		}
		if !(m.Stdev >= 0) || math.IsInf(m.Stdev, 0) {
			return fmt.Errorf("scaling: P=%d: standard deviation %v is not a non-negative number", m.Procs, m.Stdev)
		}
		if m.Stdev > maxTime {
			return fmt.Errorf("scaling: P=%d: standard deviation %g s is outside what a clock measures (up to %g s)", m.Procs, m.Stdev, maxTime)
		}
	}
	if sorted[0].Procs != 1 {
		return fmt.Errorf("scaling: no measurement at P=1: speedup is relative to the serial time T1, so the worker counts must include 1")
	}
	return nil
}

// point returns the row of m against the serial measurement base, and
// whether m is superlinear or slower than base beyond the noise.
func point(base, m Measurement) (pt Point, super, slow bool) {
	p := float64(m.Procs)
	s := base.Mean / m.Mean
	pt = Point{Measurement: m, Speedup: s, Efficiency: s / p, KarpFlatt: math.NaN()}
	if m.Procs == 1 {
		return pt, false, false
	}
	pt.KarpFlatt = (1/s - 1/p) / (1 - 1/p)
	// Superlinear only when even the most pessimistic reading of the noise
	// (T1 one deviation lower, TP one higher) still beats P by the margin:
	// a speedup of 2.01 at P = 2 is noise, not caching.
	super = base.Mean-base.Stdev > (1+warnMargin)*p*(m.Mean+m.Stdev)
	// Slower only beyond the noise and the margin, by the same rule turned
	// around: a speedup of 0.99 is "no gain", which the efficiency column
	// already says.
	slow = m.Mean-m.Stdev > (1+warnMargin)*(base.Mean+base.Stdev)
	return pt, super, slow
}

// oversubscribed returns the warning that the worker counts over exceed
// the numCPU cores of the machine.
func oversubscribed(over []string, numCPU int) error {
	verb := "exceeds"
	if len(over) > 1 {
		verb = "exceed"
	}
	cores := "cores"
	if numCPU == 1 {
		cores = "core"
	}
	return warnf(ErrOversubscribed,
		"P=%s %s the %d %s of this machine (runtime.NumCPU): timings above %d measure oversubscription",
		strings.Join(over, ","), verb, numCPU, cores, numCPU)
}

// fitWarning returns the warning, or nil, that the Amdahl fit a deserves:
// none fitted (only P = base measured), or a serial fraction clamped while
// the data are clearly outside the law (super: a superlinear point beyond
// the noise; slow: a point slower than P = 1 beyond the noise). Within the
// noise, f = 0 or 1 is simply the law's best reading of the data.
func fitWarning(a Amdahl, sorted []Measurement, super, slow bool) error {
	switch {
	case !a.Fitted && len(sorted) < 2:
		return warnf(ErrNoFit,
			"only P=%d measured: Amdahl's law needs at least two worker counts", sorted[0].Procs)
	case !a.Fitted:
		lo, hi := sorted[0].Mean, sorted[0].Mean
		for _, m := range sorted {
			lo, hi = min(lo, m.Mean), max(hi, m.Mean)
		}
		return warnf(ErrNoFit,
			"no Amdahl fit: the times are %.3g times apart, too far for a least-squares fit in floating point", hi/lo)
	case a.Clamped && a.SerialFraction == 0 && super:
		return warnf(ErrClamped,
			"Amdahl fit: the law cannot describe times that fall faster than 1/P; serial fraction clamped to 0")
	case a.Clamped && a.SerialFraction == 1 && slow:
		return warnf(ErrClamped,
			"Amdahl fit: the law cannot describe times that grow with P; serial fraction clamped to 1")
	}
	return nil
}

// fitAmdahl fits TP = a + b/P with weights 1/TP² under a, b >= 0 and
// returns f = a/(a+b). ms is sorted by Procs, with distinct Procs.
func fitAmdahl(ms []Measurement) Amdahl {
	if len(ms) < 2 {
		return Amdahl{SerialFraction: math.NaN(), MaxSpeedup: math.NaN()}
	}
	var s, sx, sy, sxx, sxy float64
	for _, m := range ms {
		x, y := 1/float64(m.Procs), m.Mean
		w := 1 / (y * y)
		s += w
		sx += w * x
		sy += w * y
		sxx += w * x * x
		sxy += w * x * y
	}
	resid := func(a, b float64) float64 {
		var sum float64
		for _, m := range ms {
			d := (m.Mean - a - b/float64(m.Procs)) / m.Mean
			sum += d * d
		}
		return sum
	}
	// The x = 1/P are distinct, so det > 0 (Cauchy-Schwarz, strict).
	det := s*sxx - sx*sx
	a := (sxx*sy - sx*sxy) / det
	b := (s*sxy - sx*sy) / det
	f := a / (a + b)
	var out Amdahl
	out.Fitted = true
	switch {
	case math.Abs(f) < fracEpsilon && a+b > 0:
		f = 0
	case math.Abs(1-f) < fracEpsilon && a+b > 0:
		f = 1
	case a < 0 || b < 0:
		// The least-squares problem is convex, so its minimum over the
		// quadrant a, b >= 0 lies on one of the two edges when the free
		// minimum is outside: a = 0 (f = 0) or b = 0 (f = 1). Fit each
		// edge's single parameter and keep the better one.
		out.Clamped = true
		b0 := sxy / sxx // a = 0
		a0 := sy / s    // b = 0
		if resid(0, b0) <= resid(a0, 0) {
			f = 0
		} else {
			f = 1
		}
	}
	if math.IsNaN(f) {
		// Times many orders of magnitude apart (the weights 1/TP² span
		// their square) cancel every digit of the sums: no fit, and a
		// warning says why, rather than f = NaN printed as a result.
		return Amdahl{SerialFraction: math.NaN(), MaxSpeedup: math.NaN()}
	}
	out.SerialFraction = f
	out.MaxSpeedup = 1 / f // +Inf for f = 0, as documented
	return out
}
