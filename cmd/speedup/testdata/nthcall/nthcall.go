// Package nthcall is a statement that fails only on a later call in its
// process: the first calls succeed, so a measurement that took a short
// successful run for the whole would print a timing for a statement that
// panics or ends the program. The tests of timeit, scaling and the
// kernel's %timeit call its functions.
package nthcall

import (
	"fmt"
	"os"
	"runtime"
)

var calls int

// PanicOn returns 1 on every call but the nth of the process, which
// panics with the value "nthcall: call N".
func PanicOn(n int) int {
	calls++
	if calls == n {
		panic(fmt.Sprintf("nthcall: call %d", n))
	}
	return 1
}

// ExitOn returns 1 on every call but the nth of the process, which says
// so on standard error and exits with status 3.
func ExitOn(n int) int {
	calls++
	if calls == n {
		fmt.Fprintf(os.Stderr, "nthcall: exit on call %d\n", n)
		os.Exit(3)
	}
	return 1
}

// CrashOn returns 1 on every call but the nth of the process, which
// crashes it with a fatal error no recover catches (a panic on a
// goroutine of its own).
func CrashOn(n int) int {
	calls++
	if calls == n {
		done := make(chan bool)
		go func() {
			defer close(done)
			panic(fmt.Sprintf("nthcall: crash on call %d", n))
		}()
		<-done
	}
	return 1
}

// GoexitOn returns 1 on every call but the nth of the process, which
// ends the calling goroutine with runtime.Goexit.
func GoexitOn(n int) int {
	calls++
	if calls == n {
		runtime.Goexit()
	}
	return 1
}
