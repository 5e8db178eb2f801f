package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"golang.org/x/term"

	"github.com/gospeedup/speedup/internal/gorun"
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
                       [--json] [--plot FILE] [--tags TAGS] [-v] STMT|-

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
The snippet's own output goes to stderr, leaving stdout to the table.

Flags:
  -C DIR        run the statements inside the Go package in DIR, so that its
                unexported names can be used
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
  --tags TAGS   build tags, passed to the go command
  -v            print timeit's line (and caution) for each P on stderr as it
                completes

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

func runScaling(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return report(stderr, scalingMain(args, stdin, stdout, stderr))
}

func scalingMain(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := commands["scaling"]
	fs := newFlagSet(c, stderr)
	dir := fs.String("C", "", "")
	cpu := fs.String("cpu", "", "")
	var setup multiFlag
	fs.Var(&setup, "s", "")
	number := fs.Int("n", 0, "")
	repeat := fs.Int("r", 0, "")
	asJSON := fs.Bool("json", false, "")
	plotFile := fs.String("plot", "", "")
	tags := fs.String("tags", "", "")
	verbose := fs.Bool("v", false, "")
	pos, err := parseFlags(c, fs, args, stdout)
	if err != nil {
		return err
	}

	// Everything the user typed is checked before the build and the
	// measurements, which can take minutes.
	switch {
	case len(pos) == 0:
		return usageError("scaling: missing STMT (Go statements, or - to read them from stdin); run 'speedup help scaling'")
	case len(pos) > 1:
		return usageError("scaling: one STMT expected, got %d arguments (quote the statements)", len(pos))
	case *number < 0:
		return usageError("scaling: -n %d: the loop count must be positive (omit -n for automatic)", *number)
	case *repeat < 0:
		return usageError("scaling: -r %d: the run count must be positive", *repeat)
	}
	numCPU := runtime.NumCPU()
	procs := scaling.DefaultProcs(numCPU)
	cpuSet := false
	fs.Visit(func(f *flag.Flag) { cpuSet = cpuSet || f.Name == "cpu" })
	if cpuSet {
		// An explicit --cpu "" is a mistake (an unset shell variable, say),
		// not a request for the default list: ParseProcs rejects it.
		if procs, err = scaling.ParseProcs(*cpu); err != nil {
			return usageError("scaling: --cpu: %v", err)
		}
	}
	slices.Sort(procs)
	if procs[0] != 1 {
		return usageError("scaling: --cpu %s: the list must include 1, the serial time every speedup is relative to", *cpu)
	}
	if *plotFile != "" {
		if _, err := scaling.PlotFormat(*plotFile); err != nil {
			return usageError("scaling: --plot: %v", err)
		}
		// A missing directory would otherwise be found only after the
		// measurements, which can take minutes.
		if fi, err := os.Stat(filepath.Dir(*plotFile)); err != nil || !fi.IsDir() {
			return usageError("scaling: --plot %s: no directory %s to write it in", *plotFile, filepath.Dir(*plotFile))
		}
	}
	stmt := pos[0]
	if stmt == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return fmt.Errorf("scaling: reading the statements from stdin: %v", err)
		}
		stmt = string(b)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	// Build the harness once: every P runs the same binary, so that the
	// only difference between the points is the worker count.
	pkgName, filename := gorun.TempPackage, filepath.Join(os.TempDir(), gorun.TempPackage, gorun.TimeitFileName)
	if *dir != "" {
		pkg, err := gorun.ResolvePackage(*dir, *tags)
		if err != nil {
			return usageError("scaling: -C: %v", err)
		}
		*dir = pkg.Dir
		pkgName, filename = pkg.Name, filepath.Join(pkg.Dir, gorun.TimeitFileName)
	}
	src, err := gorun.TimeitFile(pkgName, filename, gorun.Snippet{Setup: setup, Stmt: stmt})
	if err != nil {
		return scalingBuildError(err)
	}
	prog, err := gorun.Build(ctx, gorun.BuildOptions{Dir: *dir, Tags: *tags}, gorun.TimeitFileName, src)
	if err != nil {
		return scalingBuildError(err)
	}
	defer prog.Close()
	if prog.BuildTime > time.Second {
		// Like IPython's "Compiler time": the wait was the build, not the
		// measurement.
		fmt.Fprintf(stderr, "Compiler time: %.2f s\n", prog.BuildTime.Seconds())
	}

	var progress io.Writer
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		progress = stderr
	}
	opts := timeit.Options{Number: *number, Repeat: *repeat}
	measure := func(p int) (*timeit.Result, error) {
		// GOMAXPROCS in the child's environment, rather than a
		// runtime.GOMAXPROCS call in the snippet, is read by its runtime
		// at startup, so the scheduler and the garbage collector are
		// sized for P from the first instruction, as in a real program
		// run that way.
		t, err := prog.StartTimer(ctx, gorun.TimerOptions{
			Env:    []string{"GOMAXPROCS=" + strconv.Itoa(p)},
			Stdout: stderr,
			Stderr: stderr,
		})
		if err != nil {
			return nil, err
		}
		o := opts
		if progress != nil {
			o.Progress, o.Label = progress, fmt.Sprintf("scaling P=%d", p)
		}
		res, err := timeit.Measure(timerSampler(t), o)
		if cerr := t.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("the snippet's program failed: %v", cerr)
		}
		if err != nil {
			return nil, err
		}
		res.Procs = p
		// Calibrate once, at P=1 (measured first), then time the same
		// work at every P.
		opts.Number = res.Loops
		if *verbose {
			for _, w := range res.Warnings() {
				fmt.Fprintf(stderr, "P=%d: %v\n", p, w)
			}
			fmt.Fprintf(stderr, "P=%d: %s\n", p, res)
		}
		return res, nil
	}
	rep, err := scaling.Sweep(procs, numCPU, measure)
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("scaling: interrupted")
		}
		return fmt.Errorf("scaling: %w", err)
	}

	// The figures first: a plot that cannot be written must not lose
	// measurements that took minutes.
	if *asJSON {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("scaling: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
	} else {
		_, err = io.WriteString(stdout, rep.String())
	}
	if err != nil {
		return err
	}
	if *plotFile != "" {
		if err := rep.WritePlot(*plotFile); err != nil {
			return fmt.Errorf("scaling: %w", err)
		}
	}
	return nil
}

// scalingBuildError gives compile errors in the snippet exit status 2, as
// timeit does: the statements, as typed, are wrong.
func scalingBuildError(err error) error {
	var ce *gorun.CompileError
	if errors.As(err, &ce) {
		return &exitError{code: 2, err: err}
	}
	return fmt.Errorf("scaling: %w", err)
}
