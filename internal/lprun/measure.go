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
	cpuFiles []cpuFile
	// need are the targets that ran (had hits): the runs go on until
	// each has enough samples.
	need []int
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
	if err == nil {
		m.need = pl.ran(m.hits)
	}
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

// ranWithoutResults explains a run that ended without its results, as a
// *RunError.
func ranWithoutResults(o Options, code int, err error) error {
	var ce *gorun.CrashError
	switch {
	case errors.As(err, &ce):
		return &RunError{err}
	case o.Program != nil:
		return &RunError{fmt.Errorf("the profiled program exited (status %d) without results: it ended other than by returning from main or calling os.Exit from it", code)}
	}
	return &RunError{fmt.Errorf("the profiled program failed (exit status %d) before the statement finished; a crash outside the statement's goroutine or os.Exit leaves no profile", code)}
}

// The evidence the timing runs gather before they stop (unless
// --max-time ends them first): minBatches batches (half of them with
// stack snapshots), and minSamples snapshot samples in every profiled
// function that ran. maxBatchNS bounds a batch's length.
const (
	minBatches = 10
	minSamples = 50
	maxBatchNS = int64(100 * time.Millisecond)
)

// timeRequest is the plain runs' request.
func timeRequest(o Options, pl *plan, cpuFile string, need []int) *child.Request {
	batchNS := min(maxBatchNS, int64(o.MaxTime)/(2*minBatches))
	return &child.Request{Lprun: &child.LprunRequest{
		Mode: "time", Targets: pl.samplerTargets(), CPUProfile: cpuFile, HZ: cpuHz, RotateCPU: rotateCPU(batchNS),
		MaxNS: int64(o.MaxTime), IntervalNS: int64(o.Interval),
		BatchNS: batchNS, MinBatches: minBatches, MinSamples: minSamples, Need: need,
		Warmup: true,
	}}
}

// cpuRateWarning is what the runtime prints when the harness sets the CPU
// profile rate before pprof.StartCPUProfile does.
const cpuRateWarning = "runtime: cannot set cpu profile rate until previous profile has finished.\n"

// timeStmt runs the statement repeatedly in the plain build, under the
// samplers, in one process.
func (m *measurement) timeStmt(ctx context.Context, o Options, pl *plan) error {
	cpu := filepath.Join(pl.tmp, "cpu.pprof")
	req := timeRequest(o, pl, cpu, m.need)
	if m.panic != nil || m.hits.Goexit {
		// The statement does not finish normally: one timing run shows
		// what the one counted run did.
		req.Lprun.MaxRuns = 1
	}
	full, err := m.timeCall(ctx, o, req, nil, false)
	if err != nil {
		return err
	}
	if err := laterRunFailed(m, full); err != nil {
		return err
	}
	rep := full.Lprun
	m.runs.add(rep)
	m.runs.MinSamples = minSamples
	m.cpuFiles = batchFiles(cpu, len(rep.Batches), req.Lprun.RotateCPU)
	return nil
}

// laterRunFailed returns the error of a timing run that panicked or
// called runtime.Goexit when the counted run had finished normally: the
// statement fails on a later run (it counts its calls, it depends on
// state an earlier run left), so the counts and times of the runs before
// describe no statement that works, and a report of them would show a
// failing statement as a short successful measurement. The failure is
// the result, as IPython's %timeit reports a statement that raises.
func laterRunFailed(m *measurement, rep *child.Reply) error {
	if m.panic != nil || m.hits.Goexit {
		return nil // the counted run failed already: the report shows it
	}
	const later = " (on a later run of the statement: the counted run had finished)"
	if p := rep.Panic; p != nil {
		// Wrapped, the *gorun.PanicError still gives its stack to a
		// verbose report (errors.As).
		return &RunError{fmt.Errorf("%w"+later, &gorun.PanicError{File: p.File, Line: p.Line, Value: p.Value, Stack: p.Stack})}
	}
	if rep.Lprun.Goexit {
		return &RunError{errors.New("the statement called runtime.Goexit" + later)}
	}
	return nil
}

// timeCall runs the plain build once with req and returns its reply,
// whose Lprun is set. sameExit asks for a program (one run per process)
// to end with the exit status of its counted run: a run that ends
// otherwise (it panicked, it exited with another status: the program
// fails on a later run) is a *RunError, not a measurement.
func (m *measurement) timeCall(ctx context.Context, o Options, req *child.Request, args []string, sameExit bool) (*child.Reply, error) {
	var errOut bytes.Buffer
	c, err := m.b.Start(ctx, gorun.ChildOptions{Args: args, Stdout: io.Discard, Stderr: &errOut})
	if err != nil {
		return nil, err
	}
	rep, err := c.Call(req)
	code, _ := c.Wait()
	if err == nil && (rep.Error != "" || rep.Lprun == nil) {
		err = fmt.Errorf("the profiled program's harness failed: %s", rep.Error)
	}
	// The timing run's own error output says why it failed, without the
	// runtime's warning about the profile rate.
	showErrOut := func() { o.Stderr.Write(bytes.ReplaceAll(errOut.Bytes(), []byte(cpuRateWarning), nil)) }
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if o.Program == nil {
			showErrOut()
		}
		return nil, ranWithoutResults(o, code, err)
	}
	if sameExit && code != m.exitCode {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		showErrOut()
		return nil, &RunError{fmt.Errorf("the profiled program exited with status %d in a timing run (its output is above), its counted run with status %d: a program that fails on a later run has no profile", code, m.exitCode)}
	}
	return rep, nil
}

// timeProgram measures a program's (or test binary's) time. Its main (or
// its tests) first repeats inside one process, in batches, as a
// statement does, so that a short program gets samples without paying a
// process start per run; when that fails (a run panics or exits with a
// non-zero status, the process ends without results), the program runs
// once per process instead, again and again, until the evidence is there
// or MaxTime has passed, with the stack snapshots on in every other
// process.
func (m *measurement) timeProgram(ctx context.Context, o Options, pl *plan) error {
	m.runs.MinSamples = minSamples
	if pl.loopable {
		cpu := filepath.Join(pl.tmp, "cpu-loop.pprof")
		req := timeRequest(o, pl, cpu, m.need)
		req.Lprun.Loop = true
		full, err := m.timeCall(ctx, o, req, o.programArgs(), false)
		var rep *child.LprunReply
		if err == nil {
			rep = full.Lprun
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil && rep.LoopErr == "":
			m.runs.add(rep)
			m.cpuFiles = batchFiles(cpu, len(rep.Batches), req.Lprun.RotateCPU)
			return nil
		case err == nil:
			m.runs.Separate = "repeated inside one process, " + rep.LoopErr
		default:
			m.runs.Separate = "repeated inside one process, it ended without results"
		}
	} else {
		m.runs.Separate = "its TestMain takes no *testing.M parameter to repeat it with"
	}
	start := time.Now()
	snaps := make([]int, len(pl.targets))
	for run := 0; ; run++ {
		cpu := filepath.Join(pl.tmp, fmt.Sprintf("cpu%d.pprof", run))
		req := timeRequest(o, pl, cpu, m.need)
		req.Lprun.NoSnap = run%4 == 1 || run%4 == 2
		full, err := m.timeCall(ctx, o, req, o.programArgs(), true)
		if err != nil {
			return err
		}
		rep := full.Lprun
		m.runs.add(rep)
		m.cpuFiles = append(m.cpuFiles, cpuFile{cpu, len(m.runs.Batches) - 1, false})
		for _, b := range rep.Batches {
			for _, l := range b.Lines {
				if l.Target >= 0 && l.Target < len(snaps) {
					snaps[l.Target] += l.N
				}
			}
		}
		n := len(m.runs.Batches)
		enough := n >= minBatches && n%2 == 0
		for _, t := range m.need {
			enough = enough && snaps[t] >= minSamples
		}
		if enough {
			return nil
		}
		if time.Since(start) >= o.MaxTime {
			m.runs.CapHit = true
			return nil
		}
	}
}

// ownCPUProfile refuses the test flag that starts a CPU profile of the
// test binary's own (-cpuprofile, -test.cpuprofile): Go runs one CPU
// profile at a time, and lprun's timing runs hold it. The test binary's
// failed to start, or stopped lprun's after a run and took over its
// samples ("0 CPU profile samples"), and the file it names got the
// uninstrumented build's last run.
func ownCPUProfile(p *Program) error {
	if p == nil || !p.Test {
		return nil
	}
	for _, a := range p.Args {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "cpuprofile" || name == "test.cpuprofile") {
			return inputErr("--test: %s would start a CPU profile of the tests' own, but lprun's timing runs hold the process's one CPU profile; run go test -cpuprofile on its own", a)
		}
	}
	return nil
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
