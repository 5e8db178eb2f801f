// Package oncethen is a statement that works once per process and then
// ends it: lprun's counted run (one run) succeeds and its timing process
// (many runs) ends without results, which sends that process's own
// error output to the user.
package oncethen

import (
	"fmt"
	"os"
)

var calls int

// Once returns 1 the first time it is called in a process; the second
// time it says so on standard error and exits with status 3.
func Once() int {
	calls++
	if calls > 1 {
		fmt.Fprintln(os.Stderr, "oncethen: called twice")
		os.Exit(3)
	}
	return 1
}
