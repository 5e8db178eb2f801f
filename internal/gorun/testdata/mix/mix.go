// Package mix is issue 9's fixture: a pure function whose result a
// snippet may discard. The compiler, inlining it, deleted its loop when
// the result was dropped: the measured time was that of an empty loop.
package mix

// Mix runs n steps of a linear congruential generator.
func Mix(n int) uint64 {
	var x uint64 = 1
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// Sink receives results that the snippet keeps.
var Sink uint64

// Mix2 is Mix's twin, so that one statement can call both, one result
// discarded and one kept, and a profile compare their times in one run.
func Mix2(n int) uint64 {
	var x uint64 = 1
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}
