// Package initcalls calls a profiled function during package
// initialisation: those calls are not the statement's, and its hits must
// not include them (nor those of the harness and the testing package, which
// call standard functions such as strings.Contains before the statement).
package initcalls

var sink int

func init() {
	Twice()
	Twice()
}

// Twice is called twice by init and once by the statement.
func Twice() {
	sink++ // want 1
}
