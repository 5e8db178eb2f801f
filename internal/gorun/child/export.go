// Package child holds the code that speedup adds to the programs it
// builds and runs (the "child" programs): the timing harness of timeit, the
// harnesses of lprun, and their end of the parent/child protocol. Its
// files, except this one and stub.go, are copied into each child program
// with the package clause substituted (see gorun.HarnessFiles); compiling
// them here as a package of their own is what lets gofmt, vet, staticcheck
// and unit tests see them.
//
// Every identifier starts with _speedup_ so that it clashes with nothing in
// the user's package. The wire types are exported below under plain names
// for the parent's side (package gorun): both sides use the same
// declarations.
package child

// The wire types, for the parent.
type (
	Request       = _speedup_request
	TimeitRequest = _speedup_timeitRequest
	LprunRequest  = _speedup_lprunRequest
	Target        = _speedup_target
	Reply         = _speedup_reply
	Panic         = _speedup_panic
	TimeitReply   = _speedup_timeitReply
	LprunReply    = _speedup_lprunReply
	LineTime      = _speedup_lineTime
	Batch         = _speedup_batch
)
