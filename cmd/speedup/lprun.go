package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/gospeedup/speedup/internal/atomicfile"
	"github.com/gospeedup/speedup/internal/lprun"
	"github.com/gospeedup/speedup/internal/snippet"
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
profiled; without -C, the package in the current directory is used, as go
test does, and when there is none STMT runs in a temporary module. Nothing
is written into your tree.

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
  --timeout D   stop the whole profile (builds and runs) when it takes longer
                than D, such as a statement that hangs; default: no limit
  --exact-time  time every line event of the one counted run with the
                runtime's clock, like line_profiler: exact per event, but the
                clock's cost (tens of ns per line event) is in the times
  --tags T, --race
                passed to the go command

Exit status: 0 on success, 2 for a usage or compile error, 1 for other
errors, including a panic in STMT (the report for what ran comes first;
none when only a run after the counted one fails) and a --timeout, 130, 143 or 129 when interrupted by SIGINT, SIGTERM or
SIGHUP.

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
	timeout  time.Duration
}

// lprunFlagValues holds lprun's flags as typed.
type lprunFlagValues struct {
	lprunConfig
	funcs, pkgs                multiFlag
	dir, unit, runPkg, testPkg string
	setup                      string
	tags                       string
	maxTime, interval          time.Duration
	exact, race                bool
}

// lprunFlags defines lprun's flags, the one list of them.
func lprunFlags() (*flag.FlagSet, *lprunFlagValues) {
	v := &lprunFlagValues{}
	fs := newFlagSet(commands["lprun"])
	fs.Var(&v.funcs, "f", "")
	fs.Var(&v.pkgs, "m", "")
	fs.StringVar(&v.dir, "C", "", "")
	fs.StringVar(&v.unit, "u", "", "")
	fs.BoolVar(&v.report.SkipZero, "z", false, "")
	fs.BoolVar(&v.report.Summarize, "summarize", false, "")
	fs.StringVar(&v.dumpFile, "D", "", "")
	fs.StringVar(&v.textFile, "T", "", "")
	fs.StringVar(&v.setup, "s", "", "")
	fs.DurationVar(&v.maxTime, "max-time", 5*time.Second, "")
	fs.DurationVar(&v.interval, "interval", 5*time.Millisecond, "")
	fs.BoolVar(&v.exact, "exact-time", false, "")
	fs.StringVar(&v.runPkg, "run", "", "")
	fs.StringVar(&v.testPkg, "test", "", "")
	fs.StringVar(&v.tags, "tags", "", "")
	fs.BoolVar(&v.race, "race", false, "")
	fs.DurationVar(&v.timeout, "timeout", 0, "")
	return fs, v
}

// parseLprun reads lprun's command line into the options of a statement
// or a --run/--test program target, every flag checked before the builds.
func parseLprun(c *command, args []string, stdin io.Reader, stdout io.Writer) (*lprunConfig, error) {
	fs, v := lprunFlags()
	pos, err := parseFlags(c, fs, args, stdout)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := v.checkCommon(set); err != nil {
		return nil, err
	}
	if v.runPkg != "" || v.testPkg != "" {
		err = v.programOptions(pos, stdin)
	} else {
		err = v.statementOptions(pos, set["C"], stdin)
	}
	if err != nil {
		return nil, err
	}
	return &v.lprunConfig, nil
}

// checkCommon checks the flags that apply to every target (--timeout, -u,
// -D, -T) and reads -u into the report options; set holds the names of the
// flags given.
func (v *lprunFlagValues) checkCommon(set map[string]bool) error {
	if set["timeout"] && v.timeout <= 0 {
		return usageError("lprun: --timeout must be positive (omit it for no limit)")
	}
	if v.unit != "" {
		u, err := strconv.ParseFloat(v.unit, 64)
		if err != nil || !(u > 0 && u <= 1e3) { // NaN too
			return usageError("lprun: -u %s: want a positive number of seconds such as 1e-6", v.unit)
		}
		v.report.Unit = u
	}
	for _, out := range []struct{ flag, path string }{{"-D", v.dumpFile}, {"-T", v.textFile}} {
		if err := checkOutput(out.path); err != nil {
			return usageError("lprun: %s %s: %v", out.flag, out.path, err)
		}
	}
	return nil
}

// programOptions sets the options of a --run or --test target, whose
// arguments (pos) are the program's or the test binary's.
func (v *lprunFlagValues) programOptions(pos []string, stdin io.Reader) error {
	if v.runPkg != "" && v.testPkg != "" {
		return usageError("lprun: --run and --test exclude each other")
	}
	if v.dir != "" {
		return usageError("lprun: -C does not apply to --run and --test (name the package)")
	}
	if v.maxTime <= 0 || v.interval <= 0 {
		return usageError("lprun: --max-time and --interval must be positive")
	}
	if v.setup != "" {
		return usageError("lprun: -s applies to a statement, not to --run and --test")
	}
	v.opts = lprun.Options{Program: &lprun.Program{Test: v.testPkg != "", Pkg: v.runPkg + v.testPkg, Args: pos},
		Funcs: v.funcs, Pkgs: v.pkgs, Tags: v.tags, Race: v.race, MaxTime: v.maxTime, Interval: v.interval, ExactTime: v.exact, Stdin: stdin}
	return nil
}

// statementOptions sets the options of a statement target: the one STMT
// argument (or stdin for "-"), run in the package of -C (dirGiven reports
// whether -C was given) or of the current directory.
func (v *lprunFlagValues) statementOptions(pos []string, dirGiven bool, stdin io.Reader) error {
	if len(pos) != 1 {
		return usageError("lprun: want exactly one STMT argument (got %d); quote the statements", len(pos))
	}
	if v.maxTime <= 0 || v.interval <= 0 {
		return usageError("lprun: --max-time and --interval must be positive")
	}
	if dirGiven && v.dir == "" {
		return usageError("lprun: -C needs a directory")
	}
	// The package is checked now, as a usage error, and found in the
	// current directory without -C, as go test does.
	pkg, err := snippet.PackageDir(v.dir, v.tags)
	if err != nil {
		return usageError("lprun: %v", err)
	}
	if pkg != nil {
		v.dir = pkg.Dir
	}
	stmt := pos[0]
	if stmt == "-" {
		if stmt, err = readStdin(stdin); err != nil {
			return fmt.Errorf("lprun: %v", err)
		}
	}
	v.opts = lprun.Options{
		Dir: v.dir, Funcs: v.funcs, Pkgs: v.pkgs, Stmt: stmt, Setup: v.setup, Tags: v.tags, Race: v.race,
		MaxTime: v.maxTime, Interval: v.interval, ExactTime: v.exact,
	}
	return nil
}

func runLprun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parseLprun(commands["lprun"], args, stdin, stdout)
	if err != nil {
		return err
	}
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.timeout, errLprunTimeout)
		defer cancel()
	}
	cfg.opts.Stdout, cfg.opts.Stderr = stdout, stderr
	res, err := lprun.Run(ctx, cfg.opts)
	if errors.Is(context.Cause(ctx), errLprunTimeout) {
		return fmt.Errorf("lprun: %w after %v (--timeout)", errLprunTimeout, cfg.timeout)
	}
	var pe *lprun.ProgramExitError
	if errors.As(err, &pe) && res != nil {
		// The program failed, but what ran is reported.
		if werr := writeProfile(res.Profile, cfg.report, cfg.dumpFile, cfg.textFile, stdout); werr != nil {
			return werr
		}
		return err
	}
	if err != nil {
		return err
	}
	if err := writeProfile(res.Profile, cfg.report, cfg.dumpFile, cfg.textFile, stdout); err != nil {
		return err
	}
	if res.Panic != nil {
		return res.Panic
	}
	return nil
}

// errLprunTimeout is the cause of a profile stopped by --timeout.
var errLprunTimeout = errors.New("the profile did not finish in time: stopped")

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
