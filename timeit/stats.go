package timeit

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// fsum is Python's math.fsum: the correctly rounded sum of xs (Shewchuk's
// algorithm with CPython's final half-even correction). IPython computes
// the mean and the standard deviation with fsum; using the same sum makes
// our line equal to IPython's for the same run times, not merely close.
func fsum(xs []float64) float64 {
	var partials []float64
	for _, x := range xs {
		i := 0
		for _, y := range partials {
			if math.Abs(x) < math.Abs(y) {
				x, y = y, x
			}
			hi := x + y
			lo := y - (hi - x)
			if lo != 0 {
				partials[i] = lo
				i++
			}
			x = hi
		}
		partials = append(partials[:i], x)
	}
	n := len(partials)
	if n == 0 {
		return 0
	}
	n--
	hi := partials[n]
	lo := 0.0
	for n > 0 {
		x := hi
		n--
		y := partials[n]
		hi = x + y
		yr := hi - x
		lo = y - yr
		if lo != 0 {
			break
		}
	}
	// Round half to even when the remaining partials push the exact sum
	// past the halfway point between two floats.
	if n > 0 && ((lo < 0 && partials[n-1] < 0) || (lo > 0 && partials[n-1] > 0)) {
		y := lo * 2
		x := hi + y
		if y == x-hi {
			hi = x
		}
	}
	return hi
}

// meanStdev returns IPython's average and stdev: the mean and the
// population standard deviation (numpy.std's default, ddof=0), both
// computed with fsum.
func meanStdev(xs []float64) (mean, stdev float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	n := float64(len(xs))
	mean = fsum(xs) / n
	sq := make([]float64, len(xs))
	for i, x := range xs {
		sq[i] = (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(fsum(sq) / n)
}

// ciConfidence is the confidence level of the median's interval.
const ciConfidence = 0.95

// medianCI returns the median of xs and the bounds of its distribution-free
// confidence interval at the given level: the summary benchstat prints,
// computed by benchstat's own library so that our -v figures and a
// benchstat table of the same runs agree. A bound is -Inf or +Inf when the
// sample is too small for the level; warn then says how many samples are
// needed, in benchmath's words. xs is not modified (NewSample sorts its
// argument in place, so it gets a copy).
func medianCI(xs []float64, confidence float64) (median, lo, hi float64, warn error) {
	if len(xs) == 0 {
		return math.NaN(), math.Inf(-1), math.Inf(1), fmt.Errorf("no samples")
	}
	s := benchmath.AssumeNothing.Summary(benchmath.NewSample(slices.Clone(xs), &benchmath.DefaultThresholds), confidence)
	if len(s.Warnings) > 0 {
		warn = s.Warnings[0]
	}
	return s.Center, s.Lo, s.Hi, warn
}
