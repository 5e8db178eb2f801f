// Package gorun builds and runs user Go code for speedup's commands: it
// turns snippets (Go statements typed on a command line, or cells) into
// generated files, builds them as part of a user's package without
// touching the user's tree, runs the program as a child that speaks one
// protocol, and maps the compiler's and the runtime's complaints back to
// the snippet. cmd/cover is the model: the generated text is small, the
// runtime it needs is real Go code (package child).
//
// Everything generated reaches the go command through "-overlay" and a
// private temporary directory: nothing is ever written into the user's
// tree or module cache, and in workspace mode the go command gets a copy
// of the workspace file, so that not even go.work.sum is written.
//
// # Finding the package
//
// [ResolvePackage] checks a -C DIR argument and returns its [Package]: the
// absolute directory, the package name (which the generated files must
// use), the module root and the test files to hide. Its errors are one
// line, meant for the user ("missing directory ...", "no Go package in
// ...", "... is not inside a module").
//
// # Building
//
// [Build] builds the package in [BuildOptions].Dir, as its Mode says: a
// test binary of the package without its own tests (ModeSnippet, the
// default: the generated files bring the TestMain), a test binary with
// them (ModeTests), or the command of a main package (ModeCommand). The
// generated files are passed by name in BuildOptions.Files (or as Build's
// last two arguments, for one file); a file holding the line
// "//speedup:harness NAME" brings the files of that harness of package
// child (timeit, lprun, program: see [HarnessFiles]). With an empty Dir
// the files form a temporary module ("module speedupsnippet", package
// [TempPackage]), so that snippets can run without any package.
// BuildOptions.Overlay replaces (or, with a nil value, hides) further files
// of the package: this is how lprun compiles a rewritten copy of the
// user's files. Test binaries are built with -vet=off.
//
// Compile errors come back as a [*CompileError] whose Error is one line
// (the first error, plus "(and N more errors)", and the go command's fix
// when it proposes one, "...; to add it: go get example.com/x"), with
// positions in the snippet ("stmt:1:5") when the error lies in a block
// emitted by [Block] or [KeptBlock], and real file:line:col positions
// otherwise. Without a package (empty Dir) the errors that come from there
// being none carry the same hint for every command: use -C DIR. The
// returned [Program] runs the binary ([Program.Command], [Program.Start])
// and removes every temporary file ([Program.Close]).
//
// A program of one's own (the notebook kernel's, say) is built from
// generated files and run like this:
//
//	prog, err := gorun.Build(ctx, gorun.BuildOptions{Dir: dir, Mode: gorun.ModeCommand,
//		Files: map[string][]byte{"zz_cell.go": src}}, "", nil)
//	if err != nil { ... } // a *CompileError for the user's mistakes
//	defer prog.Close()
//	cmd := prog.Command(ctx, args...) // an *exec.Cmd: set its streams, Run it
//
// # Children
//
// [Program.Command] starts the program in a process group of its own
// (unless speedup's standard input is a terminal, which the program may
// read), and cancelling the context kills the whole group: the program and
// whatever it started. [Program.Start] also opens the protocol of package
// child: JSON requests on the child's file descriptor 3, JSON replies on
// descriptor 4 (the wire types, child.Request and child.Reply, are one
// declaration compiled into both sides), and a copy of the runtime's crash
// report on descriptor 5 (runtime/debug.SetCrashOutput), so that a crash no
// recover catches comes back as a [*CrashError] located in the snippet.
// A panic of the snippet is recovered by the child and comes back as a
// [*PanicError] with the snippet's line. The snippet's stdin, stdout and
// stderr stay the user's.
//
// # Snippets
//
// [Block] prepares Go statements to be pasted into a function body: it
// parses them as a block on their own (code that closes the function
// around it, "} ; func _() {", is a syntax error at stmt:1:1), reports
// syntax errors with the snippet's positions, prefixes the code with a
// /*line NAME:1:1*/ directive so that compiler errors and panics point into
// the snippet, and appends "_ = v" for the variables the statements
// declare at top level so that "declared and not used" never fires.
// [KeptBlock] is Block for measured code: every discarded result, at any
// depth, is kept alive, so that the compiler cannot delete the work being
// measured. [CheckStmt] checks a statement and its setup before anything
// is generated. [AddImports] adds the imports the snippet needs
// (golang.org/x/tools/imports) without reformatting the file, which would
// move the snippet's columns.
//
// # Timing
//
// [TimeitFile] generates the timeit harness's file, whose TestMain serves
// timing requests, each running the setup and then exactly N loops of the
// statement inside testing.Benchmark with b.Loop (so that the compiler's
// b.Loop keep-alive pass protects the timed work, and the figures agree
// with "go test -bench" by construction). A statement with loops or ifs at
// its top level (a cell) is compiled as a function body called from the
// loop, kept as KeptBlock keeps, because the keep-alive pass would
// otherwise pin every variable of its inner loops to memory; so is one
// with a defer, so that its deferred calls run at the end of each loop. A
// return, break or continue that would leave the loop is a
// [*CompileError]. [Program.StartTimer] starts the binary and returns a
// [Timer] whose Run method gives the totals of one run; gorun does not
// import package timeit, and the command adapts a Timer to a
// timeit.Sampler.
package gorun
