// Package names holds functions that pprof and stack traces name in their
// own way: function literals (Pipeline.func1) and promoted methods
// (Outer.Do, the method Do of the embedded Inner).
package names

import "strings"

// Pipeline doubles and adds xs through a function literal.
func Pipeline(xs []int) int {
	double := func(x int) int { // want 1
		return 2 * x // want 3
	}
	sum := 0               // want 1
	for _, x := range xs { // want 4
		sum += double(x) // want 3
	}
	return sum // want 1
}

// Inner has the method that Outer and Deep promote.
type Inner struct{ n int }

// Do adds 0..k-1 to the count.
func (in *Inner) Do(k int) int {
	for i := range k { // want 3
		in.n += i // want 2
	}
	return in.n // want 1
}

// Outer embeds Inner.
type Outer struct {
	Inner
	name string
}

// Deep embeds Outer through a pointer, and a strings.Builder.
type Deep struct {
	*Outer
	strings.Builder
}

// Doer is an interface with Do.
type Doer interface{ Do(int) int }

// Holder gets Do from an interface: there is no body to profile.
type Holder struct{ Doer }

// Both gets Do from two embedded types at the same depth.
type Both struct {
	Inner
	Other
}

// Other has its own Do.
type Other struct{}

// Do returns k.
func (Other) Do(k int) int { return k }
