package lprun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/internal/gorun/child"
)

// measurement is what the runs measured.
type measurement struct {
	a, b      *gorun.Program
	buildTime time.Duration
	// hits is the instrumented run's reply, panic its statement's panic.
	hits  *child.LprunReply
	panic *child.Panic
	// runs and cpuFiles are the plain runs' samples.
	runs     Runs
	cpuFiles []string
	// exitCode is the program's exit status in the counted run.
	exitCode int
}

func (m *measurement) close() {
	m.a.Close()
	m.b.Close()
}

// instrumentedNS is the instrumented run's time: the mean of the runs
// after the counted one, when there are some.
func (m *measurement) instrumentedNS() int64 {
	ns := m.hits.RunNS
	switch {
	case len(ns) > 1:
		var s int64
		for _, v := range ns[1:] {
			s += v
		}
		return s / int64(len(ns)-1)
	case len(ns) == 1:
		return ns[0]
	}
	return 0
}

// measure builds the plan's programs and runs them.
func measure(ctx context.Context, o Options, pl *plan) (*measurement, error) {
	m := &measurement{}
	if err := m.build(ctx, o, pl); err != nil {
		m.close()
		return nil, err
	}
	err := m.countHits(ctx, o)
	if err == nil && !o.ExactTime {
		if o.Program != nil {
			err = m.timeProgram(ctx, o, pl)
		} else {
			err = m.timeStmt(ctx, o, pl)
		}
	}
	if err != nil {
		m.close()
		return nil, err
	}
	return m, nil
}

// build builds both programs, concurrently.
func (m *measurement) build(ctx context.Context, o Options, pl *plan) error {
	var errA, errB error
	start := time.Now()
	var g errgroup.Group
	g.Go(func() error { m.a, errA = gorun.Build(ctx, pl.a, "", nil); return nil })
	if !o.ExactTime {
		g.Go(func() error { m.b, errB = gorun.Build(ctx, pl.b, "", nil); return nil })
	}
	g.Wait()
	if o.ExactTime && errA != nil {
		// Without a plain build, the instrumented one's errors would
		// point into the instrumented copies: the plain build says where
		// the user's (or the statement's) errors are.
		m.b, errB = gorun.Build(ctx, pl.b, "", nil)
	}
	m.buildTime = time.Since(start)
	if errB != nil {
		// The plain build's errors are the user's (or the statement's).
		return errB
	}
	if errA != nil {
		var ce *gorun.CompileError
		if !errors.As(errA, &ce) || ce.File == "" {
			// The plain build links: the instrumented build's harness
			// reaches a profiled package's counters through the linker,
			// which fails when the package is not in the program.
			return fmt.Errorf("a profiled function's package is not part of the program the statement builds: %v", errA)
		}
		return fmt.Errorf("instrumented build failed (please report this): %v", errA)
	}
	return nil
}

// programArgs returns the program's arguments (none for a statement).
func (o *Options) programArgs() []string {
	if o.Program == nil {
		return nil
	}
	if o.Program.Test {
		return testFlags(o.Program.Args)
	}
	return o.Program.Args
}

// countHits runs the instrumented build once; its input and output are
// the user's.
func (m *measurement) countHits(ctx context.Context, o Options) error {
	c, err := m.a.Start(ctx, gorun.ChildOptions{Args: o.programArgs(), Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr})
	if err != nil {
		return err
	}
	rep, err := c.Call(&child.Request{Lprun: &child.LprunRequest{Mode: "hits"}})
	code, werr := c.Wait()
	if err != nil {
		return ranWithoutResults(o, code, err)
	}
	if werr != nil {
		return werr
	}
	if rep.Error != "" || rep.Lprun == nil {
		return fmt.Errorf("the profiled program's harness failed: %s", rep.Error)
	}
	m.hits, m.panic, m.exitCode = rep.Lprun, rep.Panic, code
	return nil
}

// ranWithoutResults explains a run that ended without its results.
func ranWithoutResults(o Options, code int, err error) error {
	var ce *gorun.CrashError
	switch {
	case errors.As(err, &ce):
		return err
	case o.Program != nil:
		return fmt.Errorf("the profiled program exited (status %d) without results: it ended other than by returning from main or calling os.Exit from it", code)
	}
	return fmt.Errorf("the profiled program failed (exit status %d) before the statement finished; a crash outside the statement's goroutine or os.Exit leaves no profile", code)
}

// timeRequest is the plain runs' request.
func timeRequest(o Options, pl *plan, cpuFile string) *child.Request {
	return &child.Request{Lprun: &child.LprunRequest{
		Mode: "time", Targets: pl.samplerTargets(), CPUProfile: cpuFile, HZ: cpuHz,
		MaxNS: int64(o.MaxTime), IntervalNS: int64(o.Interval),
	}}
}

// cpuRateWarning is what the runtime prints when the harness sets the CPU
// profile rate before pprof.StartCPUProfile does.
const cpuRateWarning = "runtime: cannot set cpu profile rate until previous profile has finished.\n"

// timeStmt runs the statement repeatedly in the plain build, under the
// samplers, in one process.
func (m *measurement) timeStmt(ctx context.Context, o Options, pl *plan) error {
	cpuFile := filepath.Join(pl.tmp, "cpu.pprof")
	req := timeRequest(o, pl, cpuFile)
	if m.panic != nil || m.hits.Goexit {
		// The statement does not finish normally: one timing run shows
		// what the one counted run did.
		req.Lprun.MaxRuns = 1
	}
	var errOut bytes.Buffer
	c, err := m.b.Start(ctx, gorun.ChildOptions{Stdout: io.Discard, Stderr: &errOut})
	if err != nil {
		return err
	}
	rep, err := c.Call(req)
	code, _ := c.Wait()
	if err == nil && (rep.Error != "" || rep.Lprun == nil) {
		err = fmt.Errorf("the profiled program's harness failed: %s", rep.Error)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The timing run's own error output says why it failed, without
		// the runtime's warning about the profile rate.
		o.Stderr.Write(bytes.ReplaceAll(errOut.Bytes(), []byte(cpuRateWarning), nil))
		return ranWithoutResults(o, code, err)
	}
	m.runs.add(rep.Lprun)
	m.cpuFiles = []string{cpuFile}
	return nil
}

// timeProgram runs the untouched program again and again, until MaxTime
// has passed (at least once), so that short programs get samples; their
// results add up.
func (m *measurement) timeProgram(ctx context.Context, o Options, pl *plan) error {
	for run, start := 0, time.Now(); run == 0 || time.Since(start) < o.MaxTime; run++ {
		cpuFile := filepath.Join(pl.tmp, fmt.Sprintf("cpu%d.pprof", run))
		c, err := m.b.Start(ctx, gorun.ChildOptions{Args: o.programArgs(), Stdout: io.Discard, Stderr: io.Discard})
		if err != nil {
			return err
		}
		rep, err := c.Call(timeRequest(o, pl, cpuFile))
		code, _ := c.Wait()
		if err == nil && (rep.Error != "" || rep.Lprun == nil) {
			err = fmt.Errorf("the profiled program's harness failed: %s", rep.Error)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return ranWithoutResults(o, code, err)
		}
		m.runs.add(rep.Lprun)
		m.cpuFiles = append(m.cpuFiles, cpuFile)
	}
	return nil
}

// add adds a timing reply to the runs.
func (r *Runs) add(rep *child.LprunReply) {
	r.RunNS = append(r.RunNS, rep.RunNS...)
	r.Samples += rep.Samples
	r.PausedNS += rep.PausedNS
	r.CleanNS += rep.CleanNS
	r.CleanRuns += rep.CleanRuns
	type key struct {
		t, l   int
		parked bool
	}
	at := map[key]int{}
	for i, lt := range r.Lines {
		at[key{lt.Target, lt.Line, lt.Parked}] = i
	}
	for _, lt := range rep.Lines {
		if i, ok := at[key{lt.Target, lt.Line, lt.Parked}]; ok {
			r.Lines[i].N += lt.N
			continue
		}
		at[key{lt.Target, lt.Line, lt.Parked}] = len(r.Lines)
		r.Lines = append(r.Lines, lt)
	}
}

// testFlags spells go test's flags (-run, -v, -count...) as a test binary
// wants them (-test.run), as go test does.
func testFlags(args []string) []string {
	known := map[string]bool{"run": true, "skip": true, "v": true, "count": true, "bench": true, "benchtime": true,
		"benchmem": true, "timeout": true, "short": true, "cpu": true, "parallel": true, "failfast": true, "shuffle": true,
		"list": true, "fullpath": true}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		name := strings.TrimLeft(a, "-")
		if !strings.HasPrefix(a, "-") || name == "" {
			continue
		}
		if j := strings.IndexByte(name, '='); j >= 0 {
			name = name[:j]
		}
		if known[name] {
			out[i] = "-test." + strings.TrimLeft(a, "-")
		}
	}
	return out
}
