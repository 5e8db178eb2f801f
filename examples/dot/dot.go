// Package dot is the tutorial's first measurement in Go: a dot product whose
// time grows linearly with the length of its vectors.
//
//	speedup timeit -C ./examples/dot -s 'x := Rand(n)' --param n=1e4,1e5,1e6 'Dot(x, x)'
package dot

import "math/rand/v2"

// Dot returns the dot product of x and y, which must have the same length.
func Dot(x, y []float64) float64 {
	if len(x) != len(y) {
		panic("dot: vectors of different lengths")
	}
	s := 0.0
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// Rand returns a vector of n numbers drawn uniformly from [0, 1), like
// numpy.random.rand(n).
func Rand(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rand.Float64()
	}
	return x
}
