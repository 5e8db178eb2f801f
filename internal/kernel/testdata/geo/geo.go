// Package geo is a package for the kernel's tests with -C: cells declare
// functions that call its unexported ones, and %lprun profiles both.
package geo

// sq is unexported: only cells inside the package can call it.
func sq(x float64) float64 {
	return x * x
}

// Sum adds up xs.
func Sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// point is a type whose methods cells may declare.
type point struct{ x, y float64 }
