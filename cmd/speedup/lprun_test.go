package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gospeedup/speedup/internal/golden"
)

// runLprunCLI runs "speedup NAME args..." in process.
func runLprunCLI(t *testing.T, stdin, name string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{name}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// treeHash hashes every file under dir, so that tests can check that
// lprun leaves the user's files byte for byte as they were.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// maskTimes blanks what depends on the clock: the method lines, the total
// times and the Time, Per Hit and % Time columns (which keep their width,
// so that the golden file still shows the layout).
func maskTimes(report string) string {
	var lines []string
	for _, l := range strings.Split(report, "\n") {
		// Whether --max-time ended the runs before enough samples
		// came depends on the machine's load.
		if !strings.HasPrefix(l, "Note: --max-time") {
			lines = append(lines, l)
		}
	}
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "Hits: ") || strings.HasPrefix(l, "Time: "):
			lines[i] = l[:strings.Index(l, ":")+1] + " <method>"
		case strings.HasPrefix(l, "Total time: "):
			lines[i] = "Total time: <t> s"
		case len(l) >= 48 && regexp.MustCompile(`^ {0,5}\d+ `).MatchString(l):
			// A line that ran shows '#' at the end of each timing
			// column; whether a line that did not run got a sample is
			// up to the clock, so its timing columns are blanked.
			mid := strings.Repeat(" ", 31)
			if strings.TrimSpace(l[7:16]) != "" {
				mid = strings.Repeat(" ", 12) + "#" + strings.Repeat(" ", 8) + "#" + strings.Repeat(" ", 8) + "#"
			}
			lines[i] = l[:16] + mid + l[47:]
		}
	}
	return strings.Join(lines, "\n")
}

// TestLprunGolden profiles the distance port, a method through both
// receiver spellings, a generic function, a closure and a recursive
// function, and compares the reports with their clock-dependent columns
// masked: layout and hits must match exactly.
func TestLprunGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir := filepath.Join("testdata", "lprun", "golden")
	before := treeHash(t, dir)
	code, stdout, stderr := runLprunCLI(t, "", "lprun", "-C", dir, "--max-time", "50ms",
		"-f", "distance", "-f", "(*Acc).Add", "-f", "Acc.Mean", "-f", "Sum", "-f", "Apply", "-f", "fib", "-f", "boom", "-z",
		"All()")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	abs, _ := filepath.Abs(dir)
	golden.Check(t, filepath.Join("testdata", "lprun", "golden.txt"), []byte(strings.ReplaceAll(maskTimes(stdout), abs, "$DIR")))
	if treeHash(t, dir) != before {
		t.Errorf("lprun changed files under %s", dir)
	}
	// The rows' times add up to Total time.
	if !strings.Contains(stdout, "Function: distance at line 25") {
		t.Errorf("no distance block:\n%s", stdout)
	}
}

// TestLprunSaveViewMerge saves two runs with -D and views them merged:
// hits add up.
func TestLprunSaveViewMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir := filepath.Join("testdata", "lprun", "golden")
	tmp := t.TempDir()
	one, two := filepath.Join(tmp, "1.json"), filepath.Join(tmp, "2.json")
	text := filepath.Join(tmp, "r.txt")
	for _, f := range []string{one, two} {
		code, stdout, stderr := runLprunCLI(t, "", "lprun", "-C", dir, "--max-time", "20ms", "-f", "fib", "-D", f, "-T", text, "_ = fib(5)")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		saved, _ := os.ReadFile(text)
		if string(saved) != stdout {
			t.Errorf("-T file differs from stdout")
		}
	}
	code, stdout, stderr := runLprunCLI(t, "", "view", "-u", "1e-6", one, two)
	if code != 0 {
		t.Fatalf("view: exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "Timer unit: 1e-06 s\nMerged from 2 profiles") {
		t.Errorf("view header:\n%s", stdout)
	}
	// fib(5) makes 15 calls: 30 over the two runs.
	if !regexp.MustCompile(`(?m)^ +\d+ +30 .*if n < 2 \{$`).MatchString(stdout) {
		t.Errorf("merged hits are not 30:\n%s", stdout)
	}
	code, _, stderr = runLprunCLI(t, "", "view", filepath.Join(tmp, "missing.json"))
	if code == 0 || !strings.Contains(stderr, "missing.json") {
		t.Errorf("view of a missing file: exit %d, %q", code, stderr)
	}
	code, _, stderr = runLprunCLI(t, "", "view", "-u", "NaN", one)
	if code != 2 || !strings.Contains(stderr, "-u NaN") {
		t.Errorf("view -u NaN: exit %d, %q", code, stderr)
	}
}

// TestLprunErrors: each bad input gets one clear line and a non-zero exit,
// never a Go stack trace, and leaves the files as they were.
func TestLprunErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir := filepath.Join("testdata", "lprun", "golden")
	before := treeHash(t, dir)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown function", []string{"-C", dir, "-f", "distanse", "distance()"}, 2, "no function distanse in package golden"},
		{"close matches", []string{"-C", dir, "-f", "Aply", "distance()"}, 2, "did you mean Apply"},
		{"unknown method", []string{"-C", dir, "-f", "(*Acc).Ad", "distance()"}, 2, "did you mean (*Acc).Add?"},
		{"bad name", []string{"-C", dir, "-f", "(*Acc.Add", "distance()"}, 2, `bad function name "(*Acc.Add"`},
		{"syntax error", []string{"-C", dir, "-f", "fib", "fib(3"}, 2, "stmt:1:"},
		{"type error", []string{"-C", dir, "-f", "fib", `fib("x")`}, 2, "stmt:1:5: cannot use"},
		{"missing directory", []string{"-C", filepath.Join(dir, "nope"), "-f", "fib", "fib(3)"}, 2, "missing directory"},
		{"no function", []string{"-C", dir, "fib(3)"}, 2, "no function to profile"},
		{"no statement", []string{"-C", dir, "-f", "fib"}, 2, "want exactly one STMT"},
		{"bad unit", []string{"-C", dir, "-f", "fib", "-u", "x", "fib(1)"}, 2, "-u x"},
		{"compile error, --exact-time", []string{"-C", filepath.Join("testdata", "lprun", "exacttime_compile_error"), "--exact-time", "-f", "F", "F()"}, 2, "broken.go:6:2: declared and not used: x"},
		{"-D in a missing directory", []string{"-C", dir, "-f", "fib", "-D", filepath.Join(dir, "nope", "p.json"), "fib(1)"}, 2, "no directory"},
		{"-T names a directory", []string{"-C", dir, "-f", "fib", "-T", dir, "fib(1)"}, 2, "is a directory"},
		{"NaN unit", []string{"-C", dir, "-f", "fib", "-u", "NaN", "fib(1)"}, 2, "-u NaN"},
		{"escaping statement", []string{"-C", dir, "-f", "fib", "} ; func init() { println() }; func _() {"}, 2, "stmt:1:1: syntax error: unexpected }, no matching {"},
		{"return", []string{"-C", dir, "-f", "fib", "fib(1)\nreturn"}, 2, "stmt:2:1: return is not allowed"},
		{"setup syntax error", []string{"-C", dir, "-f", "fib", "-s", "n := (", "fib(n)"}, 2, "setup:1:7: syntax error"},
		{"-s with --run", []string{"-f", "fib", "-s", "n := 1", "--run", "./x"}, 2, "-s applies to a statement"},
		// The tests' own CPU profile fought lprun's for the process's
		// one CPU profile: lprun lost its samples, the file got the
		// plain build's last run.
		{"--test with -test.cpuprofile", []string{"-f", "fib", "--test", "./" + dir, "--", "-test.cpuprofile", "cpu.out"}, 2, "--test: -test.cpuprofile would start a CPU profile of the tests' own"},
		{"--test with -cpuprofile=", []string{"-f", "fib", "--test", "./" + dir, "--", "-run", "X", "-cpuprofile=cpu.out"}, 2, "--test: -cpuprofile=cpu.out would start"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runLprunCLI(t, "", "lprun", c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, c.code, c.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 || strings.Contains(stderr, "goroutine ") {
				t.Errorf("error is not one line: %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
		})
	}
	if treeHash(t, dir) != before {
		t.Errorf("lprun changed files under %s", dir)
	}
}

// TestLprunOutsidePackage: outside any package, a function named without
// its package is a usage error whose message ends its line.
func TestLprunOutsidePackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	t.Chdir(t.TempDir())
	code, stdout, stderr := runLprunCLI(t, "", "lprun", "-f", "Fields", `strings.Fields("a b")`)
	want := "speedup: function Fields: without -C DIR, name functions with their package (pkg.Func)\n"
	if code != 2 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, want)
	}
}

// TestLprunPanic: a statement that panics still gets the report for what
// ran, then the panic, and exit status 1.
func TestLprunPanic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir := filepath.Join("testdata", "lprun", "golden")
	before := treeHash(t, dir)
	code, stdout, stderr := runLprunCLI(t, "", "lprun", "-C", dir, "--max-time", "20ms", "-f", "boom",
		"for i := range 5 {\n\tboom(i)\n}")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "stmt:2: panic: boom") {
		t.Errorf("stderr %q, want the panic at stmt:2", stderr)
	}
	// boom ran for i = 0..3: the if 4 times, the panic once, return 3 times.
	for _, re := range []string{`(?m)^ +\d+ +4 .*if n > 2 \{$`, `(?m)^ +\d+ +1 .*panic\("boom"\)$`, `(?m)^ +\d+ +3 .*return n$`} {
		if !regexp.MustCompile(re).MatchString(stdout) {
			t.Errorf("report does not match %s:\n%s", re, stdout)
		}
	}
	if treeHash(t, dir) != before {
		t.Errorf("lprun changed files under %s", dir)
	}
}

// TestLprunTimingFailureOutput: when the timing process fails after the
// counted run succeeded (oncethen's statement exits the process on its
// second run), its own error output reaches the user, and nothing of
// speedup's harness with it: the runtime's "cannot set cpu profile rate"
// line, which the harness's profile rate (above pprof's fixed 100 Hz)
// makes the runtime print into speedup's pipe, must not show.
func TestLprunTimingFailureOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir := filepath.Join("testdata", "lprun", "oncethen")
	code, _, stderr := runLprunCLI(t, "", "lprun", "-C", dir, "--max-time", "50ms", "-f", "Once", "_ = Once()")
	if code != 1 || !strings.Contains(stderr, "oncethen: called twice\n") || !strings.Contains(stderr, "exit status 3") {
		t.Errorf("exit %d, stderr %q; want exit 1, the program's line and its status", code, stderr)
	}
	if strings.Contains(stderr, "cannot set cpu profile rate") {
		t.Errorf("the runtime's profile-rate line reached the user:\n%s", stderr)
	}
}

// TestLprunDirectiveAndModuleCache: a //speedup:profile function is
// profiled without -f; a function of a module-cache module (x/sync, which
// this module requires) is profiled through a copy, leaving go.mod and
// go.sum as they were.
func TestLprunDirectiveAndModuleCache(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	code, stdout, stderr := runLprunCLI(t, "", "lprun", "-C", filepath.Join("testdata", "lprun", "directive"), "--max-time", "20ms", "_ = Square(3) + Plain()")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "Function: Square at line 8") || strings.Contains(stdout, "Function: Plain") {
		t.Errorf("want exactly Square profiled:\n%s", stdout)
	}
	if !regexp.MustCompile(`(?m)^ +\d+ +4 .*for range n \{$`).MatchString(stdout) {
		t.Errorf("loop header hits are not 4:\n%s", stdout)
	}

	root, _ := filepath.Abs("../..")
	mod, _ := os.ReadFile(filepath.Join(root, "go.mod"))
	sum, _ := os.ReadFile(filepath.Join(root, "go.sum"))
	code, stdout, stderr = runLprunCLI(t, "", "lprun", "-C", filepath.Join(root, "examples", "distance"), "--max-time", "20ms",
		"-f", "golang.org/x/sync/errgroup.(*Group).Go", "var g errgroup.Group\nfor range 4 {\n\tg.Go(func() error { return nil })\n}\ng.Wait()")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "Function: errgroup.(*Group).Go at line") ||
		!regexp.MustCompile(`(?m)^ +\d+ +4 .*g\.wg\.Add\(1\)$`).MatchString(stdout) {
		t.Errorf("errgroup.(*Group).Go not profiled with 4 hits:\n%s", stdout)
	}
	// The same in workspace mode, where the go command refuses -modfile.
	work := filepath.Join(t.TempDir(), "go.work")
	os.WriteFile(work, []byte("go 1.26.0\n\nuse "+strconv.Quote(root)+"\n"), 0o666)
	t.Setenv("GOWORK", work)
	code, stdout, stderr = runLprunCLI(t, "", "lprun", "-C", filepath.Join(root, "examples", "distance"), "--max-time", "20ms",
		"-f", "golang.org/x/sync/errgroup.(*Group).Go", "var g errgroup.Group\nfor range 4 {\n\tg.Go(func() error { return nil })\n}\ng.Wait()")
	if code != 0 || !regexp.MustCompile(`(?m)^ +\d+ +4 .*g\.wg\.Add\(1\)$`).MatchString(stdout) {
		t.Errorf("in a workspace: exit %d, %s\n%s", code, stderr, stdout)
	}
	mod2, _ := os.ReadFile(filepath.Join(root, "go.mod"))
	sum2, _ := os.ReadFile(filepath.Join(root, "go.sum"))
	if string(mod) != string(mod2) || string(sum) != string(sum2) {
		t.Errorf("go.mod or go.sum changed")
	}
}

// TestLprunProgramAndTest profiles a command run with arguments (--run)
// and a package's tests (--test), including a program that exits through
// os.Exit with a failure status.
func TestLprunProgramAndTest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir, _ := filepath.Abs(filepath.Join("testdata", "lprun", "prog"))
	before := treeHash(t, dir)
	t.Chdir(dir)
	code, stdout, stderr := runLprunCLI(t, "", "lprun", "--max-time", "100ms", "-f", "work", "--run", ".", "--", "10", "100")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The program's output, then the report: two calls, 10+100 iterations.
	if !strings.HasPrefix(stdout, "55\n5050\nTimer unit: 1e-09 s\n") ||
		!regexp.MustCompile(`(?m)^ +\d+ +112 .*for i := 1; i <= n; i\+\+ \{$`).MatchString(stdout) {
		t.Errorf("--run report:\n%s", stdout)
	}
	// A short program repeats inside one process for its time.
	if !strings.Contains(stdout, ", repeated inside one process:") {
		t.Errorf("--run: the program was not repeated inside one process:\n%s", stdout)
	}
	// main itself is profiled too: its os.Exit must not lose its counts.
	for _, exact := range []string{"--exact-time=false", "--exact-time"} {
		code, stdout, stderr = runLprunCLI(t, "", "lprun", "--max-time", "100ms", exact, "-f", "work", "-f", "main", "--run", ".", "--", "5", "fail")
		if code != 1 || !strings.Contains(stderr, "exited with status 3") ||
			!regexp.MustCompile(`(?m)^ +\d+ +6 .*for i := 1; i <= n; i\+\+ \{$`).MatchString(stdout) ||
			!regexp.MustCompile(`(?m)^ +\d+ +2 .*if a == "fail" \{$`).MatchString(stdout) ||
			!regexp.MustCompile(`(?m)^ +\d+ +1 .*os.Exit\(3\)$`).MatchString(stdout) ||
			exact == "--exact-time=false" && !strings.Contains(stdout, "one process per run (repeated inside one process, it exited with status 3)") {
			t.Errorf("%s: exit %d, stderr %q, report:\n%s", exact, code, stderr, stdout)
		}
	}
	// Functions of the package's own test files can be profiled too.
	code, stdout, stderr = runLprunCLI(t, "", "lprun", "--max-time", "100ms", "-f", "Sum", "-f", "TestSum", "--test", "./lib", "--", "-run", "TestSum")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`(?m)^ +\d+ +4 .*for _, x := range xs \{$`).MatchString(stdout) ||
		!regexp.MustCompile(`(?m)^ +\d+ +1 .*if Sum\(1, 2, 3\) != 6 \{$`).MatchString(stdout) {
		t.Errorf("--test report (only TestSum ran: 3 numbers):\n%s", stdout)
	}
	if !strings.Contains(stdout, ", repeated inside one process:") {
		t.Errorf("--test: the tests were not repeated inside one process:\n%s", stdout)
	}
	// A package whose external test package has its own TestMain, which
	// ends in os.Exit.
	code, stdout, stderr = runLprunCLI(t, "", "lprun", "--max-time", "100ms", "-f", "libmain.Double", "--test", "./libmain")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`(?m)^ +\d+ +3 .*for i, x := range xs \{$`).MatchString(stdout) {
		t.Errorf("--test report with TestMain:\n%s", stdout)
	}
	if !strings.Contains(stdout, ", repeated inside one process:") {
		t.Errorf("--test with TestMain: not repeated inside one process:\n%s", stdout)
	}
	if treeHash(t, dir) != before {
		t.Errorf("lprun changed files under %s", dir)
	}
}
