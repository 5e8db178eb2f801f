package main

import (
	"errors"
	"flag"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/internal/lprun"
	"github.com/gospeedup/speedup/internal/snippet"
	"github.com/gospeedup/speedup/scaling"
)

// TestExitStatus is the exit-status policy of every command, in one table.
func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		cause error
		want  int
	}{
		{"success", nil, nil, 0},
		{"-h", flag.ErrHelp, nil, 0},
		{"usage", usageError("timeit: -n must be at least 1"), nil, 2},
		{"compile error", fmt.Errorf("x: %w", &gorun.CompileError{File: "stmt", Line: 1, Msg: "undefined: f"}), nil, 2},
		{"lprun input", &lprun.InputError{Err: errors.New("no function f")}, nil, 2},
		{"snippet input", &snippet.InputError{Err: errors.New("-C: missing directory d")}, nil, 2},
		{"panic", &gorun.PanicError{File: "stmt", Line: 2, Value: "boom"}, nil, 1},
		{"timeout", &snippet.TimeoutError{Limit: time.Second}, nil, 1},
		{"other", errors.New("disk full"), nil, 1},
		{"SIGINT", errors.New("killed"), &signalError{syscall.SIGINT}, 130},
		{"SIGTERM", nil, &signalError{syscall.SIGTERM}, 143},
		{"SIGHUP", usageError("x"), &signalError{syscall.SIGHUP}, 129},
	} {
		if got := exitStatus(tc.err, tc.cause); got != tc.want {
			t.Errorf("%s: exitStatus = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestReportOneMessage checks that an outcome prints exactly one line
// (and a trailer only after it).
func TestReportOneMessage(t *testing.T) {
	var b strings.Builder
	if code := report(&b, errors.New("boom"), &signalError{syscall.SIGTERM}); code != 143 || b.String() != "speedup: interrupted (SIGTERM)\n" {
		t.Errorf("signal: %d %q", code, b.String())
	}
	b.Reset()
	if code := report(&b, &trailerError{err: errors.New("stmt:1: panic: x"), trailer: "goroutine 1\n"}, nil); code != 1 || b.String() != "speedup: stmt:1: panic: x\n\ngoroutine 1\n" {
		t.Errorf("trailer: %d %q", code, b.String())
	}
	b.Reset()
	if code := report(&b, nil, nil); code != 0 || b.Len() != 0 {
		t.Errorf("success: %d %q", code, b.String())
	}
}

// TestUsageListsEveryFlag checks each command's usage text against its
// flag set, the one definition of its flags: a flag added to one must be
// documented in the other.
func TestUsageListsEveryFlag(t *testing.T) {
	flagRE := regexp.MustCompile(`(?m)^  (-{1,2}[a-z-]+)`)
	for name, c := range commands {
		if name == "kernel" {
			continue // two flag sets (kernel, kernel install), defined inline
		}
		var defined []string
		fs := flagSetOf(t, name)
		fs.VisitAll(func(f *flag.Flag) { defined = append(defined, f.Name) })
		sort.Strings(defined)
		var documented []string
		for _, m := range flagRE.FindAllStringSubmatch(c.usage, -1) {
			documented = append(documented, strings.TrimLeft(m[1], "-"))
		}
		// Flags documented together on one line ("--tags T, --gcflags F,
		// --race") count too.
		for _, d := range defined {
			if !regexp.MustCompile(`(?m)(^|[ ,])--?` + regexp.QuoteMeta(d) + `\b`).MatchString(c.usage) {
				t.Errorf("%s: flag -%s is not in the usage text", name, d)
			}
		}
		for _, d := range documented {
			if fs.Lookup(d) == nil {
				t.Errorf("%s: the usage text documents -%s, which is not a flag", name, d)
			}
		}
	}
}

// flagSetOf returns the flag set command name parses with.
func flagSetOf(t *testing.T, name string) *flag.FlagSet {
	t.Helper()
	switch name {
	case "timeit":
		var cfg timeitConfig
		var setup, params multiFlag
		var gc string
		return timeitFlags(&cfg, &setup, &params, &gc)
	case "scaling":
		fs, _ := scalingFlags()
		return fs
	case "lprun":
		fs, _ := lprunFlags()
		return fs
	case "view":
		fs, _ := viewFlags()
		return fs
	}
	t.Fatalf("no flag set for command %s", name)
	return nil
}

// failWriter fails every write, like a full disk or a closed pipe.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestScalingWriteErrors: a failed write of the JSON document used to go
// unreported (the JSON branch declared its own err), exit status 0.
func TestScalingWriteErrors(t *testing.T) {
	rep, err := scaling.Analyze([]scaling.Measurement{{Procs: 1, Mean: 2e-3, Stdev: 1e-5}, {Procs: 2, Mean: 1.1e-3, Stdev: 1e-5}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, asJSON := range []bool{true, false} {
		err := writeScaling(rep, asJSON, "", 0, failWriter{})
		if err == nil || !strings.Contains(err.Error(), "no space left on device") {
			t.Errorf("json=%v: writeScaling = %v, want the write error", asJSON, err)
		}
	}
}
