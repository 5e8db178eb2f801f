package child

import "testing"

// This file is not part of any child program: it declares what the
// generated file of each harness provides, so that package child compiles
// (and is vetted and tested) on its own. Its test replaces them.

// _speedup_params are the timeit parameters' variables, by name.
var _speedup_params = map[string]any{}

// _speedup_run runs the timeit setup, then the statement in b.Loop.
var _speedup_run = func(b *testing.B) {
	for b.Loop() {
	}
}

// _speedup_stmt runs lprun's setup, calls start, and runs the statement.
var _speedup_stmt = func(start func()) { start() }

// The instrumented files' counters, read by lprun's harnesses.
var (
	_speedup_counts = func() map[string][]uint64 { return nil }
	_speedup_times  = func() map[string][]int64 { return nil }
	_speedup_active = func() int64 { return 0 }
)

// The entry points, which the generated files call: uses for the tools
// that report unused code.
var _ = []any{_speedup_timeitMain, _speedup_lprunMain, _speedup_progInit, _speedup_loop, _speedup_dump, _speedup_exit, _speedup_keep[int]}
