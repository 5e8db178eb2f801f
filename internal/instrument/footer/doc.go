// Package footer is the counting runtime that the instrumenter appends to
// each instrumented file (see package instrument): its files, except this
// one and stub.go, are real Go so that gofmt, vet and tests see them. In
// an instrumented file, the suffix _ID of every identifier becomes the
// file's id, the imports move to the package clause's line (no line of
// the user's file may move), and the constant _lpNS_ID is the number of
// the file's counters.
package footer
