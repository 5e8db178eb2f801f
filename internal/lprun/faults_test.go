package lprun

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/lineprof"
)

// TestStrayGoroutines: goroutines that the statement starts and does not
// wait for count when they end within a second of it, whether they are
// function literals of the profiled function or call a profiled function
// later; one that never ends is stated in the header (issue 9).
func TestStrayGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir, _ := filepath.Abs("testdata/strays")
	file := filepath.Join(dir, "strays.go")
	for _, exact := range []bool{false, true} {
		res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"Spawn", "Work"}, Stmt: "Spawn()", MaxTime: 20 * time.Millisecond, ExactTime: exact})
		if err != nil {
			t.Fatal(err)
		}
		got := hitsByLine(res.Profile, file)
		for l, w := range wants(t, file) {
			if got[l] != w {
				t.Errorf("exact-time %v: strays.go:%d: hits %d, want %d", exact, l, got[l], w)
			}
		}
		if h := strings.Join(res.Profile.Method, "\n"); strings.Contains(h, "still running") {
			t.Errorf("header says something is still running:\n%s", h)
		}
	}
	start := time.Now()
	res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"Leak"}, Stmt: "Leak()", MaxTime: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want := "1 goroutine that the statement started without waiting for was still running 1 s after it returned: its 1 activation of profiled functions in progress and any later ones are not counted."
	if h := res.Profile.Method[0]; !strings.Contains(h, want) {
		t.Errorf("header %q lacks %q", h, want)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("the run took %v: it did not wait a second for the goroutine", d)
	}
}

// TestHarnessCallsNotCounted: the harness's own calls never count in a
// profiled function of the standard library: its clock (time.Now,
// time.Since), and the description of a panic (fmt.Sprint), for
// statements that make no such call (issue 9).
func TestHarnessCallsNotCounted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	for _, c := range []struct {
		stmt  string
		funcs []string
		exact bool
		want  int64 // the most hits of any line of each function
	}{
		{"x := 1\n_ = x", []string{"time.Now", "time.Since"}, false, 0},
		{"x := 1\n_ = x", []string{"time.Now", "time.Since"}, true, 0},
		{"_ = time.Since(time.Now())", []string{"time.Now", "time.Since"}, false, 1},
		{`panic("boom")`, []string{"fmt.Sprint"}, false, 0},
	} {
		res, err := Run(context.Background(), Options{Funcs: c.funcs, Stmt: c.stmt, MaxTime: 10 * time.Millisecond, ExactTime: c.exact})
		if err != nil {
			t.Fatalf("%q: %v", c.stmt, err)
		}
		if len(res.Profile.Funcs) != len(c.funcs) {
			t.Fatalf("%q: %d functions profiled", c.stmt, len(res.Profile.Funcs))
		}
		for _, f := range res.Profile.Funcs {
			most := int64(0)
			for _, l := range f.Lines {
				most = max(most, l.Hits)
			}
			if most != c.want {
				t.Errorf("%q, exact-time %v: %s counts up to %d hits on a line, want %d", c.stmt, c.exact, f.Name, most, c.want)
			}
		}
	}
}

// TestPprofNames: -f takes the names pprof and stack traces print: a
// function literal's (Pipeline.func1, nested .func1.2, with the package or
// its import path) selects the function holding it, and a promoted method
// (Outer.Do, (*Deep).Do, Deep.WriteString) the method of the embedded
// type; the others get a precise error (issue 9).
func TestPprofNames(t *testing.T) {
	dir, _ := filepath.Abs("testdata/names")
	for arg, want := range map[string]string{
		"Pipeline.func1":         "Pipeline",
		"names.Pipeline.func1":   "Pipeline",
		"Pipeline.func1.2":       "Pipeline",
		"Pipeline-range1":        "Pipeline",
		"names.Pipeline.func1.1": "Pipeline",
		"Outer.Do":               "(*Inner).Do",
		"(*Outer).Do":            "(*Inner).Do",
		"names.Outer.Do":         "(*Inner).Do",
		"(*Deep).Do":             "(*Inner).Do",
		"Deep.WriteString":       "strings.(*Builder).WriteString",
		"Do":                     "",
		"Inner.Do":               "(*Inner).Do",
	} {
		if want == "" {
			continue
		}
		ts, _, err := resolve(context.Background(), Options{Dir: dir, Funcs: []string{arg}}, t.TempDir())
		if err != nil {
			t.Errorf("-f %s: %v", arg, err)
			continue
		}
		if len(ts) != 1 || ts[0].display != want {
			var got []string
			for _, x := range ts {
				got = append(got, x.display)
			}
			t.Errorf("-f %s selects %v, want %s", arg, got, want)
		}
	}
	for arg, want := range map[string]string{
		"Holder.Do":         "Holder.Do is promoted from the embedded interface Doer, which has no body to profile",
		"Both.Do":           "Both.Do is ambiguous: both Inner and Other have a method Do",
		"Pipeline.Run":      "Pipeline is a function of package names, not a type or a package: a function literal in it is profiled with it (-f Pipeline)",
		"Nothing.Run":       "no type Nothing in package names, and no package Nothing",
		"Other.Do.func1":    "Other.Do has no function literal",
		"names.glob..func1": "is a function literal in a package-level variable's initializer",
	} {
		_, _, err := resolve(context.Background(), Options{Dir: dir, Funcs: []string{arg}}, t.TempDir())
		var ie *InputError
		if err == nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), want) {
			t.Errorf("-f %s: got %v, want an input error with %q", arg, err, want)
		}
	}
}

// TestPprofNamesProfiled runs what pprof's names select: the closure's
// function and the promoted method, with exact hits.
func TestPprofNamesProfiled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir, _ := filepath.Abs("testdata/names")
	file := filepath.Join(dir, "names.go")
	res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"Pipeline.func1", "Outer.Do"}, Stmt: "var o Outer\n_ = Pipeline([]int{1, 2, 3}) + o.Do(2)", MaxTime: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	got := hitsByLine(res.Profile, file)
	for l, w := range wants(t, file) {
		if got[l] != w {
			t.Errorf("names.go:%d: hits %d, want %d", l, got[l], w)
		}
	}
}

// TestLineDirectives: a file with //line directives (goyacc's, templ's,
// ragel's output) is reported at its own lines, for hits and time alike:
// every line with hits or time is a line of its function, and the time is
// not lost (issue 9).
func TestLineDirectives(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir, _ := filepath.Abs("testdata/linedir")
	file := filepath.Join(dir, "calc.go")
	for _, exact := range []bool{false, true} {
		res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"Eval", "step"}, Stmt: "Eval(200_000)", MaxTime: 300 * time.Millisecond, ExactTime: exact})
		if err != nil {
			t.Fatal(err)
		}
		got := hitsByLine(res.Profile, file)
		for l, w := range wants(t, file) {
			if got[l] != w {
				t.Errorf("exact-time %v: calc.go:%d: hits %d, want %d", exact, l, got[l], w)
			}
		}
		var eval *lineprof.Func
		for _, f := range res.Profile.Funcs {
			if f.File != file {
				t.Errorf("function %s reported in %s", f.Name, f.File)
			}
			if f.Name == "Eval" {
				eval = f
			}
			for _, l := range f.Lines {
				if l.Line < f.Line || l.Line > f.EndLine || l.Line-f.Line >= len(f.Source) {
					t.Errorf("exact-time %v: %s: line %d (hits %d, time %d) is outside %d-%d", exact, f.Name, l.Line, l.Hits, l.TimeNS, f.Line, f.EndLine)
				}
			}
		}
		if eval == nil || eval.Line != 8 || !strings.HasPrefix(eval.Source[0], "func Eval") {
			t.Fatalf("exact-time %v: Eval not reported at calc.go:8: %+v", exact, eval)
		}
		// The loop's line holds most of Eval's time (it calls step):
		// none is lost on lines without source.
		var total, loop int64
		for _, l := range eval.Lines {
			total += l.TimeNS
			if l.Line == 11 {
				loop = l.TimeNS
			}
		}
		if total == 0 || float64(loop) < 0.5*float64(total) {
			t.Errorf("exact-time %v: Eval's time %d ns, %d on the call of step:\n%+v", exact, total, loop, eval.Lines)
		}
	}
}

// TestModuleCopyKept: a module-cache module is profiled from a copy kept
// under the user's cache directory, made once and reused by the next run
// (a new copy each run made the go command recompile the whole module).
func TestModuleCopyKept(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	if runtime.GOOS != "linux" {
		t.Skip("moves the user's cache directory through XDG_CACHE_HOME")
	}
	// The go command's own caches stay where they are.
	for _, v := range []string{"GOCACHE", "GOMODCACHE"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv(v, strings.TrimSpace(string(out)))
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	_, modDir := goModCache(t)
	ucd, _ := os.UserCacheDir()
	dir, _ := filepath.Abs("../../examples/distance")
	var stamp time.Time
	for run := range 2 {
		res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"golang.org/x/sync/errgroup.(*Group).Go"},
			Stmt: "var g errgroup.Group\nfor range 4 {\n\tg.Go(func() error { return nil })\n}\ng.Wait()", MaxTime: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if f := res.Profile.Funcs[0]; !strings.HasPrefix(f.File, modDir) {
			t.Errorf("reported in %s, want the module cache's file", f.File)
		}
		matches, _ := filepath.Glob(filepath.Join(ucd, "speedup", "lprun-mod", "golang.org", "x", "sync@*", "errgroup", "errgroup.go"))
		if len(matches) != 1 {
			t.Fatalf("run %d: kept copies %v", run, matches)
		}
		st, err := os.Stat(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		if run == 1 && !st.ModTime().Equal(stamp) {
			t.Errorf("the second run copied the module again")
		}
		stamp = st.ModTime()
	}
}

// TestProgramHooksNotCounted: with --run, the hooks' reading of their
// request (a bufio.Scanner, as the program's) counts in no profiled
// function: Scan's hits are the program's own.
func TestProgramHooksNotCounted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	for _, args := range [][]string{nil, {"a", "b", "c"}} {
		res, err := Run(context.Background(), Options{Program: &Program{Pkg: "./testdata/quietprog", Args: args},
			Funcs: []string{"bufio.(*Scanner).Scan"}, MaxTime: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		// The first counted line of Scan runs once per call: one per
		// line of input and the final one (none without input lines: the
		// empty input's single call).
		f := res.Profile.Funcs[0]
		first := int64(0)
		for _, l := range f.Lines {
			if l.Hits > 0 {
				first = l.Hits
				break
			}
		}
		if want := int64(len(args) + 1); first != want {
			t.Errorf("args %q: Scan's first line has %d hits, want %d", args, first, want)
		}
	}
}

// TestCPUSamplesSurviveRelabeling: the profiled code replacing its
// goroutine's profiler labels (pprof.Do with a context of its own, as
// package par does) must not lose the CPU samples: they carried their
// batch only in those labels, and lprun said "0 CPU profile samples" for
// a function that ran for hundreds of milliseconds.
func TestCPUSamplesSurviveRelabeling(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir, _ := filepath.Abs("testdata/relabel")
	// From --max-time 2s on, each pair of batches has a CPU profile file
	// of its own (rotateCPU).
	res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"Work"}, Stmt: "Relabel()\n_ = Work(300_000)", MaxTime: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Hundreds of samples at 250 Hz over the runs; even a loaded machine
	// gives the runs some CPU, and the fault gave exactly 0.
	if res.CPUSamples == 0 {
		t.Errorf("no CPU sample fell in Work:\n%s", strings.Join(res.Profile.Method, "\n"))
	}
	// The setup's samples are still not the runs' (they are told apart
	// by a label of their own now that unlabelled samples count): here
	// the setup does all of Work's work, and the statement one step.
	res, err = Run(context.Background(), Options{Dir: dir, Funcs: []string{"Work"}, Setup: "warm := Work(3_000_000)", Stmt: "Relabel()\n_ = Work(1) + warm", MaxTime: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.CPUSamples > 2 {
		t.Errorf("%d CPU samples of the setup counted as the runs':\n%s", res.CPUSamples, strings.Join(res.Profile.Method, "\n"))
	}
}
