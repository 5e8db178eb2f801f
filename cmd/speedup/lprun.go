package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/gospeedup/speedup/internal/atomicfile"
	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/internal/lprun"
	"github.com/gospeedup/speedup/lineprof"
)

const lprunUsage = `usage: speedup lprun [flags] -f FUNC [-f FUNC]... STMT
       speedup lprun [flags] -f FUNC -        (read the statements from stdin)
       speedup lprun [flags] -f FUNC --run ./cmd/x [-- ARGS...]
       speedup lprun [flags] -f FUNC --test ./pkg [-- -run TestX ...]

Lprun profiles Go functions line by line, like line_profiler's
%lprun -f function_to_be_profiled function_to_be_called(): it runs STMT,
Go statements, and prints for every line of each FUNC how often it ran
(Hits) and the wall-clock time spent on it (Time, Per Hit, % Time), in
line_profiler's layout.

Hits are exact counts from one run of STMT in a build where the profiled
functions are instrumented. Time comes from the untouched code: STMT runs
again, repeatedly, in a plain build while every goroutine's stack is
sampled at a fixed interval; each sample's wall time goes to the innermost
line of each profiled function on the stack (callees, sleeps and channel
waits included, recursion counted once). Times are per run of STMT; the
header says how many runs and samples, and the error. See docs/lprun.md.

STMT runs as under "speedup timeit": missing imports are added, and -C DIR
runs it inside that package, so that unexported functions can be called and
profiled. Nothing is written into your tree.

FUNC is "distance" (in the -C package), "pkg.Func" (a package the -C
package imports, or a standard one), "path/to/pkg.Func", "(*T).M", "T.M",
"pkg.(*T).M"; all instantiations of a generic function form one block, and
function literals inside FUNC are profiled as part of it. Functions with a
"//speedup:profile" comment line in the -C package are always profiled.

With --run, the command in package ./cmd/x runs with ARGS instead of a
statement, like kernprof on a script; with --test, the package's tests run
with the test flags after "--". The program runs once instrumented for the
hits (its input and output are yours), then untouched for the time: main
(or the tests) repeats inside one process, or, when a run fails there, the
program runs once per process, again and again (output discarded, empty
input). Results are written when main (or TestMain) returns, panics or
calls os.Exit, or when the tests end.

Flags:
  -f FUNC       profile FUNC (repeatable)
  -m PKG        profile every function of package PKG (repeatable)
  -C DIR        run in the Go package in DIR
  -s SETUP      statements run before STMT in each run, outside the
                timing and outside the hits (like timeit's -s)
  -u UNIT       output unit in seconds (default 1e-09)
  -z            skip functions that never ran
  --summarize   first print one line per function with its total time
  -D FILE       save the raw results (JSON) to FILE, for "speedup view"
  -T FILE       also write the text report to FILE
  --max-time D  cap on the repeated runs of the time measurement (default 5s;
                at least one run): they stop earlier once every function
                that ran has 50 snapshot samples, and the header says when
                the cap ended them first
  --interval D  starting period of the stack snapshots (default 5ms),
                doubled while they slow the runs by more than 3%
  --exact-time  time every line event of the one counted run with the
                runtime's clock, like line_profiler: exact per event, but the
                clock's cost (tens of ns per line event) is in the times
  --tags T, --race
                passed to the go command

Exit status: 0 on success, 2 for a usage or compile error, 1 for other
errors, including a panic in STMT (the report for what ran comes first).

Examples:

	speedup lprun -C ./examples/distance -f distance 'distance()'
	speedup lprun -C ./examples/distance -f distance -f randMatrix -D prof.json 'distance()'
	speedup lprun -f strings.Fields 'strings.Fields(strings.Repeat("a b ", 1000))'
	speedup lprun -f work --run ./cmd/tool -- -n 10
	speedup lprun -f Sum --test ./lib -- -run TestSum
`

func init() {
	register(&command{
		name:  "lprun",
		short: "profile functions line by line, like line_profiler's %lprun",
		usage: lprunUsage,
		run:   runLprun,
	})
}

type lprunConfig struct {
	opts     lprun.Options
	report   lineprof.ReportOptions
	dumpFile string
	textFile string
}

func parseLprun(c *command, args []string, stdin io.Reader, stdout io.Writer) (*lprunConfig, error) {
	fs := newFlagSet(c, nil)
	var funcs, pkgs multiFlag
	var cfg lprunConfig
	fs.Var(&funcs, "f", "")
	fs.Var(&pkgs, "m", "")
	dir := fs.String("C", "", "")
	unit := fs.String("u", "", "")
	fs.BoolVar(&cfg.report.SkipZero, "z", false, "")
	fs.BoolVar(&cfg.report.Summarize, "summarize", false, "")
	fs.StringVar(&cfg.dumpFile, "D", "", "")
	fs.StringVar(&cfg.textFile, "T", "", "")
	setup := fs.String("s", "", "")
	maxTime := fs.Duration("max-time", 5*time.Second, "")
	interval := fs.Duration("interval", 5*time.Millisecond, "")
	exact := fs.Bool("exact-time", false, "")
	runPkg := fs.String("run", "", "")
	testPkg := fs.String("test", "", "")
	tags := fs.String("tags", "", "")
	race := fs.Bool("race", false, "")
	pos, err := parseFlags(c, fs, args, stdout)
	if err != nil {
		return nil, err
	}
	if *unit != "" {
		u, err := strconv.ParseFloat(*unit, 64)
		if err != nil || !(u > 0 && u <= 1e3) { // NaN too
			return nil, usageError("lprun: -u %s: want a positive number of seconds such as 1e-6", *unit)
		}
		cfg.report.Unit = u
	}
	for _, out := range []struct{ flag, path string }{{"-D", cfg.dumpFile}, {"-T", cfg.textFile}} {
		if err := checkOutputDir(out.path); err != nil {
			return nil, usageError("lprun: %s %s: %v", out.flag, out.path, err)
		}
	}
	if *runPkg != "" || *testPkg != "" {
		if *runPkg != "" && *testPkg != "" {
			return nil, usageError("lprun: --run and --test exclude each other")
		}
		if *dir != "" {
			return nil, usageError("lprun: -C does not apply to --run and --test (name the package)")
		}
		if *maxTime <= 0 || *interval <= 0 {
			return nil, usageError("lprun: --max-time and --interval must be positive")
		}
		if *setup != "" {
			return nil, usageError("lprun: -s applies to a statement, not to --run and --test")
		}
		cfg.opts = lprun.Options{Program: &lprun.Program{Test: *testPkg != "", Pkg: *runPkg + *testPkg, Args: pos},
			Funcs: funcs, Pkgs: pkgs, Tags: *tags, Race: *race, MaxTime: *maxTime, Interval: *interval, ExactTime: *exact, Stdin: stdin}
		return &cfg, nil
	}
	if len(pos) != 1 {
		return nil, usageError("lprun: want exactly one STMT argument (got %d); quote the statements", len(pos))
	}
	stmt := pos[0]
	if stmt == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, err
		}
		stmt = string(b)
	}
	if *maxTime <= 0 || *interval <= 0 {
		return nil, usageError("lprun: --max-time and --interval must be positive")
	}
	cfg.opts = lprun.Options{
		Dir: *dir, Funcs: funcs, Pkgs: pkgs, Stmt: stmt, Setup: *setup, Tags: *tags, Race: *race,
		MaxTime: *maxTime, Interval: *interval, ExactTime: *exact,
	}
	return &cfg, nil
}

func runLprun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := commands["lprun"]
	cfg, err := parseLprun(c, args, stdin, stdout)
	if err != nil {
		return report(stderr, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg.opts.Stdout, cfg.opts.Stderr = stdout, stderr
	res, err := lprun.Run(ctx, cfg.opts)
	var pe *lprun.ProgramExitError
	if errors.As(err, &pe) && res != nil {
		// The program failed, but what ran is reported.
		if werr := writeProfile(res.Profile, cfg.report, cfg.dumpFile, cfg.textFile, stdout); werr != nil {
			return report(stderr, werr)
		}
		return report(stderr, err)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "speedup: interrupted")
		return 130
	}
	if err != nil {
		var ce *gorun.CompileError
		var ie *lprun.InputError
		if errors.As(err, &ce) || errors.As(err, &ie) {
			return report(stderr, &exitError{code: 2, err: err})
		}
		return report(stderr, err)
	}
	if err := writeProfile(res.Profile, cfg.report, cfg.dumpFile, cfg.textFile, stdout); err != nil {
		return report(stderr, err)
	}
	if res.Panic != nil {
		return report(stderr, res.Panic)
	}
	return 0
}

// checkOutputDir checks, before any work, that an output file can be
// created where it is asked for: an error after a long run would lose the
// results.
func checkOutputDir(path string) error {
	if path == "" {
		return nil
	}
	return atomicfile.Check(path)
}

// writeProfile prints the report, and saves it with -D and -T.
func writeProfile(p *lineprof.Profile, o lineprof.ReportOptions, dumpFile, textFile string, stdout io.Writer) error {
	var buf bytes.Buffer
	if err := lineprof.Report(&buf, p, o); err != nil {
		return err
	}
	if _, err := stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if dumpFile != "" {
		if err := p.Save(dumpFile); err != nil {
			return err
		}
	}
	if textFile != "" {
		if err := atomicfile.WriteFile(textFile, buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}
