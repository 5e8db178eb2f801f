// Package broken does not compile: lprun --exact-time must report the
// error at this file's line and column, not in an instrumented copy.
package broken

func F() int {
	x := 1
	return 0
}
