// Package golden holds the functions of lprun's golden report tests: the
// distance port, a method, a generic function, a closure and a recursive
// function.
package golden

import (
	"math"
	"math/rand/v2"
)

// Matrix is a dense row-major matrix.
type Matrix [][]float64

func randMatrix(m, n int) Matrix {
	x := make(Matrix, m)
	for i := range x {
		x[i] = make([]float64, n)
		for j := range x[i] {
			x[i][j] = rand.Float64()
		}
	}
	return x
}

func distance() Matrix {
	X := randMatrix(20, 20)
	D := make(Matrix, len(X))

	M := len(X)
	N := len(X[0])
	for i := 0; i < M; i++ {
		D[i] = make([]float64, M)
		for j := 0; j < M; j++ {
			d := 0.0
			for k := 0; k < N; k++ {
				tmp := X[i][k] - X[j][k]
				d += tmp * tmp
			}
			D[i][j] = math.Sqrt(d)
		}
	}
	return D
}

// Acc accumulates numbers.
type Acc struct {
	n   int
	sum float64
}

// Add adds xs.
func (a *Acc) Add(xs ...float64) {
	for _, x := range xs {
		a.n++
		a.sum += x
	}
}

// Mean returns the mean of the numbers added.
func (a Acc) Mean() float64 {
	if a.n == 0 {
		return 0
	}
	return a.sum / float64(a.n)
}

// Sum adds numbers of any kind.
func Sum[T int | float64](xs []T) T {
	var s T
	for _, x := range xs {
		s += x
	}
	return s
}

// Apply maps xs through a closure and adds the results.
func Apply(xs []int) int {
	scale := 3
	f := func(x int) int {
		if x%2 == 0 {
			return x * scale
		}
		return x
	}
	t := 0
	for _, x := range xs {
		t += f(x)
	}
	return t
}

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func boom(n int) int {
	if n > 2 {
		panic("boom")
	}
	return n
}

// All calls everything once.
func All() {
	distance()
	var a Acc
	a.Add(1, 2, 3)
	_ = a.Mean()
	_ = Sum([]int{1, 2, 3})
	_ = Sum([]float64{1.5, 2.5})
	_ = Apply([]int{1, 2, 3, 4})
	_ = fib(6)
}
