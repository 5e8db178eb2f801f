package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gospeedup/speedup/internal/golden"
	"golang.org/x/perf/benchfmt"
)

// runSpeedup runs the command in-process and returns its exit status and
// outputs.
func runSpeedup(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// ipythonLine matches IPython's %timeit line.
var ipythonLine = regexp.MustCompile(`(?m)^[0-9.]+ (s|ms|µs|ns) ± [0-9.]+ (s|ms|µs|ns) per loop \(mean ± std\. dev\. of \d+ runs?, [0-9,]+ loops? each\)$`)

const fixture = "testdata/timeitpkg"

// resultLines splits out into lines, leaving out those that depend on the
// machine's load, not on the code under test: the "Compiler time" line of
// a slow build and IPython's "slowest run" caution, which a sweep prefixes
// with the parameter ("n=10000: The slowest run took ...").
func resultLines(out string) []string {
	return golden.WithoutTimingLines(strings.TrimSpace(out))
}

// TestTimeitUnexported times an unexported function through -C in a
// package whose own test file does not compile (it must be hidden).
func TestTimeitUnexported(t *testing.T) {
	before := snapshotDir(t, "testdata")
	code, out, errOut := runSpeedup(t, "", "timeit", "-C", fixture, "-n", "5", "-r", "2", "-s", "k := 3", "square(k)")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := resultLines(out)
	if len(lines) != 1 || !ipythonLine.MatchString(lines[0]) || !strings.Contains(out, "of 2 runs, 5 loops each") {
		t.Errorf("output %q is not an IPython line for 2 runs of 5 loops", out)
	}
	// Flags may follow the statement; -q prints nothing; IPython's -n1 -r1
	// (the count attached to the flag) are accepted.
	code, out, errOut = runSpeedup(t, "", "timeit", "square(2)", "-C", fixture, "-n1", "-r1", "-q")
	if code != 0 || out != "" {
		t.Errorf("-q: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if after := snapshotDir(t, "testdata"); !sameFiles(before, after) {
		t.Errorf("speedup timeit changed files under testdata")
	}
}

// TestTimeitErrors checks that bad input gives one line and the right exit
// status, and that no file of the fixture changes.
func TestTimeitErrors(t *testing.T) {
	before := snapshotDir(t, "testdata")
	tests := []struct {
		args []string
		code int
		want string // the whole stderr, or a regexp when it starts with ^
	}{
		{[]string{"--nosuchflag", "x()"}, 2, "speedup: timeit: flag provided but not defined: -nosuchflag\n"},
		{[]string{"-n", "0", "x()"}, 2, "speedup: timeit: -n must be at least 1 (omit it to choose automatically)\n"},
		{[]string{"-n", "-3", "x()"}, 2, "speedup: timeit: -n must be at least 1 (omit it to choose automatically)\n"},
		{[]string{"-r", "0", "x()"}, 2, "speedup: timeit: -r must be at least 1\n"},
		{[]string{}, 2, "speedup: timeit: missing STMT (Go statements, or - to read them from stdin); see 'speedup help timeit'\n"},
		{[]string{"--param", "n", "x()"}, 2, `^speedup: timeit: .*\n$`},
		// A bad --param of 100 KB used to come back whole.
		{[]string{"--param", "n=" + strings.Repeat("x", 100_000), "x()"}, 2, `^speedup: timeit: --param n=x{38}…: value 1: x{40}… is not a number; quote strings\n$`},
		{[]string{"--timeout", "-1s", "x()"}, 2, "speedup: timeit: --timeout must be positive (omit it for no limit)\n"},
		{[]string{"--param", "n=1,2", "--param", "n=3", "x()"}, 2, "speedup: timeit: --param n given twice\n"},
		{[]string{"--plot", "x.svg", "x()"}, 2, "speedup: timeit: --plot needs exactly one --param (got 0)\n"},
		{[]string{"--gc=sometimes", "x()"}, 2, "speedup: timeit: --gc must be on or off, not \"sometimes\"\n"},
		{[]string{"-C", "testdata/nosuchdir", "x()"}, 2, "speedup: timeit: -C: missing directory testdata/nosuchdir\n"},
		{[]string{"-C", fixture, "square("}, 2, "speedup: stmt:1:8: syntax error: expected operand, found end of snippet\n"},
		{[]string{"-C", fixture, "square(1)\nnosuch(2)"}, 2, "speedup: stmt:2:1: undefined: nosuch\n"},
		{[]string{"-C", fixture, "-s", "a := 1", "-s", "b := square(\"x\")", "square(a+b)"}, 2,
			"speedup: setup:2:13: cannot use \"x\" (untyped string constant) as int value in argument to square\n"},
		{[]string{"-C", fixture, "-n", "2", "-r", "1", "-s", "k := 3", "square(k)\nfail(k)"}, 1, "speedup: stmt:2: panic: fail 3\n"},
		{[]string{"-C", fixture, "-n", "2", "-r", "1", "for k := range 5 {\n\tfail(k)\n}"}, 1, "speedup: stmt:2: panic: fail 3\n"},
		{[]string{"-C", fixture, "-n", "2", "-r", "1", "-s", "fail(4)", "square(1)"}, 1, "speedup: setup:1: panic: fail 4\n"},
		// return and break used to end the timing function early: "asked
		// for 1 loops, the harness ran 0", exit 1.
		{[]string{"-C", fixture, "square(1)\nreturn"}, 2, "speedup: stmt:2:1: return is not allowed in a snippet: it would end the timing function early\n"},
		{[]string{"-C", fixture, "square(1); break"}, 2, "speedup: stmt:1:12: break is not in a loop, switch, or select\n"},
		{[]string{"-C", fixture, "-n", "1", "-r", "1", "runtime.Goexit()"}, 1,
			"speedup: the snippet ended the timing function before its loops were done (did it call runtime.Goexit?)\n"},
		// A missing plot directory used to fail after the whole sweep.
		{[]string{"--param", "n=1,2", "--plot", "testdata/nosuchdir/p.svg", "x()"}, 2, "speedup: timeit: --plot: no directory testdata/nosuchdir\n"},
		{[]string{"--param", `s="a","b"`, "--plot", "p.svg", "x()"}, 2, "speedup: timeit: --plot needs numeric --param values\n"},
		{[]string{"--param", "n=0,1", "--plot", "p.svg", "x()"}, 2, "speedup: timeit: --plot: n=0 is not a positive number; a log axis cannot show it\n"},
	}
	for _, tt := range tests {
		code, out, errOut := runSpeedup(t, "", append([]string{"timeit"}, tt.args...)...)
		ok := errOut == tt.want
		if strings.HasPrefix(tt.want, "^") {
			ok = regexp.MustCompile(tt.want).MatchString(errOut)
		}
		if code != tt.code || !ok || out != "" {
			t.Errorf("timeit %q: exit %d, stdout %q, stderr %q; want exit %d, stderr %q", tt.args, code, out, errOut, tt.code, tt.want)
		}
	}
	if after := snapshotDir(t, "testdata"); !sameFiles(before, after) {
		t.Errorf("speedup timeit changed files under testdata")
	}
}

// TestTimeitCurrentPackage checks that without -C the package in the
// current directory is used, as go test does, and that outside any package
// the statements run in a temporary module with a hint for the usual
// mistake.
func TestTimeitCurrentPackage(t *testing.T) {
	abs, err := filepath.Abs(fixture)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(abs)
	code, out, errOut := runSpeedup(t, "", "timeit", "-n1", "-r1", "square(2)")
	if lines := resultLines(out); code != 0 || len(lines) != 1 || !ipythonLine.MatchString(lines[0]) {
		t.Errorf("in the package's directory: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	t.Chdir(t.TempDir())
	code, out, errOut = runSpeedup(t, "", "timeit", "-n1", "-r1", "square(2)")
	want := "speedup: stmt:1:1: undefined: square (without -C, statements run outside any package; use -C DIR to call a package's functions)\n"
	if code != 2 || out != "" || errOut != want {
		t.Errorf("outside a package: exit %d, stdout %q, stderr %q; want exit 2, %q", code, out, errOut, want)
	}
}

func TestTimeitHelp(t *testing.T) {
	code, out, _ := runSpeedup(t, "", "help", "timeit")
	if code != 0 || !strings.Contains(out, "usage: speedup timeit") || !strings.Contains(out, "Examples:") {
		t.Errorf("help timeit: exit %d, %q", code, out)
	}
	code, out, _ = runSpeedup(t, "", "timeit", "-h")
	if code != 0 || !strings.Contains(out, "--param NAME=V1,V2") {
		t.Errorf("timeit -h: exit %d, %q", code, out)
	}
}

// TestTimeitStdinCell times a multi-line cell read from stdin, without -C
// (imports are added automatically).
func TestTimeitStdinCell(t *testing.T) {
	t.Chdir(t.TempDir()) // outside any package
	cell := "s := 0.0\nfor i := 0; i < 100; i++ {\n\ts += math.Sqrt(float64(i))\n}\n"
	code, out, errOut := runSpeedup(t, cell, "timeit", "-n", "10", "-r", "2", "-")
	if lines := resultLines(out); code != 0 || len(lines) != 1 || !ipythonLine.MatchString(lines[0]) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A cell saved by an editor that starts files with a UTF-8 byte order
	// mark used to be a syntax error.
	code, out, errOut = runSpeedup(t, "\uFEFF"+cell, "timeit", "-n", "10", "-r", "2", "-")
	if lines := resultLines(out); code != 0 || len(lines) != 1 || !ipythonLine.MatchString(lines[0]) {
		t.Errorf("with a BOM: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestTimeitJSONAndVerbose(t *testing.T) {
	code, out, errOut := runSpeedup(t, "", "timeit", "-C", fixture, "-n", "3", "-r", "4", "--json", "square(7)")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var doc struct {
		Stmt   string
		Result struct {
			Line    string    `json:"line"`
			Loops   int       `json:"loops"`
			Runs    int       `json:"runs"`
			TimesNs []float64 `json:"times_ns"`
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
	if doc.Stmt != "square(7)" || doc.Result.Loops != 3 || doc.Result.Runs != 4 || len(doc.Result.TimesNs) != 4 || !ipythonLine.MatchString(doc.Result.Line) {
		t.Errorf("--json document: %+v", doc)
	}

	code, out, errOut = runSpeedup(t, "", "timeit", "-C", fixture, "-n", "3", "-r", "6", "-v", "square(7)")
	// Under load IPython's "slowest run" caution may come first, as in
	// IPython; the result line must be there either way.
	if code != 0 || !strings.Contains(out, "allocs") || !ipythonLine.MatchString(out) {
		t.Errorf("-v: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestTimeitBenchstat checks that --benchstat prints lines that
// golang.org/x/perf/benchfmt reads, one per run, sub-benchmarks for sweeps.
func TestTimeitBenchstat(t *testing.T) {
	code, out, errOut := runSpeedup(t, "", "timeit", "-C", fixture, "-n", "4", "-r", "3", "--benchstat", "Square",
		"--param", "n=2,3", "square(n)")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	r := benchfmt.NewReader(strings.NewReader(out), "timeit")
	names := map[string]int{}
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			if rec.Iters != 4 {
				t.Errorf("%s: %d iterations, want 4", rec.Name, rec.Iters)
			}
			if _, ok := rec.Value("sec/op"); !ok {
				t.Errorf("%s: no sec/op", rec.Name)
			}
			names[string(rec.Name.Base())+string(rec.Name)[len(rec.Name.Base()):]]++
		case *benchfmt.SyntaxError:
			t.Errorf("benchfmt: %v", rec)
		}
	}
	if len(names) != 2 {
		t.Errorf("benchmarks %v, want two sub-benchmarks with 3 runs each\n%s", names, out)
	}
	for name, n := range names {
		if n != 3 || !strings.HasPrefix(name, "Square/n=") {
			t.Errorf("benchmark %s: %d lines", name, n)
		}
	}
}

// TestTimeitSweep runs a --param sweep with a plot, and a grid in JSON.
func TestTimeitSweep(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "sweep.svg")
	code, out, errOut := runSpeedup(t, "", "timeit", "-C", fixture, "-n", "50", "-r", "3",
		"-s", "x := make([]int, n)", "--param", "n=100,1000,10000", "--plot", plot,
		"for i := range x { x[i] = square(i) }")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := resultLines(out)
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "n=100: ") || !strings.HasPrefix(lines[2], "n=10000: ") ||
		!regexp.MustCompile(`^time ~ n\^-?[0-9.]+ \(R² [0-9.]+\)$`).MatchString(lines[3]) {
		t.Errorf("sweep output:\n%s", out)
	}
	if fi, err := os.Stat(plot); err != nil || fi.Size() == 0 {
		t.Errorf("plot not written: %v", err)
	}

	code, out, errOut = runSpeedup(t, "", "timeit", "-C", fixture, "-n", "5", "-r", "2", "--json",
		"--param", "a=1,2", "--param", `s="x","yy"`, "_ = square(a) + len(s)")
	if code != 0 {
		t.Fatalf("grid: exit %d, stderr %q", code, errOut)
	}
	var doc struct {
		Params []string
		Points []struct {
			Params map[string]any
		}
		Fits []struct {
			Param    string
			Exponent float64
			R2       *float64
			Values   int
			At       map[string]any
			Line     string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("grid --json: %v\n%s", err, out)
	}
	if len(doc.Points) != 4 || len(doc.Params) != 2 || doc.Points[1].Params["s"] != "yy" || len(doc.Fits) != 2 || doc.Fits[0].Param != "a" {
		t.Errorf("grid --json document: %+v", doc)
	}
	// Two values of a fit any power exactly: the R² of 1 they used to
	// get said nothing; it is null, and the line says why.
	for _, f := range doc.Fits {
		if f.R2 != nil || f.Values != 2 || !strings.Contains(f.Line, "(R² n/a: 2 values of a)") {
			t.Errorf("fit of two values: r2 %v, values %d, line %q", f.R2, f.Values, f.Line)
		}
	}
}

func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		m[path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameFiles(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestTimeitDefer checks that a deferred call in the statement runs at the
// end of each loop: the lock below used to deadlock at the second loop
// (the deferred unlocks ran only after the last loop).
func TestTimeitDefer(t *testing.T) {
	code, out, errOut := runSpeedup(t, "", "timeit", "-C", fixture, "-n", "3", "-r", "2",
		"-s", "var mu sync.Mutex", "mu.Lock(); defer mu.Unlock(); square(2)")
	if lines := resultLines(out); code != 0 || len(lines) != 1 || !ipythonLine.MatchString(lines[0]) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestAttachedCounts(t *testing.T) {
	var cfg timeitConfig
	var setup, params multiFlag
	var gc string
	fs := timeitFlags(&cfg, &setup, &params, &gc)
	got := strings.Join(attachedCounts(fs, []string{"-n1", "-r10", "-p4", "-n", "5", "-nx", "-s", "-n2", "--gc=off", "-r2", "--", "-r3"}), " ")
	if want := "-n=1 -r=10 -p=4 -n 5 -nx -s -n2 --gc=off -r=2 -- -r3"; got != want {
		t.Errorf("attachedCounts = %q, want %q", got, want)
	}
}

// TestTimeitGCFlagsOutput checks that the compiler's diagnostics asked for
// with --gcflags=-m reach stderr: the build's output used to be dropped
// when it succeeded.
func TestTimeitGCFlagsOutput(t *testing.T) {
	code, out, errOut := runSpeedup(t, "", "timeit", "-C", fixture, "-n1", "-r1", "--gcflags=-m", "square(2)")
	if code != 0 || !strings.Contains(errOut, "can inline square") || !ipythonLine.MatchString(out) {
		t.Errorf("exit %d, stdout %q, stderr %.300q", code, out, errOut)
	}
}

// TestTimeitBrokenStdout runs a sweep whose stdout nobody reads (as under
// "speedup timeit ... | head -1"): SIGPIPE used to kill the process before
// the temporary directory was removed. It re-runs the test binary with
// stdout a pipe whose read end is closed.
func TestTimeitBrokenStdout(t *testing.T) {
	if os.Getenv("SPEEDUP_TEST_BROKEN_STDOUT") == "1" {
		os.Exit(run([]string{"timeit", "-C", fixture, "-n1", "-r1", "--param", "n=1,2", "square(n)"}, os.Stdin, os.Stdout, os.Stderr))
	}
	tmp := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTimeitBrokenStdout$")
	cmd.Env = append(os.Environ(), "SPEEDUP_TEST_BROKEN_STDOUT=1", "TMPDIR="+tmp)
	cmd.Stdout = w
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err = cmd.Run()
	w.Close()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(errOut.String(), "broken pipe") {
		t.Errorf("exit %v, stderr %q; want exit status 1 and a broken pipe error", err, errOut.String())
	}
	var left []string
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "speedup-") {
			left = append(left, e.Name())
		}
	}
	if len(left) > 0 {
		t.Errorf("temporary directories left behind: %v", left)
	}
}
