// Package libmain is lprun's --test fixture for a package with its own
// TestMain (in the external test package).
package libmain

// Double doubles each number.
func Double(xs []int) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = 2 * x
	}
	return out
}
