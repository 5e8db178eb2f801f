// Package incadd is the tutorial's first task graph: two slow increments
// and a slow addition. Called one after the other they take three delays;
// as a graph, the two increments run at once and the whole takes two.
//
//	x := inc(1)
//	y := inc(2)
//	z := add(x, y) // 5
package incadd

import (
	"time"

	"github.com/gospeedup/speedup/lazy"
)

// Funcs returns the tutorial's inc and add, each sleeping d before it
// answers, standing in for real work of that duration.
func Funcs(d time.Duration) (inc func(int) int, add func(int, int) int) {
	inc = func(x int) int {
		time.Sleep(d)
		return x + 1
	}
	add = func(x, y int) int {
		time.Sleep(d)
		return x + y
	}
	return inc, add
}

// Serial computes add(inc(1), inc(2)) with plain calls: three delays.
func Serial(d time.Duration) int {
	inc, add := Funcs(d)
	x := inc(1)
	y := inc(2)
	return add(x, y)
}

// Graph returns the same computation as a lazy graph, z = add(x, y) with
// x = inc(1) and y = inc(2); nothing runs until lazy.Compute.
//
// The nodes are Named because inc and add are closures over d, whose
// function names ("Funcs.func1") would otherwise label the graph, the
// trace and the timeline.
func Graph(d time.Duration) *lazy.Node[int] {
	inc, add := Funcs(d)
	x := lazy.Call1(inc, lazy.Value(1)).Named("inc")
	y := lazy.Call1(inc, lazy.Value(2)).Named("inc")
	return lazy.Call2(add, x, y).Named("add")
}
