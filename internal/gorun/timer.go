package gorun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gospeedup/speedup/internal/gorun/child"
)

// TimerOptions configures the program started by StartTimer.
type TimerOptions struct {
	// Params are the values of the Snippet's Params for this measurement,
	// by name. Values must suit the declared types (an int suits float64).
	Params map[string]any
	// GCOff disables the garbage collector during each run (--gc=off).
	GCOff bool
	// Env is added to the program's environment (after BuildOptions.Env),
	// such as GOMAXPROCS=4 for one measurement: the runtime reads it at
	// startup.
	Env []string
	// Stdin, Stdout and Stderr are the snippet's standard streams; nil
	// means the null device.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Totals are the figures of one run: Loops loops of the statement took
// Elapsed and allocated Allocs objects of Bytes bytes in total. Its fields
// are those of timeit.Sample, so a Totals converts to one (gorun does not
// import timeit: the command adapts a Timer with timeit.SamplerFunc).
type Totals struct {
	Loops         int
	Elapsed       time.Duration
	Allocs, Bytes uint64
}

// Timer is a running timing harness (see TimeitFile). Its Run method is
// what a timeit.Sampler needs. It is not safe for concurrent use.
type Timer struct {
	c      *Child
	params map[string]string
	gcOff  bool
	err    error // the error that ended the program, once known
}

// StartTimer starts p, which must have been built from a TimeitFile, and
// returns a Timer that talks to it. Cancelling ctx kills the program.
func (p *Program) StartTimer(ctx context.Context, o TimerOptions) (*Timer, error) {
	t := &Timer{gcOff: o.GCOff, params: map[string]string{}}
	for name, v := range o.Params {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %v", name, err)
		}
		t.params[name] = string(raw)
	}
	c, err := p.Start(ctx, ChildOptions{Env: o.Env, Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr})
	if err != nil {
		return nil, err
	}
	t.c = c
	return t, nil
}

// PanicError is a panic of the snippet.
type PanicError struct {
	// File and Line locate the innermost frame in the snippet ("stmt",
	// "setup"); File is empty when no frame was in the snippet.
	File string
	Line int
	// Value is the panic value as the runtime would print it.
	Value string
	// Stack is the panicking goroutine's stack.
	Stack string
}

// Error returns "stmt:3: panic: VALUE".
func (e *PanicError) Error() string {
	if e.File == "" {
		return "panic: " + e.Value
	}
	return fmt.Sprintf("%s:%d: panic: %s", e.File, e.Line, e.Value)
}

// CrashError is a crash of the snippet's program that no recover could
// catch: a fatal error of the runtime (all goroutines asleep, a stack
// overflow, concurrent map writes) or a panic on a goroutine the snippet
// started. The runtime has printed its full report on the program's
// standard error.
type CrashError struct {
	// File and Line locate the first frame in the snippet ("stmt",
	// "setup") found in the report; File is empty when there is none.
	File string
	Line int
	// Msg is the report's first line, "panic: ..." or "fatal error: ...",
	// or "fatal error" when the report begins with the goroutines (the
	// runtime writes a fatal error's message to standard error only).
	Msg string
}

// Error returns "stmt:1: fatal error: MSG (the snippet's program crashed;
// the Go runtime's report is above)".
func (e *CrashError) Error() string {
	const tail = " (the snippet's program crashed; the Go runtime's report is above)"
	if e.File == "" {
		return e.Msg + tail
	}
	return fmt.Sprintf("%s:%d: %s%s", e.File, e.Line, e.Msg, tail)
}

var crashFrameRE = regexp.MustCompile(`(?m)^\t(stmt|setup):(\d+)\b`)

// parseCrash reads a crash report written by the runtime, or returns nil
// when report holds none.
func parseCrash(report string) *CrashError {
	var ce *CrashError
	for _, line := range strings.Split(report, "\n") {
		if strings.HasPrefix(line, "fatal error: ") || (ce == nil && strings.HasPrefix(line, "panic: ")) {
			ce = &CrashError{Msg: line}
			if strings.HasPrefix(line, "fatal error: ") {
				break
			}
		}
	}
	if ce == nil {
		// The runtime prints a fatal error's message before it starts
		// copying to the crash output: only the goroutines reach it.
		if !strings.Contains(report, "goroutine ") {
			return nil
		}
		ce = &CrashError{Msg: "fatal error"}
	}
	if m := crashFrameRE.FindStringSubmatch(report); m != nil {
		ce.File = m[1]
		ce.Line, _ = strconv.Atoi(m[2])
	}
	return ce
}

// Run runs the setup and then loops loops of the statement, and returns
// the measured totals.
func (t *Timer) Run(loops int) (Totals, error) {
	if t.err != nil {
		return Totals{}, t.err
	}
	r, err := t.c.Call(&child.Request{Timeit: &child.TimeitRequest{Loops: loops, GCOff: t.gcOff, Params: t.params}})
	if err != nil {
		t.err = snippetDied(err)
		return Totals{}, t.err
	}
	switch {
	case r.Panic != nil:
		t.c.Wait()
		t.err = &PanicError{File: r.Panic.File, Line: r.Panic.Line, Value: r.Panic.Value, Stack: r.Panic.Stack}
		return Totals{}, t.err
	case r.Error != "":
		return Totals{}, errors.New(r.Error)
	case r.Timeit == nil:
		return Totals{}, errors.New("bad reply from the snippet program: no timing")
	case r.Timeit.Loops != loops:
		// return, break and continue are rejected when the snippet is
		// compiled; runtime.Goexit is what is left to end the timing
		// function early.
		return Totals{}, errors.New("the snippet ended the timing function before its loops were done (did it call runtime.Goexit?)")
	}
	return Totals{Loops: r.Timeit.Loops, Elapsed: time.Duration(r.Timeit.Ns), Allocs: r.Timeit.Allocs, Bytes: r.Timeit.Bytes}, nil
}

// snippetDied words the end of a child program for a snippet.
func snippetDied(err error) error {
	var ce *CrashError
	if errors.As(err, &ce) {
		return err
	}
	return errors.New(strings.Replace(err.Error(), "the program", "the snippet's program", 1))
}

// Close ends the program (by closing its request pipe) and waits for it.
func (t *Timer) Close() error {
	code, err := t.c.Wait()
	var pe *PanicError
	switch {
	case err != nil:
		return err
	case code == 3 && errors.As(t.err, &pe):
		return nil // a panic, already reported by Run
	case code != 0 && t.err == nil:
		return fmt.Errorf("exit status %d", code)
	}
	return nil
}
