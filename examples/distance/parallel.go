package distance

import (
	"context"
	"math"

	"github.com/gospeedup/speedup/par"
)

// PairwiseParallel returns the same matrix as Pairwise(X), bit for bit,
// computing its rows on parallel workers with par.For (opts are passed on:
// par.Workers, par.Observe, ...).
//
// Rows are independent, so they split across workers with no sharing but
// the read-only X; each element is computed by the very loop of Pairwise,
// in the same order of floating-point operations, which is why the result
// is identical and not merely close. It returns an error only when ctx is
// cancelled.
func PairwiseParallel(ctx context.Context, X Matrix, opts ...par.Option) (Matrix, error) {
	M := len(X)
	D := make(Matrix, M)
	err := par.For(ctx, M, func(ctx context.Context, i int) error {
		D[i] = pairwiseRow(X, i)
		return nil
	}, append([]par.Option{par.Name("distance row")}, opts...)...)
	if err != nil {
		return nil, err
	}
	return D, nil
}

// pairwiseRow is row i of Pairwise(X), written exactly as Pairwise's inner
// loops (do not "optimize" one without the other: any change in the order
// of operations changes the last bits of the result).
func pairwiseRow(X Matrix, i int) []float64 {
	M := len(X)
	row := make([]float64, M)
	for j := 0; j < M; j++ {
		d := 0.0
		for k := range X[i] {
			tmp := X[i][k] - X[j][k]
			d += tmp * tmp
		}
		row[j] = math.Sqrt(d)
	}
	return row
}

// RandMatrix returns an m x n matrix of numbers drawn uniformly from
// [0, 1), like numpy.random.rand(m, n), for benchmarks and programs outside
// this package.
func RandMatrix(m, n int) Matrix { return randMatrix(m, n) }

// EqualBits reports whether m and o hold the same float64 values bit for
// bit: the promise PairwiseParallel makes about Pairwise (the same
// operations in the same order per element), which == would check only
// loosely (it accepts -0 for +0 and rejects NaN for NaN).
func (m Matrix) EqualBits(o Matrix) bool {
	if len(m) != len(o) {
		return false
	}
	for i := range m {
		if len(m[i]) != len(o[i]) {
			return false
		}
		for j := range m[i] {
			if math.Float64bits(m[i][j]) != math.Float64bits(o[i][j]) {
				return false
			}
		}
	}
	return true
}
