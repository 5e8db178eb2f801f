package child

import _speedup_runtime "runtime"

// _speedup_keep keeps v alive: the compiler may not delete the work that
// computed it, even when nothing else uses it (a pure function's result
// that the snippet discards). It is what the compiler's b.Loop pass does
// for the statements directly in a b.Loop body, done for the code it does
// not reach (see gorun.KeptBlock). runtime.KeepAlive of a value that does
// not escape costs a store to a stack slot; the function is inlined.
func _speedup_keep[T any](v T) { _speedup_runtime.KeepAlive(v) }
