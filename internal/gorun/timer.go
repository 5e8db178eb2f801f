package gorun

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gospeedup/speedup/timeit"
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
// are those of timeit.Sample, so a Totals converts to one.
type Totals struct {
	Loops         int
	Elapsed       time.Duration
	Allocs, Bytes uint64
}

// Timer is a running timing harness (see TimeitFile). Its Run method is
// what a timeit.Sampler needs. It is not safe for concurrent use.
type Timer struct {
	cmd     *exec.Cmd
	req     *os.File
	repFile *os.File // read end of the reply pipe, closed by died and Close
	rep     *bufio.Reader
	params  map[string]json.RawMessage
	gcOff   bool
	done    chan struct{}
	waitErr error
	closed  bool
	// crashPath is the file receiving the program's crash report.
	crashPath string
}

// StartTimer starts p, which must have been built from a TimeitFile, and
// returns a Timer that talks to it. Cancelling ctx kills the program.
func (p *Program) StartTimer(ctx context.Context, o TimerOptions) (*Timer, error) {
	t := &Timer{gcOff: o.GCOff, params: map[string]json.RawMessage{}, done: make(chan struct{})}
	for name, v := range o.Params {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %v", name, err)
		}
		t.params[name] = raw
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, err
	}
	cmd := p.Command(ctx)
	cmd.Env = append(cmd.Env, o.Env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	cmd.ExtraFiles = []*os.File{reqR, repW} // fd 3 and fd 4 in the child
	// fd 5: the runtime's crash report, read back by died. A file, not a
	// pipe: nobody reads while the child crashes.
	var crash *os.File
	if p.tmp != "" {
		if crash, err = os.CreateTemp(p.tmp, "crash-*.txt"); err == nil {
			t.crashPath = crash.Name()
			cmd.ExtraFiles = append(cmd.ExtraFiles, crash)
			cmd.Env = append(cmd.Env, "SPEEDUP_CRASH_FD=5")
		}
	}
	cmd.WaitDelay = time.Second
	err = cmd.Start()
	// The child holds its own copies; ours would keep the pipes open.
	reqR.Close()
	repW.Close()
	if crash != nil {
		crash.Close()
	}
	if err != nil {
		reqW.Close()
		repR.Close()
		return nil, err
	}
	t.cmd, t.req, t.repFile, t.rep = cmd, reqW, repR, bufio.NewReader(repR)
	// The reply pipe stays open after the child exits: a reply it wrote
	// just before exiting (a panic report) is still in the pipe, and the
	// child's exit already gives our reader EOF. Closing it here raced with
	// that read and lost panic reports now and then (TestRunAndPanic).
	go func() {
		t.waitErr = cmd.Wait()
		close(t.done)
	}()
	return t, nil
}

type request struct {
	Loops  int                        `json:"loops"`
	GCOff  bool                       `json:"gc_off"`
	Params map[string]json.RawMessage `json:"params"`
}

type reply struct {
	Loops  int    `json:"loops"`
	Ns     int64  `json:"ns"`
	Allocs uint64 `json:"allocs"`
	Bytes  uint64 `json:"bytes"`
	Error  string `json:"error"`
	Panic  string `json:"panic"`
	File   string `json:"file"`
	Line   int    `json:"line"`
	Stack  string `json:"stack"`
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

// Sample is Run in timeit's terms, so that a Timer is the timeit.Sampler
// that timeit.Measure drives.
func (t *Timer) Sample(loops int) (timeit.Sample, error) {
	tot, err := t.Run(loops)
	return timeit.Sample(tot), err
}

// Run runs the setup and then loops loops of the statement, and returns
// the measured totals.
func (t *Timer) Run(loops int) (Totals, error) {
	if t.closed {
		return Totals{}, errors.New("timer is closed")
	}
	b, err := json.Marshal(request{Loops: loops, GCOff: t.gcOff, Params: t.params})
	if err != nil {
		return Totals{}, err
	}
	if _, err := t.req.Write(append(b, '\n')); err != nil {
		return Totals{}, t.died()
	}
	line, err := t.rep.ReadBytes('\n')
	if err != nil {
		return Totals{}, t.died()
	}
	var r reply
	if err := json.Unmarshal(line, &r); err != nil {
		return Totals{}, fmt.Errorf("bad reply from the snippet program: %v", err)
	}
	switch {
	case r.Panic != "":
		<-t.done
		return Totals{}, &PanicError{File: r.File, Line: r.Line, Value: r.Panic, Stack: r.Stack}
	case r.Error != "":
		return Totals{}, errors.New(r.Error)
	case r.Loops != loops:
		// return, break and continue are rejected when the snippet is
		// compiled; runtime.Goexit is what is left to end the timing
		// function early.
		return Totals{}, errors.New("the snippet ended the timing function before its loops were done (did it call runtime.Goexit?)")
	}
	return Totals{Loops: r.Loops, Elapsed: time.Duration(r.Ns), Allocs: r.Allocs, Bytes: r.Bytes}, nil
}

// died waits for the program and explains how it ended.
func (t *Timer) died() error {
	t.req.Close()
	<-t.done
	t.repFile.Close()
	t.closed = true
	if t.crashPath != "" {
		b, _ := os.ReadFile(t.crashPath)
		if ce := parseCrash(string(b)); ce != nil {
			return ce
		}
	}
	var ee *exec.ExitError
	if errors.As(t.waitErr, &ee) {
		return fmt.Errorf("the snippet's program ended unexpectedly (%s)", ee.ProcessState.String())
	}
	if t.waitErr != nil {
		return fmt.Errorf("the snippet's program failed: %v", t.waitErr)
	}
	return errors.New("the snippet's program exited before answering (did the snippet call os.Exit?)")
}

// Close ends the program (by closing its request pipe) and waits for it.
func (t *Timer) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	t.req.Close()
	<-t.done
	t.repFile.Close()
	var ee *exec.ExitError
	if errors.As(t.waitErr, &ee) && ee.ExitCode() == 3 {
		return nil // a panic, already reported by Sample
	}
	return t.waitErr
}
