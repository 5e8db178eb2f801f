// Package gorun builds and runs user Go code for speedup's commands: it turns
// snippets (Go statements typed on a command line) into a test file, builds
// that file as part of a user's package without touching the user's tree,
// and maps the compiler's complaints back to the snippet.
//
// Everything generated reaches the go command through "go test -overlay" and
// a private temporary directory: nothing is ever written into the user's
// tree or module cache. The existing *_test.go files of the package are
// hidden through the overlay, so that the user's tests neither run, nor can
// break the build, nor clash with the generated TestMain.
//
// # Finding the package
//
// [ResolvePackage] checks a -C DIR argument and returns its [Package]: the
// absolute directory, the package name (which the generated file must use),
// the module root and the test files to hide. Its errors are one line, meant
// for the user ("missing directory ...", "no Go package in ...", "... is
// not inside a module").
//
// # Building
//
// [Build] builds a test binary ("go test -c") for the package in
// [BuildOptions].Dir with one generated in-package test file added; with an
// empty Dir it builds in a temporary module ("module speedupsnippet",
// package [TempPackage]) so that snippets can run without any package.
// BuildOptions.Overlay replaces (or, with a nil value, hides) further files
// of the package: this is how an instrumenting command can compile a
// rewritten copy of the user's files. Compile errors come back as a
// [*CompileError] whose Error is one line (the first error, plus "(and N
// more errors)"), with positions in the snippet ("stmt:1:5") when the error
// lies in a block emitted by [Block], and real file:line:col positions
// otherwise. The returned [Program] runs the binary ([Program.Command]) and
// removes every temporary file ([Program.Close]).
//
// # Snippets
//
// [Block] prepares Go statements to be pasted into a function body: it
// reports syntax errors with the snippet's positions, prefixes the code with
// a /*line NAME:1:1*/ directive so that compiler errors and panics point into
// the snippet, and appends "_ = v" for the variables the statements declare
// at top level so that "declared and not used" never fires.
// [AddImports] adds the imports the snippet needs (golang.org/x/tools/imports)
// without reformatting the file, which would move the snippet's columns.
//
// # Timing
//
// [Snippet] and [TimeitFile] generate the timeit harness: a TestMain that
// serves timing requests, each running the setup and then exactly N loops of
// the statement inside testing.Benchmark with b.Loop (so that the compiler's
// b.Loop keep-alive pass protects the timed work, and the figures agree with
// "go test -bench" by construction). A statement with loops or ifs at its
// top level (a cell) is compiled as a function body called from the loop,
// its top-level variables kept alive, because the keep-alive pass would
// otherwise pin every variable of its inner loops to memory; so is one with
// a defer, so that its deferred calls run at the end of each loop. A return,
// break or continue that would leave the loop is a [*CompileError]. [Program.StartTimer] starts the binary
// and returns a [Timer] whose Run method (the heart of a timeit.Sampler)
// talks to it over file descriptors 3 and 4, leaving the snippet's stdin, stdout and stderr to the
// user. A panic in the snippet comes back as a [*PanicError] with the
// snippet's line; a crash no recover catches (a fatal error of the runtime,
// a panic on a goroutine the snippet started) as a [*CrashError], located
// from a copy of the runtime's report (runtime/debug.SetCrashOutput).
package gorun
