// Package lprun runs "speedup lprun" as a one-way pipeline:
//
//	resolve  the functions to profile (-f, -m, //speedup:profile) and the
//	         package that runs (-C, --run, --test);
//	plan     instrument their files and generate the child program's files:
//	         one build counts hits, one untouched build measures time;
//	measure  build both and run them through internal/gorun's child
//	         protocol: the instrumented build once, for the hits, the plain
//	         build repeatedly under the samplers, for the time;
//	assemble the counts and samples into a lineprof.Profile, a pure
//	         function of plain data (see Assemble).
//
// The same pipeline serves the three targets: a statement (the harness's
// TestMain runs it), a command (--run: its main is hooked) and a package's
// tests (--test: TestMain is hooked). Nothing is written into the user's
// tree. docs/lprun.md describes the design and its error.
package lprun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gospeedup/speedup/internal/durfmt"
	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/lineprof"
)

// Options configure a profiling session.
type Options struct {
	// Stmt is the Go statements to run, and Setup statements run before
	// them in each run, outside the timing and outside the hits.
	Stmt, Setup string
	// Scopes enclose the setup and the statement (see gorun.OpenScopes).
	Scopes []gorun.Scope
	// Dir is the package the statement runs in (-C); empty runs it in a
	// temporary module, and functions must then be package-qualified.
	Dir string
	// Overlay adds files to Dir's package, or replaces its files, for a
	// statement: absolute path -> contents, as "go build -overlay" takes
	// them (a nil value hides a file). Its Go files are part of the
	// package for everything lprun does: -f finds their functions, both
	// builds compile them, the report shows their lines. The kernel
	// passes its cells' declarations this way, so that nothing is written
	// into the user's package.
	Overlay map[string][]byte
	// Imports are import specs as a Go file spells them (`pairs
	// "example.com/distance"`, `"math/rand/v2"`) that the statement and
	// the setup may use without importing: the generated file imports
	// those it uses (goimports cannot guess a renamed one), and -f may
	// name their packages by these names (-f pairs.Pairwise). The kernel
	// passes the cells' imports.
	Imports []string
	// Program, when set, profiles a program or a package's tests instead
	// of a statement.
	Program *Program
	// Funcs are -f arguments; Pkgs are -m packages, all of whose functions
	// are profiled. Functions marked //speedup:profile in the package that
	// runs are always added.
	Funcs, Pkgs []string
	// Tags and Race pass through to the go command.
	Tags string
	Race bool
	// MaxTime caps the repeated timing runs (default 5s; at least one run
	// is made), which stop earlier once every function that ran has
	// enough samples; Interval is the stack snapshots' starting period
	// (default 5ms), raised when they slow the runs.
	MaxTime  time.Duration
	Interval time.Duration
	// ExactTime times every line event of the one instrumented run with
	// the runtime's clock, like line_profiler, instead of sampling the
	// plain build; the clock's cost is then part of the times.
	ExactTime bool
	// Stdin, Stdout and Stderr are the counted run's (a statement's or the
	// program's own input and output); the timing runs' output is
	// discarded and their input is empty.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Program is a whole program (--run) or a package's tests (--test), the
// way kernprof profiles a script.
type Program struct {
	// Test selects the package's tests (Args are test flags such as -run
	// TestX) instead of the command of a main package.
	Test bool
	// Pkg is the package ("./cmd/x", "./pkg"), relative to the current
	// directory.
	Pkg string
	// Args are the program's (or the test binary's) arguments.
	Args []string
}

// Result is a session's outcome.
type Result struct {
	Profile *lineprof.Profile
	// Panic is set when the statement panicked; the profile then covers
	// what ran.
	Panic *gorun.PanicError
	// InstrumentedNS is the wall time of the instrumented run; PlainNS the
	// mean wall time of the plain runs, Runs their number.
	InstrumentedNS, PlainNS int64
	Runs                    int
	// Batches counts the batches the runs were made in (see Runs).
	Batches int
	// Samples counts the stack snapshots taken while the statement ran;
	// CPUSamples the CPU profile's samples in profiled functions.
	Samples    int
	CPUSamples int64
	// TotalErr is the stated relative error (95%) of Total time, PctErr
	// that of % Time in points: the sampling error, or the spread of
	// independent pairs of batches when larger.
	TotalErr, PctErr float64
	// Slowdown is how much slower the runs were with the stack snapshots
	// than without (0.02: 2%), at their final period IntervalNS, and
	// SlowdownErr its error (95%), measured over SlowPairs pairs of
	// batches (none: not measured); the times come from the runs without.
	Slowdown, SlowdownErr float64
	SlowPairs             int
	IntervalNS            int64
	// CapHit says that --max-time ended the runs before every function
	// that ran had enough samples.
	CapHit bool
	// BuildTime is the wall time of the two (concurrent) builds.
	BuildTime time.Duration
}

// ProgramExitError reports that the profiled program exited with a
// non-zero status; the profile of what ran is still returned.
type ProgramExitError struct{ Code int }

// Error says which status the program exited with.
func (e *ProgramExitError) Error() string {
	return fmt.Sprintf("the profiled program exited with status %d", e.Code)
}

// InputError is an error in what the user asked for (a function that does
// not exist, a malformed name): the command reports it like a usage error.
type InputError struct{ Err error }

// Error returns the underlying message.
func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// RunError is a failure of the profiled code while it ran: a panic (a
// *gorun.PanicError in Err) or runtime.Goexit on a run after the counted
// one, a crash, an exit before the results. It is no fault of the build:
// a notebook reports it as the code's error.
type RunError struct{ Err error }

// Error returns the underlying message.
func (e *RunError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *RunError) Unwrap() error { return e.Err }

func inputErr(format string, args ...any) error {
	return &InputError{fmt.Errorf(format, args...)}
}

// cpuHz is the CPU profiling rate asked for: the kernel tick caps it at 250
// on common Linux configurations, and a higher request would make the
// runtime count each sample for less time than it stands for.
const cpuHz = 250

// Run profiles o's statement or program.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	if len(o.Overlay) > 0 && (o.Dir == "" || o.Program != nil) {
		return nil, errors.New("lprun: an overlay needs a statement run in a package (Dir)")
	}
	if o.Program == nil {
		// The statement's syntax, before any slow step: a block on its
		// own, which neither returns nor leaves its loop.
		if err := gorun.CheckStmt(o.Stmt, o.Setup); err != nil {
			return nil, err
		}
	}
	if err := ownCPUProfile(o.Program); err != nil {
		return nil, err
	}
	// One temporary directory for the whole session: the copies of
	// module-cache modules and of the workspace file, the runs' files.
	tmp, err := os.MkdirTemp("", "speedup-lprun-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	targets, local, err := resolve(ctx, o, tmp)
	if err != nil {
		return nil, err
	}
	pl, err := newPlan(ctx, o, targets, local, tmp)
	if err != nil {
		return nil, err
	}
	m, err := measure(ctx, o, pl)
	if err != nil {
		return nil, err
	}
	defer m.close()
	res, err := result(o, pl, m)
	if err != nil {
		return nil, err
	}
	if m.exitCode != 0 {
		return res, &ProgramExitError{Code: m.exitCode}
	}
	return res, nil
}

func (o *Options) defaults() {
	if o.MaxTime <= 0 {
		o.MaxTime = 5 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = 5 * time.Millisecond
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
}

// what names what ran, for the report's header.
func (o *Options) what() string {
	switch {
	case o.Program == nil:
		return "the statement"
	case o.Program.Test:
		return "the test binary"
	}
	return "the program"
}

// result assembles the measurements into the Result.
func result(o Options, pl *plan, m *measurement) (*Result, error) {
	in := pl.assembleInput(m)
	var res *Result
	if o.ExactTime {
		res = &Result{Profile: AssembleExact(in), Runs: 1, InstrumentedNS: m.instrumentedNS()}
		res.Profile.Method = exactMethod(o.what(), res.InstrumentedNS, m.hits.Active, m.hits.Stray)
	} else {
		samples, err := readCPUProfiles(m.cpuFiles)
		if err != nil {
			return nil, err
		}
		in.CPU = samples
		var st stats
		if os.Getenv("SPEEDUP_LPRUN_DEBUG") != "" {
			for i, b := range in.Runs.Batches {
				fmt.Fprintf(os.Stderr, "batch %d snap %v runs %d mean %d iv %d samples %d paused %d\n", i, b.Snap, b.Runs, b.NS/int64(max(b.Runs, 1)), b.IntervalNS, b.Samples, b.PausedNS)
			}
		}
		res, st = assemble(in)
		res.InstrumentedNS = m.instrumentedNS()
		res.Profile.Method = method(o.what(), res, st, m.hits.Goexit, m.hits.Active, m.hits.Stray, m.runs.Separate, o.MaxTime)
	}
	res.BuildTime = m.buildTime
	if p := m.panic; p != nil {
		res.Panic = &gorun.PanicError{File: p.File, Line: p.Line, Value: p.Value, Stack: p.Stack}
	}
	return res, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// fmtDur formats nanoseconds with three significant digits.
func fmtDur(ns int64) string { return durfmt.Short(time.Duration(ns)) }
