package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/internal/snippet"
	"github.com/gospeedup/speedup/scaling"
	"github.com/gospeedup/speedup/timeit"
)

func init() {
	register(&command{
		name:  "scaling",
		short: "time statements at several GOMAXPROCS values: speedup, efficiency, Amdahl",
		usage: scalingUsage,
		run:   runScaling,
	})
}

const scalingUsage = `usage: speedup scaling [-C DIR] [--cpu 1,2,4] [-s SETUP]... [-n N] [-r R]
                       [--json] [--plot FILE] [--timeout D] [--tags TAGS] [-v] STMT|-

Scaling tells whether parallelism paid. It builds the Go statements STMT
once, as "speedup timeit" does, then times them once per worker count P,
each time in a fresh process started with GOMAXPROCS=P, and prints:

  P           the worker count (GOMAXPROCS)
  time        mean ± std. dev. of the time per loop
  speedup     T1/TP, the time at P=1 over the time at P (ideal: P)
  efficiency  speedup/P (ideal: 1)
  Karp-Flatt  the experimentally determined serial fraction
              (1/speedup - 1/P)/(1 - 1/P); growing with P means overhead

then Amdahl's law, speedup = 1/(f + (1-f)/P), fitted to all points: the
serial fraction f and the ceiling 1/f no number of cores can beat. Warnings
follow the table: P above the machine's cores (such points measure
oversubscription, not scaling), speedup above P, slower than serial.

Speedup is relative to P=1, so --cpu must include 1. Without -n the loop
count is chosen at P=1 as timeit does (the first power of 10 whose run takes
at least 0.2 s) and kept for every P, so that each P times the same work.
The snippet's own output goes to stderr, leaving stdout to the table. A
build that takes more than 1 s is reported after the table on a line
"Compiler time: 1.23 s", as timeit does.

Flags:
  -C DIR        run the statements inside the Go package in DIR, so that its
                unexported names can be used; default: the package in the
                current directory, if any, else a temporary module
  --cpu LIST    comma-separated worker counts (default: 1, 2, 4, ... up to
                the number of cores, and the number of cores)
  -s SETUP      statements run before each run, outside the timing
                (repeatable; the lines are joined)
  -n N          loops per run (default: automatic, chosen at P=1)
  -r R          runs per worker count (default 7)
  --json        print one JSON document instead of the table:
                {"points": [{"procs", "mean_ns", "stdev_ns", "speedup",
                "efficiency", "karp_flatt"}], "amdahl": {"serial_fraction",
                "max_speedup"}, "warnings": [...]}; undefined values are null
                (karp_flatt at P=1, max_speedup when f=0)
  --plot FILE   draw speedup against P, with the ideal line and the fitted
                curve, to FILE (.svg or .png)
  --timeout D   stop a measurement (one P) that takes longer than D, such
                as a snippet that hangs (the build is not counted)
  --tags TAGS   build tags, passed to the go command
  -v            print timeit's line (and caution) for each P on stderr as it
                completes

Exit status: 0 on success, 2 for a usage or compile error, 1 for an error
while running (a panic in the snippet, a --timeout), 130, 143 or 129 when
interrupted by SIGINT, SIGTERM or SIGHUP.

Examples:

  The parallel distance matrix of examples/distance, on 1 and 2 cores:

  $ speedup scaling -C ./examples/distance --cpu 1,2 -r 5 \
      -s 'X := RandMatrix(1000, 1000)' \
      'PairwiseParallel(context.Background(), X)'

  A sum split across GOMAXPROCS goroutines, written inline (missing
  imports are added; the setup defines the worker's function):

  $ speedup scaling -s 'part := func(w, n int) (s float64) {
          for i := w; i < 1e7; i += n { s += math.Sqrt(float64(i)) }
          return s
      }' '
      n := runtime.GOMAXPROCS(0)
      sums := make([]float64, n)
      var wg sync.WaitGroup
      for w := range n { wg.Go(func() { sums[w] = part(w, n) }) }
      wg.Wait()'

  Serial code, read from stdin, as JSON (speedup 1, f = 1):

  $ echo 'slices.Sort(slices.Clone(xs))' |
      speedup scaling --json -s 'xs := rand.Perm(1e6)' -
`

// scalingConfig holds scaling's flags.
type scalingConfig struct {
	snippet.Config
	cpu            string
	setup          multiFlag
	number, repeat int
	json, verbose  bool
	plot           string
	timeout        time.Duration

	// procs are the worker counts to time, sorted, starting at 1; numCPU
	// is the machine's, above which a point is flagged.
	procs  []int
	numCPU int
}

// scalingFlags defines scaling's flags, the one list of them.
func scalingFlags() (*flag.FlagSet, *scalingConfig) {
	cfg := &scalingConfig{}
	fs := newFlagSet(commands["scaling"])
	fs.StringVar(&cfg.Dir, "C", "", "")
	fs.StringVar(&cfg.cpu, "cpu", "", "")
	fs.Var(&cfg.setup, "s", "")
	fs.IntVar(&cfg.number, "n", 0, "")
	fs.IntVar(&cfg.repeat, "r", 0, "")
	fs.BoolVar(&cfg.json, "json", false, "")
	fs.StringVar(&cfg.plot, "plot", "", "")
	fs.DurationVar(&cfg.timeout, "timeout", 0, "")
	fs.StringVar(&cfg.Tags, "tags", "", "")
	fs.BoolVar(&cfg.verbose, "v", false, "")
	return fs, cfg
}

// runScaling builds STMT once, times it at every worker count and writes
// the report.
func runScaling(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parseScaling(args, stdin, stdout)
	if err != nil {
		return err
	}
	// Build the harness once: every P runs the same binary, so that the
	// only difference between the points is the worker count.
	prog, err := snippet.Build(ctx, cfg.Config)
	if err != nil {
		return scalingError(err)
	}
	defer prog.Close()

	m := &scalingMeasurer{
		prog:     prog,
		cfg:      cfg,
		stderr:   stderr,
		progress: terminal(stderr),
		opts:     timeit.Options{Number: cfg.number, Repeat: cfg.repeat},
	}
	rep, err := scaling.Sweep(cfg.procs, cfg.numCPU, func(p int) (*timeit.Result, error) {
		return m.measure(ctx, p)
	})
	if err != nil {
		return fmt.Errorf("scaling: %w", err)
	}
	return writeScaling(rep, cfg.json, cfg.plot, prog.BuildTime, stdout)
}

// parseScaling reads scaling's command line. Everything the user typed is
// checked before the build and the measurements, which can take minutes.
func parseScaling(args []string, stdin io.Reader, stdout io.Writer) (*scalingConfig, error) {
	fs, cfg := scalingFlags()
	pos, err := parseFlags(commands["scaling"], fs, attachedCounts(fs, args), stdout)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := cfg.checkArgs(pos, set); err != nil {
		return nil, err
	}
	cfg.numCPU = runtime.NumCPU()
	if cfg.procs, err = scalingProcs(cfg.cpu, set["cpu"], cfg.numCPU); err != nil {
		return nil, err
	}
	if err := checkScalingPlot(cfg.plot); err != nil {
		return nil, err
	}
	cfg.Setup, cfg.Stmt = cfg.setup, pos[0]
	if cfg.Stmt == "-" {
		if cfg.Stmt, err = readStdin(stdin); err != nil {
			return nil, fmt.Errorf("scaling: %v", err)
		}
	}
	return cfg, nil
}

// checkArgs rejects a missing or split STMT and flags given explicitly
// with a value that means nothing; set holds the names of the flags given.
func (cfg *scalingConfig) checkArgs(pos []string, set map[string]bool) error {
	switch {
	case len(pos) == 0:
		return usageError("scaling: missing STMT (Go statements, or - to read them from stdin); run 'speedup help scaling'")
	case len(pos) > 1:
		return usageError("scaling: one STMT expected, got %d arguments (quote the statements)", len(pos))
	case cfg.number < 0 || set["n"] && cfg.number == 0:
		return usageError("scaling: -n %d: the loop count must be positive (omit -n for automatic)", cfg.number)
	case cfg.repeat < 0 || set["r"] && cfg.repeat == 0:
		return usageError("scaling: -r %d: the run count must be positive", cfg.repeat)
	case set["timeout"] && cfg.timeout <= 0:
		return usageError("scaling: --timeout must be positive (omit it for no limit)")
	case set["C"] && cfg.Dir == "":
		return usageError("scaling: -C needs a directory")
	}
	return nil
}

// scalingProcs returns the sorted worker counts of --cpu (given reports
// whether it was), or the default list for numCPU cores. The list must
// include 1.
func scalingProcs(cpu string, given bool, numCPU int) ([]int, error) {
	procs := scaling.DefaultProcs(numCPU)
	if given {
		// An explicit --cpu "" is a mistake (an unset shell variable, say),
		// not a request for the default list: ParseProcs rejects it.
		var err error
		if procs, err = scaling.ParseProcs(cpu); err != nil {
			return nil, usageError("scaling: --cpu: %v", err)
		}
	}
	slices.Sort(procs)
	if procs[0] != 1 {
		return nil, usageError("scaling: --cpu %s: the list must include 1, the serial time every speedup is relative to", cpu)
	}
	return procs, nil
}

// checkScalingPlot checks that a --plot file (an empty name is no plot)
// has a known format and can be written.
func checkScalingPlot(plotFile string) error {
	if plotFile == "" {
		return nil
	}
	if _, err := scaling.PlotFormat(plotFile); err != nil {
		return usageError("scaling: --plot: %v", err)
	}
	if err := checkOutput(plotFile); err != nil {
		return usageError("scaling: --plot %s: %v", plotFile, err)
	}
	return nil
}

// scalingMeasurer times the built snippet at one worker count after
// another, for scaling.Sweep.
type scalingMeasurer struct {
	prog     *snippet.Program
	cfg      *scalingConfig
	stderr   io.Writer
	progress io.Writer // nil when stderr is not a terminal

	// opts are the timing options of the next point: the loop count is
	// calibrated once, at P=1 (measured first), then the same work is
	// timed at every P.
	opts timeit.Options
}

// measure times the snippet in a fresh process with GOMAXPROCS=p.
func (m *scalingMeasurer) measure(ctx context.Context, p int) (*timeit.Result, error) {
	o := m.opts
	if m.progress != nil {
		o.Progress, o.Label = m.progress, fmt.Sprintf("scaling P=%d", p)
	}
	// GOMAXPROCS in the child's environment, rather than a
	// runtime.GOMAXPROCS call in the snippet, is read by its runtime
	// at startup, so the scheduler and the garbage collector are
	// sized for P from the first instruction, as in a real program
	// run that way.
	res, err := m.prog.Measure(ctx, snippet.Measurement{
		Env:     []string{"GOMAXPROCS=" + strconv.Itoa(p)},
		Timeout: m.cfg.timeout,
		Stdout:  m.stderr,
		Stderr:  m.stderr,
		Options: o,
	})
	if err != nil {
		return nil, err
	}
	res.Procs = p
	m.opts.Number = res.Loops
	if m.cfg.verbose {
		for _, w := range res.Warnings() {
			fmt.Fprintf(m.stderr, "P=%d: %v\n", p, w)
		}
		fmt.Fprintf(m.stderr, "P=%d: %s\n", p, res)
	}
	return res, nil
}

// writeScaling prints the report, then draws the plot: a plot that cannot
// be written must not lose measurements that took minutes. Every write
// error is reported.
func writeScaling(rep *scaling.Report, asJSON bool, plotFile string, build time.Duration, stdout io.Writer) error {
	if asJSON {
		if err := writeJSON(stdout, rep); err != nil {
			return fmt.Errorf("scaling: %w", err)
		}
	} else {
		w := &errWriter{w: stdout}
		io.WriteString(w, rep.String())
		printCompileTime(w, build)
		if w.err != nil {
			return fmt.Errorf("scaling: %w", w.err)
		}
	}
	if plotFile != "" {
		if err := rep.WritePlot(plotFile); err != nil {
			return fmt.Errorf("scaling: %w", err)
		}
	}
	return nil
}

// scalingError prefixes the command's name to a build's errors, except
// compile errors, which point into the user's code ("stmt:1:5: ...").
func scalingError(err error) error {
	var ce *gorun.CompileError
	if errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("scaling: %w", err)
}
