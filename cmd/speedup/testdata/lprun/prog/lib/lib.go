// Package lib is lprun's --test fixture.
package lib

// Sum adds xs.
func Sum(xs ...int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}
