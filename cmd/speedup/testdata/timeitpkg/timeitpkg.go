// Package timeitpkg is a fixture for speedup timeit's tests: an unexported
// function to time through -C, and one that panics.
package timeitpkg

// square is unexported: only a snippet run inside the package can call it.
func square(n int) int { return n * n }

// fail panics when n is above 2.
func fail(n int) int {
	if n > 2 {
		panic("fail " + string(rune('0'+n)))
	}
	return n
}
