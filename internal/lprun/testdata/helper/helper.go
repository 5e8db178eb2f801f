// Package helper is issue 9's second keep-alive fixture: a small helper,
// inlined into the loop of the function that calls it. When the
// statement discarded Loop's result, the compiler deleted the helper's
// work, which then showed 0 time, where the kept form gives it most.
package helper

// step is one step of a xorshift* generator, small enough to be inlined.
func step(x uint64) uint64 {
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	return x * 0x2545F4914F6CDD1D
}

// Loop runs n steps.
func Loop(n int) uint64 {
	var x uint64 = 1
	for i := 0; i < n; i++ {
		x = step(x)
	}
	return x
}

// Sink receives results that the statement keeps.
var Sink uint64

// step2 and Loop2 are step's and Loop's twins, so that one statement can
// discard one result and keep the other, and one profile time both.
func step2(x uint64) uint64 {
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	return x * 0x2545F4914F6CDD1D
}

// Loop2 runs n steps, as Loop does.
func Loop2(n int) uint64 {
	var x uint64 = 1
	for i := 0; i < n; i++ {
		x = step2(x)
	}
	return x
}
