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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// A command is one subcommand of speedup. Each lives in its own file and
// registers itself from init, so that the subcommands stay independent.
type command struct {
	name  string
	short string // one line for the command list
	usage string // full usage text, printed by -h and "speedup help NAME"
	// run executes the command with its arguments (after the command name).
	// It returns an exit status; errors are printed by run itself.
	run func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
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
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// report prints err as a one-line "speedup: ..." message and returns the
// exit status it carries (1 unless it says otherwise).
func report(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "speedup: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
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
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && name == "help" {
			c, ok := commands[args[1]]
			if !ok {
				return report(stderr, usageError("unknown command %q (run 'speedup help' for the list)", args[1]))
			}
			fmt.Fprint(stdout, c.usage)
			return 0
		}
		printCommands(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		return report(stderr, usageError("unknown command %q (run 'speedup help' for the list)", name))
	}
	return c.run(args[1:], stdin, stdout, stderr)
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

// newFlagSet returns a flag set for command c that prints c's usage on -h
// and reports flag errors as one line through report.
func newFlagSet(c *command, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	_ = stderr
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
