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
errors, including a panic in STMT (the report for what ran comes first)
and a --timeout, 130, 143 or 129 when interrupted by SIGINT, SIGTERM or
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

func parseLprun(c *command, args []string, stdin io.Reader, stdout io.Writer) (*lprunConfig, error) {
	fs, v := lprunFlags()
	cfg := &v.lprunConfig
	dir, unit, runPkg, testPkg, tags := &v.dir, &v.unit, &v.runPkg, &v.testPkg, &v.tags
	maxTime, interval, exact, race := &v.maxTime, &v.interval, &v.exact, &v.race
	pos, err := parseFlags(c, fs, args, stdout)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["timeout"] && cfg.timeout <= 0 {
		return nil, usageError("lprun: --timeout must be positive (omit it for no limit)")
	}
	if *unit != "" {
		u, err := strconv.ParseFloat(*unit, 64)
		if err != nil || !(u > 0 && u <= 1e3) { // NaN too
			return nil, usageError("lprun: -u %s: want a positive number of seconds such as 1e-6", *unit)
		}
		cfg.report.Unit = u
	}
	for _, out := range []struct{ flag, path string }{{"-D", cfg.dumpFile}, {"-T", cfg.textFile}} {
		if err := checkOutput(out.path); err != nil {
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
		if v.setup != "" {
			return nil, usageError("lprun: -s applies to a statement, not to --run and --test")
		}
		cfg.opts = lprun.Options{Program: &lprun.Program{Test: *testPkg != "", Pkg: *runPkg + *testPkg, Args: pos},
			Funcs: v.funcs, Pkgs: v.pkgs, Tags: *tags, Race: *race, MaxTime: *maxTime, Interval: *interval, ExactTime: *exact, Stdin: stdin}
		return cfg, nil
	}
	if len(pos) != 1 {
		return nil, usageError("lprun: want exactly one STMT argument (got %d); quote the statements", len(pos))
	}
	if *maxTime <= 0 || *interval <= 0 {
		return nil, usageError("lprun: --max-time and --interval must be positive")
	}
	if set["C"] && *dir == "" {
		return nil, usageError("lprun: -C needs a directory")
	}
	// The package is checked now, as a usage error, and found in the
	// current directory without -C, as go test does.
	pkg, err := snippet.PackageDir(*dir, *tags)
	if err != nil {
		return nil, usageError("lprun: %v", err)
	}
	if pkg != nil {
		*dir = pkg.Dir
	}
	stmt := pos[0]
	if stmt == "-" {
		if stmt, err = readStdin(stdin); err != nil {
			return nil, fmt.Errorf("lprun: %v", err)
		}
	}
	cfg.opts = lprun.Options{
		Dir: *dir, Funcs: v.funcs, Pkgs: v.pkgs, Stmt: stmt, Setup: v.setup, Tags: *tags, Race: *race,
		MaxTime: *maxTime, Interval: *interval, ExactTime: *exact,
	}
	return cfg, nil
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
