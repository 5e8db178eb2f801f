package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLaterRunFails: a statement that fails only on a later call in its
// process (testdata/nthcall counts its calls: the first run, or the first
// repeats, succeed) is the command's error, for timeit, scaling and lprun
// alike: exit status 1, the failure as the last line of standard error
// (the statement's line and the panic value), and no timing line and no
// report, as IPython's %timeit reports a statement that raises. The call
// that fails is the 2nd (timeit's calibration, lprun's first timing run)
// or the 25th (-n 10 -r 3: the timed repeats; lprun's later batches).
func TestLaterRunFails(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir := filepath.Join("testdata", "nthcall")
	const exited = "the snippet's program ended unexpectedly (exit status 3)"
	const later = " (on a later run of the statement: the counted run had finished)"
	for _, tc := range []struct {
		args []string
		// lastLine is standard error's last line; before, what must come
		// before it (the program's own output, the runtime's report).
		lastLine, before string
	}{
		{[]string{"timeit", "_ = PanicOn(2)"}, "speedup: stmt:1: panic: nthcall: call 2", ""},
		{[]string{"timeit", "-n", "10", "-r", "3", "_ = PanicOn(25)"}, "speedup: stmt:1: panic: nthcall: call 25", ""},
		{[]string{"timeit", "_ = ExitOn(2)"}, "speedup: " + exited, "nthcall: exit on call 2\n"},
		{[]string{"timeit", "-n", "10", "-r", "3", "_ = ExitOn(25)"}, "speedup: " + exited, "nthcall: exit on call 25\n"},
		{[]string{"timeit", "-n", "10", "-r", "3", "_ = CrashOn(25)"},
			"speedup: panic: nthcall: crash on call 25 (the snippet's program crashed; the Go runtime's report is above)", "panic: nthcall: crash on call 25\n"},
		{[]string{"timeit", "-n", "10", "-r", "3", "_ = GoexitOn(25)"},
			"speedup: the snippet ended the timing function before its loops were done (did it call runtime.Goexit?)", ""},
		{[]string{"scaling", "--cpu", "1,2", "_ = PanicOn(2)"}, "speedup: scaling: P=1: stmt:1: panic: nthcall: call 2", ""},
		{[]string{"scaling", "--cpu", "1,2", "-n", "10", "-r", "3", "_ = PanicOn(25)"}, "speedup: scaling: P=1: stmt:1: panic: nthcall: call 25", ""},
		{[]string{"scaling", "--cpu", "1,2", "-n", "10", "-r", "3", "_ = ExitOn(25)"}, "speedup: scaling: P=1: " + exited, "nthcall: exit on call 25\n"},
		{[]string{"lprun", "--max-time", "50ms", "-f", "PanicOn", "_ = PanicOn(2)"}, "speedup: stmt:1: panic: nthcall: call 2" + later, ""},
		{[]string{"lprun", "--max-time", "50ms", "-f", "PanicOn", "_ = PanicOn(25)"}, "speedup: stmt:1: panic: nthcall: call 25" + later, ""},
		{[]string{"lprun", "--max-time", "50ms", "-f", "GoexitOn", "_ = GoexitOn(25)"}, "speedup: the statement called runtime.Goexit" + later, ""},
		{[]string{"lprun", "--max-time", "50ms", "-f", "ExitOn", "_ = ExitOn(25)"},
			"speedup: the profiled program failed (exit status 3) before the statement finished; a crash outside the statement's goroutine or os.Exit leaves no profile",
			"nthcall: exit on call 25\n"},
	} {
		args := append([]string{tc.args[0], "-C", dir}, tc.args[1:]...)
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runSpeedup(t, "", args...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if !strings.HasSuffix(stderr, "\n") || lines[len(lines)-1] != tc.lastLine {
				t.Errorf("stderr %q,\nwant its last line %q", stderr, tc.lastLine)
			}
			if !strings.Contains(stderr, tc.before) {
				t.Errorf("stderr %q, want %q before the error", stderr, tc.before)
			}
			if strings.Count(stderr, "speedup: ") != 1 {
				t.Errorf("stderr %q, want one error line", stderr)
			}
			// No timing (timeit's line, scaling's table) and no report
			// (lprun's header) on standard output.
			if ipythonLine.MatchString(stdout) || regexp.MustCompile(`(?m)^Timer unit:|Karp-Flatt|per loop`).MatchString(stdout) {
				t.Errorf("a measurement was printed for a statement that fails:\n%s", stdout)
			}
		})
	}
}

// TestLprunProgramLaterRunFails: a program (--run) whose counted run
// succeeds and whose later runs panic (testdata/nthcall/cmd/nthproc
// counts its runs in a file) gets no report: its timing runs repeat it
// inside one process until it panics there, then once per process, where
// it panics again: the measurement of those runs is no measurement. On
// the 2nd run the repeating process fails at once, on the 5th after
// three good runs.
func TestLprunProgramLaterRunFails(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	t.Chdir(filepath.Join("testdata", "nthcall"))
	for _, n := range []string{"2", "5"} {
		count := filepath.Join(t.TempDir(), "runs")
		code, stdout, stderr := runSpeedup(t, "", "lprun", "--max-time", "200ms",
			"-f", "main.work", "--run", "./cmd/nthproc", "--", count, n)
		if code != 1 {
			t.Errorf("n=%s: exit %d, want 1", n, code)
		}
		const want = "speedup: the profiled program exited with status 2 in a timing run (its output is above), its counted run with status 0: a program that fails on a later run has no profile\n"
		if !strings.HasSuffix(stderr, want) || !strings.Contains(stderr, "panic: nthproc: run ") {
			t.Errorf("n=%s: stderr %q,\nwant the program's panic and then %q", n, stderr, want)
		}
		// The counted run's output is the user's; no report follows it.
		if stdout != "499500\n" {
			t.Errorf("n=%s: stdout %q, want only the counted run's output", n, stdout)
		}
	}
}
