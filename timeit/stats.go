package timeit

import (
	"fmt"
	"math"
	"slices"
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
// confidence interval at the given level, the summary benchstat prints
// (golang.org/x/perf/benchmath's AssumeNothing). A bound is -Inf or +Inf
// when the sample is too small for the level; warn then says how many
// samples are needed, in benchmath's words.
//
// The interval is the pair of order statistics that covers the median with
// probability >= confidence under the binomial distribution B(n, 1/2), grown
// from the mode outwards with a bias to the left on ties, as
// go-moremath's QuantileCI does, with the same arithmetic, so that up to 30
// samples the interval is benchstat's to the bit (xperf_test.go checks
// it). Above 30 samples QuantileCI switches to a normal approximation;
// this keeps summing the binomial, which is exact rather than
// approximate. It lives here rather than being imported because
// benchmath's dependency (go-moremath) is not in this module's go.sum.
func medianCI(xs []float64, confidence float64) (median, lo, hi float64, warn error) {
	n := len(xs)
	if n == 0 {
		return math.NaN(), math.Inf(-1), math.Inf(1), fmt.Errorf("no samples")
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n%2 == 1 {
		median = s[n/2]
	} else {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	l, r := medianOrders(n, confidence)
	lo, hi = math.Inf(-1), math.Inf(1)
	if l >= 1 {
		lo = s[l-1]
	}
	if r-1 < n {
		hi = s[r-1]
	}
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		op, need := medianSamplesNeeded(confidence)
		warn = fmt.Errorf("need %s %d samples for confidence interval at level %v", op, need, confidence)
	}
	return median, lo, hi, warn
}

// medianOrders returns the 1-based order statistics [l, r] bounding the
// median's confidence interval in a sample of n; l < 1 or r > n mean an
// unbounded side.
func medianOrders(n int, confidence float64) (l, r int) {
	pmf := func(k int) float64 { return binomHalfPMF(n, k) }
	x := int(math.Ceil(float64(n+1)*0.5)) - 1
	accum := pmf(x)
	l, r = x, x+1
	lp, rp := pmf(l-1), pmf(r)
	for accum < confidence && (lp > 0 || rp > 0) {
		if lp >= rp { // left bias on ties, as QuantileCI
			accum += lp
			l--
			lp = pmf(l - 1)
		} else {
			accum += rp
			r++
			rp = pmf(r)
		}
	}
	return max(l, 0), min(r, n+1)
}

// medianSamplesNeeded is benchmath's medianSamples: the smallest sample
// giving a finite interval at the confidence level.
func medianSamplesNeeded(confidence float64) (op string, n int) {
	const limit = 50
	for n = 2; n <= limit; n++ {
		l, r := medianOrders(n, confidence)
		if 0 < l && r <= n {
			return ">=", n
		}
	}
	return ">", limit
}

// binomHalfPMF is P(X = k) for X ~ B(n, 1/2), computed exactly as
// go-moremath's BinomialDist.PMF computes it: an exact binomial coefficient
// up to n = 20, exp(lgamma(n+1) - lgamma(k+1) - lgamma(n-k+1)) beyond. The
// latter is not exactly symmetric in k and n-k, and the interval search
// breaks ties between its two sides by comparing PMFs, so reproducing the
// rounding is what makes the interval equal to benchstat's for n in 21..30
// rather than merely as valid.
func binomHalfPMF(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	if n > 30 {
		// Beyond benchmath's exact range: stay in log space, where
		// C(n, k) and 2^-n cannot overflow or underflow to 0·Inf.
		a, _ := math.Lgamma(float64(n + 1))
		b, _ := math.Lgamma(float64(k + 1))
		c, _ := math.Lgamma(float64(n - k + 1))
		return math.Exp(a - b - c - float64(n)*math.Ln2)
	}
	return choose(n, k) * math.Pow(0.5, float64(k)) * math.Pow(0.5, float64(n-k))
}

// choose is go-moremath's mathx.Choose.
func choose(n, k int) float64 {
	if k == 0 || k == n {
		return 1
	}
	if n <= 20 { // 20! fits in 62 bits
		numer, denom := int64(1), int64(1)
		for i := int64(n - (k - 1)); i <= int64(n); i++ {
			numer *= i
		}
		for i := int64(2); i <= int64(k); i++ {
			denom *= i
		}
		return float64(numer / denom)
	}
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return math.Exp(a - b - c)
}
