// Package directive has a function selected by a //speedup:profile
// comment, for lprun's tests.
package directive

// Square is profiled without -f.
//
//speedup:profile
func Square(n int) int {
	s := 0
	for range n {
		s += n
	}
	return s
}

// Plain is not profiled.
func Plain() int { return 1 }
