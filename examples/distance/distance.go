// Package distance is a faithful Go port of the tutorial's distance(): the
// pairwise Euclidean distances between the rows of a random 100x100 matrix,
// computed with a triple loop. Later steps profile it line by line and make
// it parallel.
package distance

import (
	"math"
	"math/rand/v2"
)

// Matrix is a dense row-major matrix of float64.
type Matrix [][]float64

// randMatrix returns an m x n matrix of numbers drawn uniformly from [0, 1),
// like numpy.random.rand(m, n).
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

// empty returns an m x n matrix of zeros, like numpy.empty((m, n)) (Go
// memory is always initialised).
func empty(m, n int) Matrix {
	x := make(Matrix, m)
	for i := range x {
		x[i] = make([]float64, n)
	}
	return x
}

// distance is the tutorial's function, line for line.
func distance() Matrix {
	X := randMatrix(100, 100)
	D := empty(100, 100)

	M := len(X)
	N := len(X[0])
	for i := 0; i < M; i++ {
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

// Pairwise returns the matrix of Euclidean distances between the rows of X.
func Pairwise(X Matrix) Matrix {
	M := len(X)
	D := make(Matrix, M)
	for i := range D {
		D[i] = make([]float64, M)
		for j := 0; j < M; j++ {
			d := 0.0
			for k := range X[i] {
				tmp := X[i][k] - X[j][k]
				d += tmp * tmp
			}
			D[i][j] = math.Sqrt(d)
		}
	}
	return D
}

// Distance runs the tutorial's distance() and returns its result; it exists
// so that other packages (and timeit without -C) can call it.
func Distance() Matrix { return distance() }
