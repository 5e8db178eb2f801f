package timeit

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Fit is the growth of the time per loop with a sweep parameter: time is
// about c·Param^Exponent, fitted by least squares in log-log space, with
// R2 the coefficient of determination of that fit (1 is a perfect power
// law).
type Fit struct {
	Param    string  `json:"param"`
	Exponent float64 `json:"exponent"`
	// R2 is NaN (null in JSON) when the fit rests on fewer than
	// MinR2Values distinct parameter values: a line through two points
	// fits them exactly whatever the times, so its R² of 1 would say
	// nothing about whether the growth is a power law.
	R2 float64 `json:"r2"`
	// Values is the number of distinct parameter values the fit rests on.
	Values int `json:"values"`
}

// MinR2Values is the fewest distinct parameter values whose fit has an R².
const MinR2Values = 3

// MarshalJSON writes R2 as null when it is NaN (JSON has no NaN).
func (f Fit) MarshalJSON() ([]byte, error) {
	type plain Fit
	return json.Marshal(struct {
		plain
		R2 *float64 `json:"r2"`
	}{plain(f), finiteOrNil(f.R2)})
}

// finiteOrNil is x, or nil (JSON null) for NaN and ±Inf.
func finiteOrNil(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// FitPower fits ys ≈ c·xs^k by least squares on (log x, log y) and returns
// k and R². Points where x or y is not positive (or not finite) have no
// logarithm and are skipped; at least two distinct x must remain. The
// returned Fit has an empty Param: the caller names it.
//
// When all remaining ys are equal the fit is exact with exponent 0 and R²
// is reported as 1 (the usual 1 - SSres/SStot is 0/0 there). With only two
// distinct x, R² is NaN (see Fit.R2).
func FitPower(xs, ys []float64) (Fit, error) {
	if len(xs) != len(ys) {
		return Fit{}, fmt.Errorf("fit: %d x values but %d y values", len(xs), len(ys))
	}
	var lx, ly []float64
	for i := range xs {
		x, y := xs[i], ys[i]
		if x > 0 && y > 0 && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
			lx = append(lx, math.Log(x))
			ly = append(ly, math.Log(y))
		}
	}
	seen := map[float64]bool{}
	for _, x := range lx {
		seen[x] = true
	}
	distinct := len(seen)
	if distinct < 2 {
		return Fit{}, errors.New("fit: need at least 2 distinct positive parameter values with positive times for a power law")
	}
	n := float64(len(lx))
	mx, my := fsum(lx)/n, fsum(ly)/n
	var sxx, sxy, syy float64
	for i := range lx {
		dx, dy := lx[i]-mx, ly[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	k := sxy / sxx
	r2 := 1.0
	switch {
	case distinct < MinR2Values:
		r2 = math.NaN()
	case syy > 0:
		var ssres float64
		for i := range lx {
			e := ly[i] - (my + k*(lx[i]-mx))
			ssres += e * e
		}
		r2 = 1 - ssres/syy
	}
	return Fit{Exponent: k, R2: r2, Values: distinct}, nil
}

// FitSweep fits the mean time per loop of each point against its X and
// names the fit param.
func FitSweep(param string, pts []SweepPoint) (Fit, error) {
	xs := make([]float64, 0, len(pts))
	ys := make([]float64, 0, len(pts))
	for _, p := range pts {
		if p.Result == nil {
			continue
		}
		xs = append(xs, p.X)
		ys = append(ys, p.Result.stats().mean)
	}
	f, err := FitPower(xs, ys)
	f.Param = param
	return f, err
}

// String is the line printed after a sweep: "time ~ n^1.02 (R² 0.999)",
// or, when R² is not defined, "time ~ n^1.02 (R² n/a: 2 values of n)".
func (f Fit) String() string {
	name := f.Param
	if name == "" {
		name = "x"
	}
	if math.IsNaN(f.R2) {
		return fmt.Sprintf("time ~ %s^%.2f (R\u00b2 n/a: %d values of %s)", name, f.Exponent, f.Values, name)
	}
	return fmt.Sprintf("time ~ %s^%.2f (R\u00b2 %.3f)", name, f.Exponent, f.R2)
}

// intercept returns log c of the fitted line log y = log c + k log x given
// the exponent, by least squares over the points; PlotSweep draws the line
// from it.
func intercept(xs, ys []float64, k float64) float64 {
	var sum []float64
	for i := range xs {
		if xs[i] > 0 && ys[i] > 0 {
			sum = append(sum, math.Log(ys[i])-k*math.Log(xs[i]))
		}
	}
	if len(sum) == 0 {
		return math.NaN()
	}
	return fsum(sum) / float64(len(sum))
}
