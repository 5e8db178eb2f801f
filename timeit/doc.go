// Package timeit is IPython's %timeit for Go: an engine that times a
// statement the way IPython does, the statistics on the runs, and the
// formatting of the result down to the byte.
//
// The engine is [Measure]: without a loop count it picks the first power of
// ten whose run takes at least 0.2 s (IPython's autorange), then takes
// Repeat runs (7 by default) of that many loops. [Func] and [FuncSetup] drive
// it in process for a func(); the speedup CLI drives it with a [Sampler]
// that runs a snippet in a child process.
//
// A [Result] prints as IPython's line:
//
//	82.7 µs ± 1.2 µs per loop (mean ± std. dev. of 7 runs, 10,000 loops each)
//
// and also gives what a Go engineer wants on top: the median with a 95%
// confidence interval, allocations and bytes per loop ([Result.Verbose]),
// Go benchmark lines for benchstat ([Result.Benchstat]) and JSON.
//
// Size sweeps are described by [Param] (parsed by [ParseParam]), fitted to a
// power law by [FitPower] and drawn by [PlotSweep].
package timeit
