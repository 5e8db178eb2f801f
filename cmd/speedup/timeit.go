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
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/timeit"
)

const timeitUsage = `usage: speedup timeit [-n N] [-r R] [-s SETUP]... [-C DIR] [-p PREC] [-q] [-v]
                      [--json] [--benchstat NAME] [--param NAME=V1,V2,...]... [--plot FILE]
                      [--gc=on|off] [--tags T] [--gcflags F] [--race] STMT|-

STMT is Go statements; - reads them from stdin (a cell, like %%timeit).

Timeit times Go statements the way IPython's %timeit times Python: it runs
STMT in loops, in R runs (default 7), and prints the mean and standard
deviation of the time per loop:

	82.7 µs ± 1.2 µs per loop (mean ± std. dev. of 7 runs, 10,000 loops each)

Without -n, the number of loops is the first power of 10 whose run takes at
least 0.2 s. The setup (-s) runs before each run, outside the timing; a
runtime.GC() precedes each run. STMT and SETUP are Go statements: missing
imports are added, variables declared by the setup are visible to STMT, and
the results of STMT's calls and assignments are kept alive (it runs in a
b.Loop loop, as under go test -bench), so the compiler cannot delete the
work being timed. A STMT with loops or ifs at its top level (a cell) is
compiled as a function body called in that loop, its top-level variables
kept alive, so that its inner loops compile as they would in a function;
so is a STMT with a defer, whose deferred calls then run at the end of each
loop. A return, or a break or continue that would leave the timing loop, is
an error (as in Python's timeit).

The statements are compiled into a test binary of the package in DIR (-C),
so that its unexported functions and types can be used; the generated code
reaches the build only through "go test -overlay" and a temporary
directory, and the package's own tests are left out. Without -C the
statements run in a temporary module. A build that takes more than 1 s is
reported on a line "Compiler time: 1.23 s".

Flags:
  -n N          loops per run (default: automatic); -n1000, -r3 and -p4 are
                accepted as in IPython
  -r R          number of runs (default 7)
  -s SETUP      setup statements, run before each run outside the timing;
                repeatable (several -s are consecutive lines of one setup)
  -C DIR        run in the Go package in DIR (its unexported names are visible)
  -p PREC       significant digits of the printed times (default 3)
  -q            quiet: print no result line (errors and --json, --plot still work)
  -v            verbose: also print min, median with its 95% confidence
                interval, allocations and bytes per loop; a panic's stack
  --json        print one JSON document with every figure instead of the line
  --benchstat NAME
                print one Go benchmark line per run (BenchmarkNAME ...)
                instead of the line, for benchstat
  --param NAME=V1,V2,...
                run the whole measurement once per value, with the Go variable
                NAME set to it (integral numbers are int, others float64,
                quoted ones string); repeatable for a grid. Prints one line
                per value and the fitted growth: time ~ n^1.02 (R² 0.999)
  --plot FILE   with one --param: draw time against it on log-log axes
                (.svg or .png)
  --gc=on|off   off disables the garbage collector during the runs
  --tags T, --gcflags F, --race
                passed to the go command

Exit status: 0 on success, 2 for a usage or compile error, 1 for an error
while running (such as a panic in the snippet), 130 when interrupted.

Examples:

	speedup timeit 'strings.Repeat("ab", 100)'
	speedup timeit -C ./examples/distance 'distance()'
	speedup timeit -C ./examples/dot -s 'x := Rand(n)' --param n=1e4,1e5,1e6 'Dot(x, x)'
	speedup timeit -C ./examples/dot -s 'x := Rand(n)' --param n=1e4,1e5,1e6 --plot dot.svg 'Dot(x, x)'
	speedup timeit -n 1000 -r 5 --benchstat Dot -C ./examples/dot -s 'x := Rand(1e4)' 'Dot(x, x)' > old.txt
	speedup timeit -C ./examples/distance - <<'EOF'
	X := randMatrix(100, 100)
	D := empty(100, 100)
	for i := range X {
		for j := range X {
			d := 0.0
			for k := range X[i] {
				tmp := X[i][k] - X[j][k]
				d += tmp * tmp
			}
			D[i][j] = math.Sqrt(d)
		}
	}
	EOF
`

func init() {
	register(&command{
		name:  "timeit",
		short: "time Go statements, like IPython's %timeit and %%timeit",
		usage: timeitUsage,
		run:   runTimeit,
	})
}

// compileTimeThreshold is the build time above which the build is
// reported, as IPython reports "Compiler time" (above 0.1 s there; a Go
// build always takes about that long, so only slow builds are worth a line).
const compileTimeThreshold = time.Second

// timeitConfig is the parsed command line.
type timeitConfig struct {
	number, repeat, precision int
	setup                     []string
	dir                       string
	quiet, verbose, json      bool
	benchstat                 string
	params                    []timeit.Param
	plot                      string
	gcOff                     bool
	tags, gcflags             string
	race                      bool
	stmt                      string
	stmtFromStdin             bool
}

func runTimeit(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := commands["timeit"]
	cfg, err := parseTimeit(c, args, stdin, stdout)
	if err != nil {
		return report(stderr, err)
	}
	// On ^C, stop the build or the snippet's program (the context kills
	// it), let the deferred clean-ups remove the temporary files, and exit
	// with the conventional 130.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err = timeitMain(ctx, cfg, stdin, stdout, stderr)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "speedup: interrupted")
		return 130
	}
	var pe *gorun.PanicError
	if cfg.verbose && errors.As(err, &pe) && pe.Stack != "" {
		defer fmt.Fprintf(stderr, "\n%s", pe.Stack)
	}
	return report(stderr, err)
}

func parseTimeit(c *command, args []string, stdin io.Reader, stdout io.Writer) (*timeitConfig, error) {
	cfg := &timeitConfig{}
	fs := newFlagSet(c, nil)
	fs.IntVar(&cfg.number, "n", 0, "loops per run")
	fs.IntVar(&cfg.repeat, "r", 0, "runs")
	var setup, params multiFlag
	fs.Var(&setup, "s", "setup statements")
	fs.StringVar(&cfg.dir, "C", "", "package directory")
	fs.IntVar(&cfg.precision, "p", 0, "significant digits")
	fs.BoolVar(&cfg.quiet, "q", false, "quiet")
	fs.BoolVar(&cfg.verbose, "v", false, "verbose")
	fs.BoolVar(&cfg.json, "json", false, "JSON output")
	fs.StringVar(&cfg.benchstat, "benchstat", "", "benchmark name")
	fs.Var(&params, "param", "NAME=V1,V2,...")
	fs.StringVar(&cfg.plot, "plot", "", "plot file")
	gc := fs.String("gc", "on", "on or off")
	fs.StringVar(&cfg.tags, "tags", "", "build tags")
	fs.StringVar(&cfg.gcflags, "gcflags", "", "compiler flags")
	fs.BoolVar(&cfg.race, "race", false, "race detector")
	pos, err := parseFlags(c, fs, attachedCounts(args), stdout)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["n"] && cfg.number <= 0 {
		return nil, usageError("timeit: -n must be at least 1 (omit it to choose automatically)")
	}
	if set["r"] && cfg.repeat <= 0 {
		return nil, usageError("timeit: -r must be at least 1")
	}
	if set["p"] && (cfg.precision < 1 || cfg.precision > 17) {
		return nil, usageError("timeit: -p must be between 1 and 17")
	}
	switch *gc {
	case "on":
	case "off":
		cfg.gcOff = true
	default:
		return nil, usageError("timeit: --gc must be on or off, not %q", *gc)
	}
	if set["benchstat"] && (cfg.benchstat == "" || strings.ContainsAny(cfg.benchstat, " \t\n")) {
		return nil, usageError("timeit: --benchstat needs a benchmark name without spaces")
	}
	if set["C"] && cfg.dir == "" {
		return nil, usageError("timeit: -C needs a directory")
	}
	cfg.setup = setup
	seen := map[string]bool{}
	for _, p := range params {
		pp, err := timeit.ParseParam(p)
		if err != nil {
			return nil, usageError("timeit: %v", err)
		}
		if seen[pp.Name] {
			return nil, usageError("timeit: --param %s given twice", pp.Name)
		}
		seen[pp.Name] = true
		cfg.params = append(cfg.params, pp)
	}
	if cfg.plot != "" {
		if len(cfg.params) != 1 {
			return nil, usageError("timeit: --plot needs exactly one --param (got %d)", len(cfg.params))
		}
		if ext := strings.ToLower(filepath.Ext(cfg.plot)); ext != ".svg" && ext != ".png" {
			return nil, usageError("timeit: --plot file must end in .svg or .png")
		}
		// Found out now, not after a sweep of several minutes.
		if dir := filepath.Dir(cfg.plot); !isDir(dir) {
			return nil, usageError("timeit: --plot: directory %s does not exist", dir)
		}
		p := cfg.params[0]
		for _, v := range p.Values {
			switch x, ok := toFloat(v); {
			case !ok:
				return nil, usageError("timeit: --plot needs numeric --param values")
			case x <= 0:
				return nil, usageError("timeit: --plot: %s is not a positive number; a log axis cannot show it", p.Format(v))
			}
		}
	}
	switch {
	case len(pos) == 0:
		return nil, usageError("timeit: missing STMT (Go statements, or - to read them from stdin); see 'speedup help timeit'")
	case len(pos) == 1 && pos[0] == "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("timeit: reading stdin: %v", err)
		}
		cfg.stmt, cfg.stmtFromStdin = string(b), true
	default:
		// An unquoted statement arrives in pieces ("Dot(x," "x)").
		cfg.stmt = strings.Join(pos, " ")
	}
	if strings.TrimSpace(cfg.stmt) == "" {
		return nil, usageError("timeit: STMT is empty")
	}
	return cfg, nil
}

// attachedCounts rewrites IPython's -n1000, -r3 and -p4 (a count attached
// to its flag, as in "%timeit -n1 -r1 f()") as -n=1000, -r=3 and -p=4, which
// the flag package reads. The values of flags and the arguments after "--"
// are left alone.
func attachedCounts(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i := 0; i < len(out); i++ {
		a := out[i]
		switch {
		case a == "--":
			return out
		case len(a) > 2 && a[0] == '-' && strings.ContainsRune("nrp", rune(a[1])) && strings.Trim(a[2:], "0123456789") == "":
			out[i] = a[:2] + "=" + a[2:]
		case takesValue[strings.TrimLeft(a, "-")] && strings.HasPrefix(a, "-"):
			i++ // the next argument is this flag's value
		}
	}
	return out
}

// takesValue lists timeit's flags that take a value.
var takesValue = map[string]bool{
	"n": true, "r": true, "s": true, "C": true, "p": true, "benchstat": true,
	"param": true, "plot": true, "gc": true, "tags": true, "gcflags": true,
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// point is one measurement of a sweep: the values of the parameters (in
// the order of the --param flags) and its result.
type point struct {
	values []any
	result *timeit.Result
}

func timeitMain(ctx context.Context, cfg *timeitConfig, stdin io.Reader, stdout, stderr io.Writer) error {
	// Resolve the package and generate the harness.
	var (
		buildDir string
		pkgName  = gorun.TempPackage
		genPath  = filepath.Join(os.TempDir(), gorun.TempPackage, gorun.TimeitFileName)
	)
	if cfg.dir != "" {
		pkg, err := gorun.ResolvePackage(cfg.dir, cfg.tags)
		if err != nil {
			return usageError("timeit: -C: %v", err)
		}
		buildDir, pkgName = pkg.Dir, pkg.Name
		genPath = filepath.Join(pkg.Dir, gorun.TimeitFileName)
	}
	vars := make([]gorun.Var, len(cfg.params))
	for i, p := range cfg.params {
		typ, err := gorun.VarType(p.Values)
		if err != nil {
			return usageError("timeit: --param %s: %v", p.Name, err)
		}
		vars[i] = gorun.Var{Name: p.Name, Type: typ}
	}
	src, err := gorun.TimeitFile(pkgName, genPath, gorun.Snippet{Setup: cfg.setup, Stmt: cfg.stmt, Params: vars})
	if err != nil {
		return snippetError(err)
	}
	prog, err := gorun.Build(ctx, gorun.BuildOptions{
		Dir: buildDir, Tags: cfg.tags, GCFlags: cfg.gcflags, Race: cfg.race,
	}, gorun.TimeitFileName, src)
	if err != nil {
		// Without -C, gorun's errors carry the hint to use it.
		return snippetError(err)
	}
	defer prog.Close()
	// What the build printed although it succeeded: the compiler's
	// diagnostics that --gcflags=-m asked for.
	fmt.Fprint(stderr, prog.BuildOutput)

	opts := timeit.Options{Number: cfg.number, Repeat: cfg.repeat, Precision: cfg.precision}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts.Progress = stderr
	}
	var snippetIn io.Reader
	if !cfg.stmtFromStdin {
		snippetIn = stdin
	}
	measure := func(values []any) (*timeit.Result, error) {
		params := map[string]any{}
		for i, p := range cfg.params {
			params[p.Name] = values[i]
		}
		// A fresh process per measurement, so that one parameter value's
		// heap and caches do not weigh on the next.
		t, err := prog.StartTimer(ctx, gorun.TimerOptions{
			Params: params, GCOff: cfg.gcOff, Stdin: snippetIn, Stdout: stdout, Stderr: stderr,
		})
		if err != nil {
			return nil, err
		}
		defer t.Close()
		o := opts
		if len(values) > 0 {
			o.Label = "timeit " + paramLabel(cfg.params, values)
		}
		return timeit.Measure(timerSampler(t), o)
	}

	if len(cfg.params) == 0 {
		r, err := measure(nil)
		if err != nil {
			return err
		}
		return printSingle(cfg, r, prog.BuildTime, stdout)
	}

	var points []point
	for _, values := range grid(cfg.params) {
		r, err := measure(values)
		if err != nil {
			return fmt.Errorf("%s: %w", paramLabel(cfg.params, values), err)
		}
		points = append(points, point{values, r})
		if !cfg.json && !cfg.quiet && cfg.benchstat == "" {
			// Print as we go: a sweep can take a while.
			w := &errWriter{w: stdout}
			printLine(w, paramLabel(cfg.params, values)+": ", r, cfg.verbose)
			if errors.Is(w.err, syscall.EPIPE) {
				return w.err // nobody reads the rest
			}
		}
	}
	return printSweep(cfg, points, prog.BuildTime, stdout)
}

// errWriter remembers the first error of its writes.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

// timerSampler adapts a gorun.Timer to timeit's Sampler (gorun does not
// import timeit).
func timerSampler(t *gorun.Timer) timeit.Sampler {
	return timeit.SamplerFunc(func(loops int) (timeit.Sample, error) {
		tot, err := t.Run(loops)
		return timeit.Sample(tot), err
	})
}

// snippetError gives compile errors the exit status of usage errors (2),
// as the issue asks; other build failures are runtime errors (1).
func snippetError(err error) error {
	var ce *gorun.CompileError
	if errors.As(err, &ce) {
		return &exitError{code: 2, err: err}
	}
	return err
}

// grid returns the cartesian product of the parameters' values, the first
// parameter varying slowest.
func grid(params []timeit.Param) [][]any {
	out := [][]any{nil}
	for _, p := range params {
		var next [][]any
		for _, prefix := range out {
			for _, v := range p.Values {
				next = append(next, append(append([]any{}, prefix...), v))
			}
		}
		out = next
	}
	return out
}

func paramLabel(params []timeit.Param, values []any) string {
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p.Format(values[i])
	}
	return strings.Join(parts, " ")
}

func printLine(w io.Writer, prefix string, r *timeit.Result, verbose bool) {
	// IPython prints the caching warning before the result line.
	for _, warn := range r.Warnings() {
		fmt.Fprintln(w, prefix+warn.Error())
	}
	fmt.Fprintln(w, prefix+r.String())
	if verbose {
		fmt.Fprint(w, indentBlock(r.Verbose()))
	}
}

// indentBlock makes sure a block ends with a newline.
func indentBlock(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

func printCompileTime(w io.Writer, d time.Duration) {
	if d > compileTimeThreshold {
		fmt.Fprintf(w, "Compiler time: %.2f s\n", d.Seconds())
	}
}

// timeitJSON is the --json document.
type timeitJSON struct {
	Stmt           string         `json:"stmt"`
	Setup          []string       `json:"setup"`
	Dir            string         `json:"dir,omitempty"`
	CompileSeconds float64        `json:"compile_seconds"`
	Result         *timeit.Result `json:"result,omitempty"`
	Params         []string       `json:"params,omitempty"`
	Points         []jsonPoint    `json:"points,omitempty"`
	Fit            *jsonFit       `json:"fit,omitempty"`
	Fits           []jsonFit      `json:"fits,omitempty"`
}

type jsonPoint struct {
	Params map[string]any `json:"params"`
	Result *timeit.Result `json:"result"`
}

type jsonFit struct {
	Param    string         `json:"param"`
	Exponent float64        `json:"exponent"`
	R2       float64        `json:"r2"`
	At       map[string]any `json:"at,omitempty"` // the other parameters' values, for grids
	Line     string         `json:"line"`
}

func newJSON(cfg *timeitConfig, build time.Duration) *timeitJSON {
	setup := cfg.setup
	if setup == nil {
		setup = []string{}
	}
	return &timeitJSON{Stmt: cfg.stmt, Setup: setup, Dir: cfg.dir, CompileSeconds: build.Seconds()}
}

func writeJSON(w io.Writer, doc *timeitJSON) error {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func printSingle(cfg *timeitConfig, r *timeit.Result, build time.Duration, stdout io.Writer) error {
	switch {
	case cfg.json:
		doc := newJSON(cfg, build)
		doc.Result = r
		return writeJSON(stdout, doc)
	case cfg.benchstat != "":
		fmt.Fprint(stdout, r.Benchstat(cfg.benchstat))
		return nil
	case cfg.quiet:
		return nil
	}
	printLine(stdout, "", r, cfg.verbose)
	printCompileTime(stdout, build)
	return nil
}

// fitLine is one fitted growth: param's exponent with the other
// parameters held at the values in at.
type fitLine struct {
	fit timeit.Fit
	at  map[string]any
	pts []timeit.SweepPoint
}

// fits fits time against each numeric parameter, for each combination of
// the other parameters' values (a single line per parameter without a
// grid). Parameters with fewer than two values have no fit.
func fits(params []timeit.Param, points []point) []fitLine {
	var out []fitLine
	for pi, p := range params {
		if len(p.Values) < 2 {
			continue
		}
		groups := map[string]*fitLine{}
		var order []string
		for _, pt := range points {
			x, ok := toFloat(pt.values[pi])
			if !ok {
				break
			}
			key := ""
			at := map[string]any{}
			for qi, q := range params {
				if qi != pi {
					key += q.Format(pt.values[qi]) + " "
					at[q.Name] = pt.values[qi]
				}
			}
			g := groups[key]
			if g == nil {
				g = &fitLine{at: at}
				groups[key] = g
				order = append(order, key)
			}
			g.pts = append(g.pts, timeit.SweepPoint{Value: pt.values[pi], X: x, Result: pt.result})
		}
		for _, key := range order {
			g := groups[key]
			// FitSweep fits the unrounded means: Result.Mean is whole
			// nanoseconds, too coarse for statements of a few ns.
			f, err := timeit.FitSweep(p.Name, g.pts)
			if err != nil {
				continue // such as a zero time: no meaningful growth
			}
			if len(g.at) == 0 {
				g.at = nil
			}
			g.fit = f
			out = append(out, *g)
		}
	}
	return out
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func formatAt(at map[string]any) string {
	names := make([]string, 0, len(at))
	for n := range at {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		// As in the result lines' labels: n=10000 s="ab".
		parts[i] = timeit.Param{Name: n}.Format(at[n])
	}
	return strings.Join(parts, " ")
}

func printSweep(cfg *timeitConfig, points []point, build time.Duration, stdout io.Writer) error {
	fl := fits(cfg.params, points)
	if cfg.plot != "" {
		var fit *timeit.Fit
		if len(fl) == 1 {
			fit = &fl[0].fit
		}
		var pts []timeit.SweepPoint
		for _, pt := range points {
			x, ok := toFloat(pt.values[0])
			if !ok {
				return usageError("timeit: --plot needs numeric --param values")
			}
			pts = append(pts, timeit.SweepPoint{Value: pt.values[0], X: x, Result: pt.result})
		}
		if err := timeit.PlotSweep(cfg.plot, cfg.params[0].Name, pts, fit); err != nil {
			return fmt.Errorf("timeit: --plot: %v", err)
		}
	}
	switch {
	case cfg.json:
		doc := newJSON(cfg, build)
		for _, p := range cfg.params {
			doc.Params = append(doc.Params, p.Name)
		}
		for _, pt := range points {
			m := map[string]any{}
			for i, p := range cfg.params {
				m[p.Name] = pt.values[i]
			}
			doc.Points = append(doc.Points, jsonPoint{Params: m, Result: pt.result})
		}
		for _, f := range fl {
			jf := jsonFit{Param: f.fit.Param, Exponent: f.fit.Exponent, R2: f.fit.R2, At: f.at, Line: f.fit.String()}
			if len(cfg.params) == 1 {
				doc.Fit = &jf
			} else {
				doc.Fits = append(doc.Fits, jf)
			}
		}
		return writeJSON(stdout, doc)
	case cfg.benchstat != "":
		for _, pt := range points {
			name := cfg.benchstat
			for i, p := range cfg.params {
				name += "/" + p.Format(pt.values[i])
			}
			fmt.Fprint(stdout, pt.result.Benchstat(name))
		}
		return nil
	case cfg.quiet:
		return nil
	}
	for _, f := range fl {
		line := f.fit.String()
		if f.at != nil {
			line += " at " + formatAt(f.at)
		}
		fmt.Fprintln(stdout, line)
	}
	printCompileTime(stdout, build)
	return nil
}
