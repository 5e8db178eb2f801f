package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/internal/snippet"
	"github.com/gospeedup/speedup/timeit"
)

const timeitUsage = `usage: speedup timeit [-n N] [-r R] [-s SETUP]... [-C DIR] [-p PREC] [-q] [-v]
                      [--json] [--benchstat NAME] [--param NAME=V1,V2,...]... [--plot FILE]
                      [--gc=on|off] [--timeout D] [--tags T] [--gcflags F] [--race] STMT|-

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
package in the current directory is used, as go test does, and when there
is none the statements run in a temporary module. A build that takes more
than 1 s is reported on a line "Compiler time: 1.23 s".

Flags:
  -n N          loops per run (default: automatic); -n1000, -r3 and -p4 are
                accepted as in IPython
  -r R          number of runs (default 7)
  -s SETUP      setup statements, run before each run outside the timing;
                repeatable (several -s are consecutive lines of one setup)
  -C DIR        run in the Go package in DIR (its unexported names are visible);
                default: the package in the current directory, if any
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
  --timeout D   stop a measurement (one --param value) that takes longer
                than D, such as a snippet that hangs (the build is not
                counted); default: no limit
  --tags T, --gcflags F, --race
                passed to the go command

Exit status: 0 on success, 2 for a usage or compile error, 1 for an error
while running (such as a panic in the snippet or a --timeout), 130, 143 or
129 when interrupted by SIGINT, SIGTERM or SIGHUP (children are stopped and
temporary files removed first).

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

// printCompileTime prints IPython's "Compiler time" line for a slow build.
// Every command prints it on stdout after its results, and not at all in
// its machine-readable modes (--json, --benchstat) or under -q.
func printCompileTime(w io.Writer, d time.Duration) {
	if d > compileTimeThreshold {
		fmt.Fprintf(w, "Compiler time: %.2f s\n", d.Seconds())
	}
}

// timeitConfig is the parsed command line.
type timeitConfig struct {
	snippet.Config
	number, repeat, precision int
	quiet, verbose, json      bool
	benchstat                 string
	plot                      string
	gcOff                     bool
	timeout                   time.Duration
	stmtFromStdin             bool
}

// timeitFlags defines timeit's flags, the one list of them: parsing,
// attachedCounts and the usage test all read this flag set.
func timeitFlags(cfg *timeitConfig, setup, params *multiFlag, gc *string) *flag.FlagSet {
	fs := newFlagSet(commands["timeit"])
	fs.IntVar(&cfg.number, "n", 0, "loops per run")
	fs.IntVar(&cfg.repeat, "r", 0, "runs")
	fs.Var(setup, "s", "setup statements")
	fs.StringVar(&cfg.Dir, "C", "", "package directory")
	fs.IntVar(&cfg.precision, "p", 0, "significant digits")
	fs.BoolVar(&cfg.quiet, "q", false, "quiet")
	fs.BoolVar(&cfg.verbose, "v", false, "verbose")
	fs.BoolVar(&cfg.json, "json", false, "JSON output")
	fs.StringVar(&cfg.benchstat, "benchstat", "", "benchmark name")
	fs.Var(params, "param", "NAME=V1,V2,...")
	fs.StringVar(&cfg.plot, "plot", "", "plot file")
	fs.StringVar(gc, "gc", "on", "on or off")
	fs.DurationVar(&cfg.timeout, "timeout", 0, "deadline of a measurement")
	fs.StringVar(&cfg.Tags, "tags", "", "build tags")
	fs.StringVar(&cfg.GCFlags, "gcflags", "", "compiler flags")
	fs.BoolVar(&cfg.Race, "race", false, "race detector")
	return fs
}

func runTimeit(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parseTimeit(args, stdin, stdout)
	if err != nil {
		return err
	}
	err = timeitMain(ctx, cfg, stdin, stdout, stderr)
	var pe *gorun.PanicError
	if cfg.verbose && errors.As(err, &pe) && pe.Stack != "" {
		return &trailerError{err: err, trailer: pe.Stack}
	}
	return err
}

// parseTimeit reads timeit's command line: the flags, each checked before
// the build and the measurements (which can take minutes), and STMT.
func parseTimeit(args []string, stdin io.Reader, stdout io.Writer) (*timeitConfig, error) {
	cfg := &timeitConfig{}
	var setup, params multiFlag
	gc := "on"
	fs := timeitFlags(cfg, &setup, &params, &gc)
	pos, err := parseFlags(commands["timeit"], fs, attachedCounts(fs, args), stdout)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := cfg.checkCounts(set); err != nil {
		return nil, err
	}
	if err := cfg.checkModes(set, gc); err != nil {
		return nil, err
	}
	cfg.Setup = setup
	if cfg.Params, err = parseTimeitParams(params); err != nil {
		return nil, err
	}
	if err := checkTimeitPlot(cfg.plot, cfg.Params); err != nil {
		return nil, err
	}
	if cfg.Stmt, cfg.stmtFromStdin, err = timeitStmt(pos, stdin); err != nil {
		return nil, err
	}
	return cfg, nil
}

// checkCounts rejects a -n, -r, -p or --timeout given explicitly with a
// value that means nothing; set holds the names of the flags given.
func (cfg *timeitConfig) checkCounts(set map[string]bool) error {
	if set["n"] && cfg.number <= 0 {
		return usageError("timeit: -n must be at least 1 (omit it to choose automatically)")
	}
	if set["r"] && cfg.repeat <= 0 {
		return usageError("timeit: -r must be at least 1")
	}
	if set["p"] && (cfg.precision < 1 || cfg.precision > 17) {
		return usageError("timeit: -p must be between 1 and 17")
	}
	if set["timeout"] && cfg.timeout <= 0 {
		return usageError("timeit: --timeout must be positive (omit it for no limit)")
	}
	return nil
}

// checkModes reads --gc into cfg.gcOff and rejects an empty or spaced
// --benchstat name and an empty -C; set holds the names of the flags given.
func (cfg *timeitConfig) checkModes(set map[string]bool, gc string) error {
	switch gc {
	case "on":
	case "off":
		cfg.gcOff = true
	default:
		return usageError("timeit: --gc must be on or off, not %q", gc)
	}
	if set["benchstat"] && (cfg.benchstat == "" || strings.ContainsAny(cfg.benchstat, " \t\n")) {
		return usageError("timeit: --benchstat needs a benchmark name without spaces")
	}
	if set["C"] && cfg.Dir == "" {
		return usageError("timeit: -C needs a directory")
	}
	return nil
}

// parseTimeitParams parses the --param flags in order, each name at most
// once.
func parseTimeitParams(params multiFlag) ([]timeit.Param, error) {
	var out []timeit.Param
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
		out = append(out, pp)
	}
	return out, nil
}

// checkTimeitPlot checks a --plot file (an empty name is no plot) against
// the parameters it would draw: exactly one, with positive numeric values
// for its log axis, and a file that can be written. All of it is found out
// now, not after a sweep of several minutes.
func checkTimeitPlot(plot string, params []timeit.Param) error {
	if plot == "" {
		return nil
	}
	if len(params) != 1 {
		return usageError("timeit: --plot needs exactly one --param (got %d)", len(params))
	}
	if ext := strings.ToLower(filepath.Ext(plot)); ext != ".svg" && ext != ".png" {
		return usageError("timeit: --plot file must end in .svg or .png")
	}
	if err := checkOutput(plot); err != nil {
		return usageError("timeit: --plot: %v", err)
	}
	p := params[0]
	for _, v := range p.Values {
		switch x, ok := timeit.Number(v); {
		case !ok:
			return usageError("timeit: --plot needs numeric --param values")
		case x <= 0:
			return usageError("timeit: --plot: %s is not a positive number; a log axis cannot show it", p.Format(v))
		}
	}
	return nil
}

// timeitStmt returns the statements to time from the positional
// arguments, reading them from stdin for "-" (fromStdin is then true).
func timeitStmt(pos []string, stdin io.Reader) (stmt string, fromStdin bool, err error) {
	switch {
	case len(pos) == 0:
		return "", false, usageError("timeit: missing STMT (Go statements, or - to read them from stdin); see 'speedup help timeit'")
	case len(pos) == 1 && pos[0] == "-":
		if stmt, err = readStdin(stdin); err != nil {
			return "", false, fmt.Errorf("timeit: %v", err)
		}
		fromStdin = true
	default:
		// An unquoted statement arrives in pieces ("Dot(x," "x)").
		stmt = strings.Join(pos, " ")
	}
	if strings.TrimSpace(stmt) == "" {
		return "", false, usageError("timeit: STMT is empty")
	}
	return stmt, fromStdin, nil
}

// attachedCounts rewrites IPython's -n1000, -r3 and -p4 (a count attached
// to its flag, as in "%timeit -n1 -r1 f()") as -n=1000, -r=3 and -p=4, which
// the flag package reads. The values of fs's flags that take one and the
// arguments after "--" are left alone.
func attachedCounts(fs *flag.FlagSet, args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i := 0; i < len(out); i++ {
		a := out[i]
		switch {
		case a == "--":
			return out
		case len(a) > 2 && a[0] == '-' && strings.ContainsRune("nrp", rune(a[1])) && strings.Trim(a[2:], "0123456789") == "":
			out[i] = a[:2] + "=" + a[2:]
		case strings.HasPrefix(a, "-") && !strings.Contains(a, "=") && takesValue(fs, strings.TrimLeft(a, "-")):
			i++ // the next argument is this flag's value
		}
	}
	return out
}

// takesValue reports whether fs has a flag name that takes a value (is not
// a boolean flag).
func takesValue(fs *flag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

func timeitMain(ctx context.Context, cfg *timeitConfig, stdin io.Reader, stdout, stderr io.Writer) error {
	prog, err := snippet.Build(ctx, cfg.Config)
	var ie *snippet.InputError
	if errors.As(err, &ie) {
		return fmt.Errorf("timeit: %w", err)
	}
	if err != nil {
		return err
	}
	defer prog.Close()
	// What the build printed although it succeeded: the compiler's
	// diagnostics that --gcflags=-m asked for.
	fmt.Fprint(stderr, prog.BuildOutput)

	opts := timeit.Options{Number: cfg.number, Repeat: cfg.repeat, Precision: cfg.precision, Progress: terminal(stderr)}
	var snippetIn io.Reader
	if !cfg.stmtFromStdin {
		snippetIn = stdin
	}
	measure := func(values []any) (*timeit.Result, error) {
		o := opts
		if len(values) > 0 {
			o.Label = "timeit " + timeit.Label(cfg.Params, values)
		}
		return prog.Measure(ctx, snippet.Measurement{
			Values: values, GCOff: cfg.gcOff, Timeout: cfg.timeout,
			Stdin: snippetIn, Stdout: stdout, Stderr: stderr, Options: o,
		})
	}

	if len(cfg.Params) == 0 {
		r, err := measure(nil)
		if err != nil {
			return err
		}
		return printSingle(cfg, r, prog.BuildTime, stdout)
	}

	var points []timeit.GridPoint
	for _, values := range timeit.Grid(cfg.Params) {
		label := timeit.Label(cfg.Params, values)
		r, err := measure(values)
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		points = append(points, timeit.GridPoint{Values: values, Result: r})
		if !cfg.json && !cfg.quiet && cfg.benchstat == "" {
			// Print as we go: a sweep can take a while.
			w := &errWriter{w: stdout}
			printLine(w, label+": ", r, cfg.verbose)
			if errors.Is(w.err, syscall.EPIPE) {
				return w.err // nobody reads the rest
			}
		}
	}
	return printSweep(cfg, points, prog.BuildTime, stdout)
}

// terminal returns w when it is a terminal, for progress bars, and nil
// otherwise.
func terminal(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return w
	}
	return nil
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
	R2       *float64       `json:"r2"`           // null when the fit has no R² (fewer than 3 values)
	Values   int            `json:"values"`       // distinct values of Param the fit rests on
	At       map[string]any `json:"at,omitempty"` // the other parameters' values, for grids
	Line     string         `json:"line"`
}

func newJSON(cfg *timeitConfig, build time.Duration) *timeitJSON {
	setup := cfg.Setup
	if setup == nil {
		setup = []string{}
	}
	return &timeitJSON{Stmt: cfg.Stmt, Setup: setup, Dir: cfg.Dir, CompileSeconds: build.Seconds()}
}

// writeJSON writes doc indented, as every command's --json does.
func writeJSON(w io.Writer, doc any) error {
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
		_, err := fmt.Fprint(stdout, r.Benchstat(cfg.benchstat))
		return err
	case cfg.quiet:
		return nil
	}
	w := &errWriter{w: stdout}
	printLine(w, "", r, cfg.verbose)
	printCompileTime(w, build)
	return w.err
}

func printSweep(cfg *timeitConfig, points []timeit.GridPoint, build time.Duration, stdout io.Writer) error {
	fl := timeit.FitGrid(cfg.Params, points)
	if cfg.plot != "" {
		var fit *timeit.Fit
		if len(fl) == 1 {
			fit = &fl[0].Fit
		}
		var pts []timeit.SweepPoint
		for _, pt := range points {
			x, _ := timeit.Number(pt.Values[0]) // checked by parseTimeit
			pts = append(pts, timeit.SweepPoint{Value: pt.Values[0], X: x, Result: pt.Result})
		}
		if err := timeit.PlotSweep(cfg.plot, cfg.Params[0].Name, pts, fit); err != nil {
			return fmt.Errorf("timeit: --plot: %v", err)
		}
	}
	switch {
	case cfg.json:
		doc := newJSON(cfg, build)
		for _, p := range cfg.Params {
			doc.Params = append(doc.Params, p.Name)
		}
		for _, pt := range points {
			m := map[string]any{}
			for i, p := range cfg.Params {
				m[p.Name] = pt.Values[i]
			}
			doc.Points = append(doc.Points, jsonPoint{Params: m, Result: pt.Result})
		}
		for _, f := range fl {
			jf := jsonFit{Param: f.Fit.Param, Exponent: f.Fit.Exponent, Values: f.Fit.Values, At: f.At, Line: f.Fit.String()}
			if r2 := f.Fit.R2; !math.IsNaN(r2) {
				jf.R2 = &r2
			}
			if len(cfg.Params) == 1 {
				doc.Fit = &jf
			} else {
				doc.Fits = append(doc.Fits, jf)
			}
		}
		return writeJSON(stdout, doc)
	case cfg.benchstat != "":
		w := &errWriter{w: stdout}
		for _, pt := range points {
			name := cfg.benchstat
			for i, p := range cfg.Params {
				name += "/" + p.Format(pt.Values[i])
			}
			fmt.Fprint(w, pt.Result.Benchstat(name))
		}
		return w.err
	case cfg.quiet:
		return nil
	}
	w := &errWriter{w: stdout}
	for _, f := range fl {
		fmt.Fprintln(w, f.String())
	}
	printCompileTime(w, build)
	return w.err
}
