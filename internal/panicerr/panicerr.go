// Package panicerr holds what par and lazy share about panics in the code
// they call on worker goroutines: a panic must never crash the process from
// a worker, so every call that may panic is wrapped, and the panic becomes
// a value (par.PanicError) raised again in the caller's goroutine.
//
// The panic type itself stays par.PanicError, its public name; this package
// only keeps the one copy of the wrapping code, which needs the type's
// constructor as a function to stay free of an import cycle.
package panicerr

import "github.com/gospeedup/speedup/diag"

// TaskEnd reports t to o.TaskEnd. If the observer panics, it returns
// wrap(value) and true: wrap runs in the deferred function that recovered,
// so a stack it takes is the observer's. TaskEnd runs after the task's own
// recover, which is why an observer's panic must be caught here.
func TaskEnd[P any](o diag.Observer, t diag.Task, wrap func(v any) P) (p P, panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			p, panicked = wrap(v), true
		}
	}()
	o.TaskEnd(t)
	return p, false
}
