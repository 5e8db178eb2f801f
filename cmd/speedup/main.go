// Command speedup measures Go code the way a performance session needs:
// time a snippet (timeit), find its hot lines (lprun, view), and check
// whether parallelism paid (scaling).
//
// Usage:
//
//	speedup <command> [flags] [arguments]
//
// The commands are:
//
//	timeit   time Go statements, like IPython's %timeit and %%timeit
//	lprun    profile functions line by line, like line_profiler's %lprun
//	view     print a saved line profile (from lprun -D), merging several
//	scaling  time statements at several GOMAXPROCS values: speedup, efficiency, Amdahl
//	kernel   a Jupyter kernel for Go with %timeit, %lprun and %scaling (kernel install sets it up)
//	help     show help for a command
//
// Run "speedup help <command>" or "speedup <command> -h" for a command's flags
// and examples.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/internal/lprun"
	"github.com/gospeedup/speedup/internal/snippet"
)

// A command is one subcommand of speedup. Each lives in its own file and
// registers itself from init, so that the subcommands stay independent.
type command struct {
	name  string
	short string // one line for the command list
	usage string // full usage text, printed by -h and "speedup help NAME"
	// run executes the command with its arguments (after the command name).
	// ctx is cancelled when speedup is interrupted (SIGINT, SIGTERM,
	// SIGHUP): the command stops its children, removes its temporary files
	// and returns. It prints no error itself: run's caller turns the error
	// into the one message and the exit status (see exitStatus).
	run func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
	// ownSignals marks a command that handles the stop signals itself
	// (the kernel: SIGINT interrupts a cell); its ctx is never cancelled.
	ownSignals bool
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// exitError carries a process exit status through an error return, so that
// commands can return a plain error and still choose the status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks an error in how the command was invoked (exit status 2).
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// trailerError is an error followed, after its one-line message, by more
// text for the user (a panic's stack under -v).
type trailerError struct {
	err     error
	trailer string
}

func (e *trailerError) Error() string { return e.err.Error() }
func (e *trailerError) Unwrap() error { return e.err }

// signalError is the cause of the context's cancellation when speedup
// receives a signal.
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string {
	if e.sig == syscall.SIGINT {
		return "interrupted"
	}
	return "interrupted (" + signalName(e.sig) + ")"
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return s.String()
}

// Exit statuses, the same for every command.
const (
	exitOK       = 0
	exitFailure  = 1 // the work failed: a panic in the snippet, an unwritable file, ...
	exitUsage    = 2 // bad input: flags, arguments, a snippet that does not compile
	exitSignaled = 128
)

// exitStatus decides the exit status for a command's outcome, the one
// policy of every command: 0 on success (and -h); 128+N when signal N
// interrupted it (130 SIGINT, 143 SIGTERM, 129 SIGHUP); 2 for a usage
// error, bad input, or a snippet that does not compile; 1 otherwise.
func exitStatus(err error, cause error) int {
	var se *signalError
	if errors.As(cause, &se) {
		return exitSignaled + int(se.sig)
	}
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var (
		ee *exitError
		ce *gorun.CompileError
		ie *lprun.InputError
		si *snippet.InputError
	)
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ce), errors.As(err, &ie), errors.As(err, &si):
		return exitUsage
	}
	return exitFailure
}

// report prints the outcome of a command as one "speedup: ..." line (and
// the error's trailer, if any) and returns the exit status.
func report(stderr io.Writer, err error, cause error) int {
	code := exitStatus(err, cause)
	switch {
	case code >= exitSignaled:
		fmt.Fprintf(stderr, "speedup: %v\n", cause)
	case code != exitOK:
		fmt.Fprintf(stderr, "speedup: %v\n", err)
		var te *trailerError
		if errors.As(err, &te) && te.trailer != "" {
			fmt.Fprintf(stderr, "\n%s", te.trailer)
		}
	}
	return code
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// stopSignals are the signals that stop a command cleanly: the context is
// cancelled, children are killed, temporary files removed, and speedup
// exits with 128 plus the signal's number.
var stopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// insistAfter is how long after the first stop signal a second one makes
// speedup exit at once. A second signal that comes sooner is the same
// request again: "timeout" sends SIGTERM to speedup and then to its whole
// process group, speedup included.
const insistAfter = 2 * time.Second

// signalContext returns a context cancelled, with a *signalError cause,
// on the first of stopSignals. A later signal (after insistAfter) exits at
// once: the user insists, and a clean-up that hangs must not keep the
// terminal.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, stopSignals...)
	done := make(chan struct{})
	go func() {
		var first time.Time
		for {
			select {
			case s := <-ch:
				sig := s.(syscall.Signal)
				switch {
				case first.IsZero():
					first = time.Now()
					cancel(&signalError{sig})
				case time.Since(first) > insistAfter:
					fmt.Fprintf(os.Stderr, "speedup: %v again; exiting without cleaning up\n", (&signalError{sig}).Error())
					os.Exit(exitSignaled + int(sig))
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// A closed stdout (speedup timeit ... | head -1) must not kill the
	// process with SIGPIPE before the commands' clean-ups remove their
	// temporary directories: with SIGPIPE notified, writes fail with EPIPE
	// instead, and the command stops and cleans up like on any error.
	sigpipe := make(chan os.Signal, 1)
	signal.Notify(sigpipe, syscall.SIGPIPE)
	defer signal.Stop(sigpipe)

	if len(args) == 0 {
		printCommands(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && name == "help" {
			c, ok := commands[args[1]]
			if !ok {
				return report(stderr, usageError("unknown command %q (run 'speedup help' for the list)", args[1]), nil)
			}
			fmt.Fprint(stdout, c.usage)
			return exitOK
		}
		printCommands(stdout)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		return report(stderr, usageError("unknown command %q (run 'speedup help' for the list)", name), nil)
	}
	if c.ownSignals {
		return report(stderr, c.run(context.Background(), args[1:], stdin, stdout, stderr), nil)
	}
	ctx, stop := signalContext()
	defer stop()
	err := c.run(ctx, args[1:], stdin, stdout, stderr)
	return report(stderr, err, context.Cause(ctx))
}

func printCommands(w io.Writer) {
	fmt.Fprint(w, "speedup measures Go code: time it, find its hot lines, check that parallelism pays.\n\nUsage:\n\n\tspeedup <command> [flags] [arguments]\n\nThe commands are:\n\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "\t%-8s %s\n", n, commands[n].short)
	}
	fmt.Fprint(w, "\nRun 'speedup help <command>' for a command's flags and examples.\n")
}

// newFlagSet returns a silent flag set for command c: parseFlags prints
// c's usage on -h, and flag errors become one usage error.
func newFlagSet(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args with fs, printing usage for -h. Flags may follow
// positional arguments (as users of go tools expect), so parsing continues
// after each positional argument; "--" ends flag parsing.
func parseFlags(c *command, fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, c.usage)
				return nil, flag.ErrHelp
			}
			return nil, usageError("%s: %v", c.name, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// fs.Parse stops at the first positional argument or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
