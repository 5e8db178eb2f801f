// Package snippet times Go statements typed on a command line, for every
// command that does so (speedup timeit, speedup scaling, the notebook
// kernel): it finds the package the statements run in, generates and
// builds the timing harness once, and measures it in a fresh process per
// measurement. Formatting the results is the caller's job.
//
// The pipeline is resolve -> generate -> build ([Build]) -> measure
// ([Program.Measure]) -> [Program.Close]. Errors in what the user typed
// come back as an [*InputError] or a [*gorun.CompileError] (a usage error
// for a command); a hanging snippet stopped by its deadline as a
// [*TimeoutError]; cancelling the context kills every child process, and
// Close removes every temporary file.
package snippet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/timeit"
)

// Config is what to time and how to build it.
type Config struct {
	// Dir is the package directory the statements run in (-C). Empty
	// means the current directory when it holds a Go package (as go test
	// does), and a temporary module with only the standard library
	// otherwise.
	Dir string
	// Setup runs before each run, outside the timing (the -s lines, in
	// order); Stmt is timed.
	Setup []string
	Stmt  string
	// Params are the Go variables the statements read, set per
	// measurement (--param).
	Params []timeit.Param
	// Tags, GCFlags and Race pass through to the go command.
	Tags, GCFlags string
	Race          bool
}

// InputError is an error in what the user asked for (a -C directory that
// holds no package, a parameter whose values have no common Go type):
// commands report it as a usage error.
type InputError struct{ Err error }

// Error returns the underlying message.
func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// TimeoutError reports a measurement stopped by its deadline
// ([Measurement].Timeout), typically a snippet that hangs.
type TimeoutError struct{ Limit time.Duration }

// Error says what happened and which flag set the limit.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("the snippet's program was stopped after %v (--timeout): the measurement did not finish in time", e.Limit)
}

// Program is a built timing harness. Close removes it.
type Program struct {
	// Dir is the absolute package directory the statements run in, or ""
	// for the temporary module.
	Dir string
	// BuildTime is how long the build took; BuildOutput what the go command
	// printed although it succeeded (the diagnostics -gcflags=-m asks for).
	BuildTime   time.Duration
	BuildOutput string

	prog   *gorun.Program
	params []timeit.Param
}

// FromProgram makes a Program of a timing harness built otherwise (the
// notebook kernel builds its cells with their declarations), whose
// snippet declares params, so that it is measured as timeit and scaling
// measure: a fresh process per measurement, deadlines, one error policy.
// Close closes prog.
func FromProgram(prog *gorun.Program, params []timeit.Param) *Program {
	return &Program{Dir: prog.Dir, BuildTime: prog.BuildTime, BuildOutput: prog.BuildOutput, prog: prog, params: params}
}

// Close removes the program and every temporary file of its build.
func (p *Program) Close() error {
	if p == nil {
		return nil
	}
	return p.prog.Close()
}

// PackageDir returns the package directory the statements of dir (a -C
// argument, or "") run in: dir itself, checked; the current directory when
// dir is empty and it holds a Go package; "" for a temporary module.
func PackageDir(dir, tags string) (*gorun.Package, error) {
	if dir != "" {
		pkg, err := gorun.ResolvePackage(dir, tags)
		if err != nil {
			return nil, &InputError{fmt.Errorf("-C: %v", err)}
		}
		return pkg, nil
	}
	// As go test: the package in the current directory, if there is one.
	// Anything less than a package there (no Go files, only tests, no
	// module) means statements outside any package.
	if pkg, err := gorun.ResolvePackage(".", tags); err == nil {
		return pkg, nil
	}
	return nil, nil
}

// Build resolves the package, generates the timing harness for c and
// builds it. Cancelling ctx stops the build.
func Build(ctx context.Context, c Config) (*Program, error) {
	var (
		buildDir string
		pkgName  = gorun.TempPackage
		genPath  = filepath.Join(os.TempDir(), gorun.TempPackage, gorun.TimeitFileName)
	)
	pkg, err := PackageDir(c.Dir, c.Tags)
	if err != nil {
		return nil, err
	}
	if pkg != nil {
		buildDir, pkgName = pkg.Dir, pkg.Name
		genPath = filepath.Join(pkg.Dir, gorun.TimeitFileName)
	}
	vars := make([]gorun.Var, len(c.Params))
	for i, p := range c.Params {
		typ, err := gorun.VarType(p.Values)
		if err != nil {
			return nil, &InputError{fmt.Errorf("--param %s: %v", p.Name, err)}
		}
		vars[i] = gorun.Var{Name: p.Name, Type: typ}
	}
	src, err := gorun.TimeitFile(pkgName, genPath, gorun.Snippet{Setup: c.Setup, Stmt: c.Stmt, Params: vars})
	if err != nil {
		return nil, err
	}
	prog, err := gorun.Build(ctx, gorun.BuildOptions{
		Dir: buildDir, Tags: c.Tags, GCFlags: c.GCFlags, Race: c.Race,
	}, gorun.TimeitFileName, src)
	if err != nil {
		if buildDir == "" {
			err = outsidePackageHint(err)
		}
		return nil, err
	}
	p := FromProgram(prog, c.Params)
	p.Dir = buildDir
	return p, nil
}

// outsidePackageHint explains the usual mistakes of statements run in the
// temporary module: a third-party import, and (the tutorial's first
// mistake) a call of one's own function from elsewhere than its package.
func outsidePackageHint(err error) error {
	var ce *gorun.CompileError
	switch {
	case strings.Contains(err.Error(), "(without -C,"):
		// Given already.
	case strings.Contains(err.Error(), "no required module provides package"):
		return fmt.Errorf("%w (without -C, statements run in a temporary module with only the standard library; use -C DIR to run in your module)", err)
	case errors.As(err, &ce) && strings.HasPrefix(ce.Msg, "undefined: "):
		ce.Msg += " (without -C, statements run outside any package; use -C DIR to call a package's functions)"
	}
	return err
}

// Measurement says how to run one measurement of a Program.
type Measurement struct {
	// Values are the parameters' values, in the order of Config.Params.
	Values []any
	// Env is added to the program's environment, such as GOMAXPROCS=4:
	// the runtime reads it at startup.
	Env []string
	// GCOff disables the garbage collector during the runs (--gc=off).
	GCOff bool
	// Timeout, when positive, stops a measurement that takes longer (a
	// snippet that hangs) with a *TimeoutError.
	Timeout time.Duration
	// Stdin, Stdout and Stderr are the snippet's standard streams; nil
	// means the null device.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Options drive timeit.Measure (loops, runs, progress).
	Options timeit.Options
}

// Measure runs the program once, in a fresh process, for one measurement:
// one parameter value's heap and caches do not weigh on the next.
// Cancelling ctx kills the process.
func (p *Program) Measure(ctx context.Context, m Measurement) (*timeit.Result, error) {
	if len(m.Values) != len(p.params) {
		return nil, fmt.Errorf("snippet: %d parameter values for %d parameters", len(m.Values), len(p.params))
	}
	params := map[string]any{}
	for i, pp := range p.params {
		params[pp.Name] = m.Values[i]
	}
	mctx := ctx
	if m.Timeout > 0 {
		var cancel context.CancelFunc
		mctx, cancel = context.WithTimeoutCause(ctx, m.Timeout, &TimeoutError{Limit: m.Timeout})
		defer cancel()
	}
	t, err := p.prog.StartTimer(mctx, gorun.TimerOptions{
		Params: params, GCOff: m.GCOff, Env: m.Env, Stdin: m.Stdin, Stdout: m.Stdout, Stderr: m.Stderr,
	})
	if err != nil {
		return nil, err
	}
	res, err := timeit.Measure(timeit.SamplerFunc(func(loops int) (timeit.Sample, error) {
		tot, err := t.Run(loops)
		return timeit.Sample(tot), err
	}), m.Options)
	if cerr := t.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("the snippet's program failed: %v", cerr)
	}
	if err != nil && ctx.Err() == nil {
		// The deadline, not the snippet, ended it.
		var te *TimeoutError
		if cause := context.Cause(mctx); errors.As(cause, &te) {
			return nil, te
		}
	}
	return res, err
}
