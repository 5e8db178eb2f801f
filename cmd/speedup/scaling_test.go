package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gospeedup/speedup/scaling"
)

// runScalingCLI runs "speedup scaling args..." in process.
func runScalingCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"scaling"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestScalingEndToEnd builds the fixture's parallel sum once per command
// and times it at P = 1 and 2 with the smallest possible measurement. It
// checks the shape of the outputs only: timings on a shared machine say
// nothing reliable.
func TestScalingEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs snippet programs; skipped with -short")
	}
	code, stdout, stderr := runScalingCLI(t, "", "-C", "testdata/scaling", "--cpu", "2,1", "-n", "1", "-r", "2", "sumSquares(100000)")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "P  time (mean ± std. dev.)  speedup  efficiency  Karp-Flatt") {
		t.Fatalf("stdout is not the table:\n%s", stdout)
	}
	row1, row2 := strings.Fields(lines[1]), strings.Fields(lines[2])
	if len(row1) != 9 || row1[0] != "1" || row1[6] != "1.00" || row1[8] != "-" {
		t.Errorf("P=1 row %q, want 1, a time, speedup 1.00, no Karp-Flatt", lines[1])
	}
	if len(row2) != 9 || row2[0] != "2" || row2[3] != "±" {
		t.Errorf("P=2 row %q", lines[2])
	}
	if !strings.Contains(stdout, "Amdahl fit: serial fraction f = ") {
		t.Errorf("no Amdahl line:\n%s", stdout)
	}

	// JSON and a plot, the statement read from stdin.
	plot := filepath.Join(t.TempDir(), "s.svg")
	code, stdout, stderr = runScalingCLI(t, "sumSquares(n)\n", "-C", "testdata/scaling", "--cpu", "1,2", "-n", "1", "-r", "1",
		"-s", "n := 1000", "--json", "--plot", plot, "-")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var doc struct {
		Points []map[string]any `json:"points"`
		Amdahl map[string]any   `json:"amdahl"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if len(doc.Points) != 2 || doc.Points[0]["procs"] != 1.0 || doc.Points[1]["procs"] != 2.0 || doc.Points[0]["karp_flatt"] != nil {
		t.Errorf("points %v", doc.Points)
	}
	for _, k := range []string{"mean_ns", "stdev_ns", "speedup", "efficiency", "karp_flatt"} {
		if _, ok := doc.Points[1][k]; !ok {
			t.Errorf("point has no %q: %v", k, doc.Points[1])
		}
	}
	if _, ok := doc.Amdahl["serial_fraction"]; !ok {
		t.Errorf("amdahl %v has no serial_fraction", doc.Amdahl)
	}
	if b, err := os.ReadFile(plot); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("plot not written: %v", err)
	}
}

// TestScalingSetsGOMAXPROCS checks that each child really runs with
// GOMAXPROCS=P: the snippet (in a temporary module, without -C) leaves a
// file named after the GOMAXPROCS it sees.
func TestScalingSetsGOMAXPROCS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs snippet programs; skipped with -short")
	}
	dir := t.TempDir()
	t.Chdir(t.TempDir()) // outside any package: a temporary module
	stmt := `os.WriteFile(filepath.Join(` + strconvQuote(dir) + `, strconv.Itoa(runtime.GOMAXPROCS(0))), nil, 0o666)`
	code, stdout, stderr := runScalingCLI(t, "", "--cpu", "1,3", "-n", "1", "-r", "1", stmt)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range entries {
		seen = append(seen, e.Name())
	}
	slices.Sort(seen)
	if !slices.Equal(seen, []string{"1", "3"}) {
		t.Errorf("the children saw GOMAXPROCS %v, want 1 and 3", seen)
	}
	if _, had := os.LookupEnv("GOMAXPROCS"); had && os.Getenv("GOMAXPROCS") == "3" {
		t.Errorf("GOMAXPROCS=3 leaked into this process's environment")
	}
	if runtime.NumCPU() < 3 && !strings.Contains(stdout, "warning: P=3 exceeds the") {
		t.Errorf("no oversubscription warning on %d cores:\n%s", runtime.NumCPU(), stdout)
	}

	// Without --cpu: the powers of two below the cores, and the cores.
	dir = t.TempDir()
	stmt = `os.WriteFile(filepath.Join(` + strconvQuote(dir) + `, fmt.Sprintf("%04d", runtime.GOMAXPROCS(0))), nil, 0o666)`
	if code, _, stderr := runScalingCLI(t, "", "-n", "1", "-r", "1", stmt); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	entries, err = os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen = nil
	for _, e := range entries {
		seen = append(seen, e.Name())
	}
	var want []string
	for _, p := range scaling.DefaultProcs(runtime.NumCPU()) {
		want = append(want, fmt.Sprintf("%04d", p))
	}
	if !slices.Equal(seen, want) {
		t.Errorf("without --cpu the children saw GOMAXPROCS %v, want %v", seen, want)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s) // a JSON string of a path is a valid Go string literal
	return string(b)
}

// TestScalingErrors checks that every mistake is one line on stderr with
// the documented status, and never a panic trace.
func TestScalingErrors(t *testing.T) {
	long := !testing.Short()
	for _, tc := range []struct {
		args  []string
		code  int
		want  string
		build bool // needs a build (skipped with -short)
	}{
		{[]string{}, 2, "missing STMT", false},
		{[]string{"a()", "b()"}, 2, "one STMT expected", false},
		{[]string{"--cpu", "2,4", "x()"}, 2, "must include 1", false},
		{[]string{"--cpu", "1,x", "x()"}, 2, `--cpu: worker count "x" is not an integer`, false},
		{[]string{"--cpu", "1,1", "x()"}, 2, "listed twice", false},
		{[]string{"-n", "-1", "x()"}, 2, "-n -1", false},
		{[]string{"-n", "0", "x()"}, 2, "-n 0: the loop count must be positive", false},
		{[]string{"-r", "0", "x()"}, 2, "-r 0: the run count must be positive", false},
		{[]string{"--timeout", "0s", "x()"}, 2, "--timeout must be positive", false},
		{[]string{"-r", "-2", "x()"}, 2, "-r -2", false},
		{[]string{"--plot", "out.pdf", "x()"}, 2, ".svg or .png", false},
		{[]string{"--plot", "testdata/no-such-dir/out.svg", "x()"}, 2, "no directory testdata/no-such-dir", false},
		{[]string{"--cpu", "", "x()"}, 2, "--cpu: empty list", false},
		{[]string{"--cpu=", "x()"}, 2, "--cpu: empty list", false},
		{[]string{"--nosuchflag", "x()"}, 2, "flag provided but not defined", false},
		{[]string{"-C", "testdata/no-such-dir", "x()"}, 2, "missing directory", false},
		{[]string{"-C", "testdata/scaling", "--cpu", "1", "-n", "1", "-r", "1", "undefinedThing()"}, 2, "stmt:1:1: undefined: undefinedThing", true},
		{[]string{"-C", "testdata/scaling", "--cpu", "1,2", "-n", "1", "-r", "1", "x := 1\npanic(x)"}, 1, "stmt:2: panic: 1", true},
	} {
		if tc.build && !long {
			continue
		}
		code, stdout, stderr := runScalingCLI(t, "", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("scaling %q: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "speedup: ") || strings.Contains(stderr, "goroutine ") {
			t.Errorf("scaling %q: stderr is not one line:\n%s", tc.args, stderr)
		}
		if stdout != "" {
			t.Errorf("scaling %q: stdout %q, want nothing", tc.args, stdout)
		}
	}
}

func TestScalingHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"help", "scaling"}, nil, &out, &errb); code != 0 {
		t.Fatalf("speedup help scaling: exit %d", code)
	}
	for _, want := range []string{"usage: speedup scaling", "--cpu LIST", "Karp-Flatt", "Examples:", "$ speedup scaling -C ./examples/distance"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	code, stdout, _ := runScalingCLI(t, "", "-h")
	if code != 0 || stdout != scalingUsage {
		t.Errorf("scaling -h: exit %d, output differs from the usage", code)
	}
}
