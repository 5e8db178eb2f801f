// Package session runs "speedup lprun": it finds the functions to profile,
// builds the user's package twice through go test overlays (once with the
// profiled functions instrumented to count their lines exactly, once
// untouched), runs the statement once in the instrumented build for the
// hits and repeatedly in the plain build under a wall-clock stack sampler
// for the time, and assembles a lineprof.Profile. Nothing is written into
// the user's tree. docs/lprun.md describes the design and its error.
package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/gospeedup/speedup/internal/durfmt"
	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/lineprof"
	"github.com/gospeedup/speedup/lineprof/instrument"
)

// Options configure a profiling session.
type Options struct {
	// Dir is the package the statement runs in (-C); empty runs it in a
	// temporary module, and functions must then be package-qualified.
	Dir string
	// Funcs are -f arguments; Pkgs are -m packages, all of whose functions
	// are profiled. Functions marked //speedup:profile in Dir's package are
	// always added.
	Funcs, Pkgs []string
	// Stmt is the Go statements to run.
	Stmt string
	// Tags and Race pass through to the go command.
	Tags string
	Race bool
	// MaxTime bounds the repeated timing runs (default 2s; at least one run
	// is made); Interval is the period of the stack snapshots (default 5ms).
	MaxTime  time.Duration
	Interval time.Duration
	// ExactTime times every line event of the one instrumented run with
	// the runtime's clock, like line_profiler, instead of sampling the
	// plain build; the clock's cost is then part of the times.
	ExactTime bool
	// InstrumentedRuns, when positive, runs the statement that many more
	// times in the instrumented build after the counted run, to measure
	// the instrumentation's cost (Result.InstrumentedNS becomes their
	// mean). Their output goes where the first run's goes.
	InstrumentedRuns int
	// Stdout and Stderr receive the statement's own output, from its one
	// instrumented run (the repeated timing runs are silenced).
	Stdout, Stderr io.Writer
}

// Result is a session's outcome.
type Result struct {
	Profile *lineprof.Profile
	// Panic is set when the statement panicked; the profile then covers
	// what ran.
	Panic *gorun.PanicError
	// InstrumentedNS is the wall time of the instrumented run; PlainNS the
	// mean wall time of the plain runs, Runs their number.
	InstrumentedNS, PlainNS int64
	Runs                    int
	// Samples counts the stack snapshots taken while the statement ran;
	// CPUSamples the CPU profile's samples in profiled functions.
	Samples    int
	CPUSamples int64

	// totalErr is the largest relative error (1 s.e.) of a profiled
	// function's Total time, from the samples that measured it.
	totalErr float64
	// unresolved names the functions that ran but in which no sample fell:
	// their time per run is below resolutionNS, and shows as 0.
	unresolved   []string
	resolutionNS float64
	// BuildTime is the wall time of the two (concurrent) builds.
	BuildTime time.Duration
}

// goVersionLine returns the go command's language version ("1.26.8") for
// a temporary module's go directive.
func goVersionLine() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return ""
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "go")
	if i := strings.IndexFunc(v, func(r rune) bool { return !(r == '.' || r >= '0' && r <= '9') }); i >= 0 {
		v = v[:i]
	}
	return v
}

// cpuHz is the CPU profiling rate asked for: the kernel tick caps it at 250
// on common Linux configurations, and a higher request would make the
// runtime count each sample for less time than it stands for.
const cpuHz = 250

// Run profiles o.Stmt.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.MaxTime <= 0 {
		o.MaxTime = 2 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = 5 * time.Millisecond
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if strings.TrimSpace(o.Stmt) == "" {
		return nil, &gorun.CompileError{File: "stmt", Line: 1, Col: 1, Msg: "empty statement"}
	}
	// Check the statement's syntax before any slow step.
	if _, err := gorun.Block("stmt", o.Stmt); err != nil {
		return nil, err
	}
	r := &resolver{ctx: ctx, tags: o.Tags, pkgs: map[string]*pkgInfo{}}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	r.dir = wd
	pkgName := gorun.TempPackage
	if o.Dir != "" {
		gp, err := gorun.ResolvePackage(o.Dir, o.Tags)
		if err != nil {
			return nil, err
		}
		r.dir = gp.Dir
		r.local = &pkgInfo{Name: gp.Name, Dir: gp.Dir, GoFiles: gp.GoFiles, Local: true}
		if err := r.local.parse(); err != nil {
			// A syntax error in the user's package: exit status 2, as
			// for any compile error.
			return nil, &InputError{err}
		}
		pkgName = gp.Name
	}

	targets, err := selectTargets(r, o)
	if err != nil {
		return nil, err
	}

	tmp, err := os.MkdirTemp("", "speedup-lprun-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	ins, err := instrumentTargets(targets, o.ExactTime, tmp)
	if err != nil {
		return nil, err
	}
	byFile, overlay, refs, mc := ins.byFile, ins.overlay, ins.refs, ins.mc

	genPath := filepath.Join(r.dir, harnessFileName)

	buildDir := o.Dir
	if o.Dir == "" {
		// A module of our own for statements without -C, so that the
		// harness's companion files can be added next to it.
		d, err := os.MkdirTemp("", "speedup-lprun-mod-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		mod := "module " + gorun.TempPackage + "\n\ngo " + strings.TrimPrefix(runtime.Version(), "go") + "\n"
		if v := goVersionLine(); v != "" {
			mod = "module " + gorun.TempPackage + "\n\ngo " + v + "\n"
		}
		if err := os.WriteFile(filepath.Join(d, "go.mod"), []byte(mod), 0o666); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(d, "doc.go"), []byte("package "+gorun.TempPackage+"\n"), 0o666); err != nil {
			return nil, err
		}
		buildDir = d
		genPath = filepath.Join(d, harnessFileName)
	}
	sleepDir := buildDir
	bo := gorun.BuildOptions{Dir: buildDir, Tags: o.Tags, Race: o.Race, Overlay: map[string][]byte{}}
	if o.Dir == "" {
		// Our temporary module must not join a workspace around the user.
		bo.Env = []string{"GOWORK=off"}
	}
	for name, src := range sleepFiles {
		bo.Overlay[filepath.Join(sleepDir, name)] = []byte(fmt.Sprintf(src, pkgName))
	}
	srcA, err := harness(pkgName, genPath, o.Stmt, refs)
	if err != nil {
		return nil, err
	}
	srcB, err := harness(pkgName, genPath, o.Stmt, nil)
	if err != nil {
		return nil, err
	}
	boA := bo
	if len(mc.copies) > 0 {
		modRoot := r.dir
		if r.local == nil {
			modRoot = buildDir
		}
		mf, env, err := mc.buildFiles(ctx, modRoot)
		if err != nil {
			return nil, err
		}
		boA.ModFile = mf
		boA.Env = append(append([]string(nil), boA.Env...), env...)
	}
	boA.Overlay = map[string][]byte{}
	for k, v := range bo.Overlay {
		boA.Overlay[k] = v
	}
	for k, v := range overlay {
		boA.Overlay[k] = v
	}
	var progA, progB *gorun.Program
	var errA, errB error
	start := time.Now()
	var g errgroup.Group
	g.Go(func() error { progA, errA = gorun.Build(ctx, boA, harnessFileName, srcA); return nil })
	if !o.ExactTime {
		g.Go(func() error { progB, errB = gorun.Build(ctx, bo, harnessFileName, srcB); return nil })
	}
	g.Wait()
	if o.ExactTime && errA != nil {
		// Without a plain build, the instrumented one's errors would
		// point into the instrumented copies: the plain build says where
		// the user's (or the statement's) errors are.
		progB, errB = gorun.Build(ctx, bo, harnessFileName, srcB)
	}
	buildTime := time.Since(start)
	defer progA.Close()
	defer progB.Close()
	if errB != nil {
		// The plain build's errors are the user's (or the statement's).
		if o.Dir == "" && strings.Contains(errB.Error(), "no required module provides package") {
			return nil, fmt.Errorf("%v (without -C the statement runs in a module of its own: use -C DIR to run it inside yours)", errB)
		}
		return nil, errB
	}
	if errA != nil {
		if strings.Contains(errA.Error(), "_lpD_") || strings.Contains(errA.Error(), "relocation target") {
			return nil, fmt.Errorf("a profiled function's package is not part of the program the statement builds: %v", errA)
		}
		return nil, fmt.Errorf("instrumented build failed (please report this): %v", errA)
	}

	// The instrumented run: the statement's output is the user's.
	outA := filepath.Join(tmp, "hits.json")
	var resA harnessResult
	envA := []string{"SPEEDUP_LP_MODE=hits", "SPEEDUP_LP_OUT=" + outA, "SPEEDUP_LP_REPEAT=" + strconv.Itoa(o.InstrumentedRuns)}
	if err := runHarness(ctx, progA, envA, o.Stdout, o.Stderr, outA, &resA); err != nil {
		return nil, err
	}

	if o.ExactTime {
		return exactProfile(targets, func(file string) *instrument.Result { return byFile[file].res }, &resA, buildTime), nil
	}

	// The plain runs, under the sampler.
	var ts []harnessTarget
	for _, t := range targets {
		ts = append(ts, harnessTarget{File: t.file, Start: t.pkg.fset.Position(t.decl.Pos()).Line, End: t.pkg.fset.Position(t.decl.End()).Line})
	}
	tj, _ := json.Marshal(ts)
	outB := filepath.Join(tmp, "time.json")
	cpuFile := filepath.Join(tmp, "cpu.pprof")
	envB := []string{
		"SPEEDUP_LP_MODE=time", "SPEEDUP_LP_OUT=" + outB, "SPEEDUP_LP_TARGETS=" + string(tj),
		"SPEEDUP_LP_CPUPROFILE=" + cpuFile, "SPEEDUP_LP_HZ=" + strconv.Itoa(cpuHz),
		"SPEEDUP_LP_MAXNS=" + strconv.FormatInt(int64(o.MaxTime), 10),
		"SPEEDUP_LP_INTERVALNS=" + strconv.FormatInt(int64(o.Interval), 10),
	}
	if resA.Panic != nil || resA.Goexit {
		// The statement does not finish normally: one timing run shows
		// what the one counted run did.
		envB = append(envB, "SPEEDUP_LP_MAXRUNS=1")
	}
	var errOut bytes.Buffer
	var resB harnessResult
	if err := runHarness(ctx, progB, envB, io.Discard, &errOut, outB, &resB); err != nil {
		if ctx.Err() == nil {
			// The timing run's own error output says why it failed,
			// without the runtime's warning about the profile rate.
			o.Stderr.Write(bytes.ReplaceAll(errOut.Bytes(), []byte(cpuRateWarning), nil))
		}
		return nil, err
	}

	res, err := assemble(targets, func(file string) *instrument.Result { return byFile[file].res }, ts, &resA, &resB, cpuFile)
	if err != nil {
		return nil, err
	}
	res.BuildTime = buildTime
	switch n := len(resA.RunNS); {
	case n > 1:
		var s int64
		for _, v := range resA.RunNS[1:] {
			s += v
		}
		res.InstrumentedNS = s / int64(n-1)
	case n == 1:
		res.InstrumentedNS = resA.RunNS[0]
	}
	if resA.Panic != nil {
		res.Panic = &gorun.PanicError{File: resA.Panic.File, Line: resA.Panic.Line, Value: resA.Panic.Value, Stack: resA.Panic.Stack}
	}
	res.Profile.Method = method(res, resA.Goexit, resA.Active)
	return res, nil
}

// cpuRateWarning is what the runtime prints when the harness sets the CPU
// profile rate before pprof.StartCPUProfile does.
const cpuRateWarning = "runtime: cannot set cpu profile rate until previous profile has finished.\n"

// method describes how the numbers were measured and their error, for the
// report's header.
func method(r *Result, goexit bool, active int64) []string {
	hits := "Hits: exact counts of one run of the statement (instrumented build"
	if r.InstrumentedNS > 0 {
		hits += ", " + fmtDur(r.InstrumentedNS)
	}
	hits += ")."
	if goexit {
		hits += " The statement ended in runtime.Goexit."
	}
	if active > 0 {
		hits += fmt.Sprintf(" %d activation%s still running when the statement returned (goroutines it did not wait for) %s not counted.", active, plural(int(active)), isAre(int(active)))
	}
	m := float64(max(r.CPUSamples, 1))
	totalErr := 100 * r.totalErr
	runs := fmt.Sprintf("mean of %d runs (%s each)", r.Runs, fmtDur(r.PlainNS))
	if r.Runs == 1 {
		runs = fmt.Sprintf("one run (%s)", fmtDur(r.PlainNS))
	}
	timeLine := fmt.Sprintf("Time: wall clock per run of the uninstrumented build, %s: "+
		"%d CPU profile samples place the time on CPU, %d stack snapshots measure it and the time off CPU",
		runs, r.CPUSamples, r.Samples)
	if r.CPUSamples > 0 || r.totalErr > 0 {
		timeLine += fmt.Sprintf("; error (1 s.e.) about ±%.1f%% of Total time, ±%.1f points of %% Time.", totalErr, 50/math.Sqrt(m))
	} else {
		timeLine += "."
	}
	if len(r.unresolved) > 0 {
		// Saying nothing here would present a 0 as a measurement.
		timeLine += fmt.Sprintf(" No sample fell in %s: %s time per run is below the resolution of about %s and shows as 0 (raise --max-time to resolve it).",
			strings.Join(r.unresolved, ", "), map[bool]string{true: "its", false: "their"}[len(r.unresolved) == 1], fmtDur(int64(math.Ceil(r.resolutionNS))))
	}
	return []string{hits, timeLine}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func fmtDur(ns int64) string { return durfmt.Short(time.Duration(ns)) }

// harnessTarget and harnessResult mirror the harness's JSON.
type harnessTarget struct {
	File       string
	Start, End int
}

type harnessResult struct {
	RunNS  []int64             `json:"run_ns"`
	Counts map[string][]uint64 `json:"counts"`
	Times  map[string][]int64  `json:"times"`
	Panic  *struct {
		Value, File, Stack string
		Line               int
	} `json:"panic"`
	Goexit    bool  `json:"goexit"`
	Active    int64 `json:"active"`
	Samples   int   `json:"samples"`
	PausedNS  int64 `json:"paused_ns"`
	CleanNS   int64 `json:"clean_ns"`
	CleanRuns int   `json:"clean_runs"`
	Hits      int   `json:"hits"`
	Lines     []struct {
		Target, Line, N int
		Parked          bool
	} `json:"lines"`
}

func runHarness(ctx context.Context, p *gorun.Program, env []string, stdout, stderr io.Writer, out string, res *harnessResult) error {
	cmd := p.Command(ctx)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("the profiled program failed (%v) before the statement finished; a crash outside the statement's goroutine or os.Exit leaves no profile", ee.ProcessState)
		}
		return err
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return fmt.Errorf("the profiled program left no results: %v", err)
	}
	return json.Unmarshal(b, res)
}

// checkProfilable refuses packages whose files the go command will not
// take from an overlay, or that the counting code cannot import.
func checkProfilable(p *pkgInfo) error {
	if p.Standard {
		switch {
		case p.ImportPath == "unsafe" || p.ImportPath == "runtime" || p.ImportPath == "sync/atomic" ||
			strings.HasPrefix(p.ImportPath, "internal/") || strings.HasPrefix(p.ImportPath, "runtime/internal"):
			return fmt.Errorf("cannot profile package %s: the counting code imports sync/atomic, which depends on it", p.ImportPath)
		}
		return nil
	}
	return nil
}

func isModCache(dir string) bool {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return false
	}
	mc := strings.TrimSpace(string(out))
	return mc != "" && strings.HasPrefix(dir, mc+string(filepath.Separator))
}

// exactProfile assembles the profile of --exact-time from the instrumented
// run alone.
func exactProfile(targets []*target, res func(file string) *instrument.Result, r *harnessResult, buildTime time.Duration) *Result {
	p := &lineprof.Profile{Unit: 1e-9}
	for _, t := range targets {
		fr := res(t.file)
		var fn *instrument.Func
		for j := range fr.Funcs {
			if fr.Funcs[j].Decl == t.decl {
				fn = &fr.Funcs[j]
			}
		}
		f := &lineprof.Func{File: t.file, Name: t.display, Line: fn.Line, EndLine: fn.EndLine}
		f.Source = lineprof.SourceLines(t.file, f.Line, f.EndLine)
		lines := map[int]*lineprof.Line{}
		counts, times := r.Counts[fr.ID], r.Times[fr.ID]
		for _, s := range fn.Slots {
			l := lines[s.Line]
			if l == nil {
				l = &lineprof.Line{Line: s.Line}
				lines[s.Line] = l
			}
			if s.Index < len(counts) {
				l.Hits += int64(counts[s.Index])
			}
			if s.Index < len(times) {
				l.TimeNS += times[s.Index]
			}
		}
		for _, l := range lines {
			if l.Hits != 0 || l.TimeNS != 0 {
				f.Lines = append(f.Lines, *l)
			}
		}
		p.Funcs = append(p.Funcs, f)
	}
	p.Sort()
	out := &Result{Profile: p, Runs: 1, BuildTime: buildTime}
	if len(r.RunNS) > 0 {
		out.InstrumentedNS = r.RunNS[0]
	}
	hits := "Hits: exact counts of one run of the statement (instrumented build, " + fmtDur(out.InstrumentedNS) + ")."
	if r.Active > 0 {
		hits += fmt.Sprintf(" %d activation%s still running when the statement returned %s not counted.", r.Active, plural(int(r.Active)), isAre(int(r.Active)))
	}
	p.Method = []string{hits, "Time: --exact-time: every line event of that run timed with the runtime's clock, whose cost (tens of ns per event) is counted in the times, as line_profiler does."}
	if r.Panic != nil {
		out.Panic = &gorun.PanicError{File: r.Panic.File, Line: r.Panic.Line, Value: r.Panic.Value, Stack: r.Panic.Stack}
	}
	return out
}

// assemble builds the profile (docs/lprun.md) from the instrumented run's
// counts (resA) and the plain runs' samples (resB and the CPU profile in
// cpuFiles). Per run, a target's wall time off CPU on a line is the share of
// snapshots that found a goroutine parked there times the run time; its
// time on CPU is the share of snapshots that found it running, split over
// lines by the CPU profile.
func assemble(targets []*target, resOf func(file string) *instrument.Result, ts []harnessTarget, resA, resB *harnessResult, cpuFiles ...string) (*Result, error) {
	var samples []cpuSample
	for _, cpuFile := range cpuFiles {
		prof, err := os.ReadFile(cpuFile)
		if err != nil {
			return nil, fmt.Errorf("the profiled program left no CPU profile: %v", err)
		}
		s, err := readCPUProfile(prof)
		if err != nil {
			return nil, err
		}
		samples = append(samples, s...)
	}
	cpuN := make([]map[int]int64, len(targets))
	cpuTot := make([]int64, len(targets))
	for i := range cpuN {
		cpuN[i] = map[int]int64{}
	}
	seen := make([]bool, len(targets))
	for _, smp := range samples {
		clear(seen)
		for _, fr := range smp.frames {
			for i, t := range ts {
				if !seen[i] && fr.line >= t.Start && fr.line <= t.End && fr.file == t.File {
					seen[i] = true
					cpuN[i][fr.line] += smp.count
					cpuTot[i] += smp.count
				}
			}
		}
	}
	runs := max(len(resB.RunNS), 1)
	var sumNS int64
	for _, v := range resB.RunNS {
		sumNS += v
	}
	// The snapshots' stop-the-world pauses are not the user's time: the
	// mean run time comes from the runs no snapshot paused, or, when the
	// runs are too long to escape them, has the pauses taken out.
	meanNS := float64(max(sumNS-resB.PausedNS, 0)) / float64(runs)
	if resB.CleanRuns >= 10 {
		meanNS = float64(resB.CleanNS) / float64(resB.CleanRuns)
	}
	nsnap := float64(resB.Samples)
	p := &lineprof.Profile{Unit: 1e-9}
	var cpuAll int64
	// relErr is the relative error (1 s.e.) of each function's total.
	var relErr float64
	var unresolved []string
	for i, t := range targets {
		fr := resOf(t.file)
		var fn *instrument.Func
		for j := range fr.Funcs {
			if fr.Funcs[j].Decl == t.decl {
				fn = &fr.Funcs[j]
			}
		}
		f := &lineprof.Func{File: t.file, Name: t.display, Line: fn.Line, EndLine: fn.EndLine}
		f.Source = lineprof.SourceLines(t.file, f.Line, f.EndLine)
		owner := ownerLines(t.pkg.fset, t.decl)
		own := func(l int) int {
			if o, ok := owner[l]; ok {
				return o
			}
			return l
		}
		times := map[int]float64{}
		hits := map[int]int64{}
		counts := resA.Counts[fr.ID]
		for _, s := range fn.Slots {
			if s.Index < len(counts) && counts[s.Index] > 0 {
				hits[s.Line] += int64(counts[s.Index])
			}
		}
		var runN float64
		runLines := map[int]float64{}
		for _, lt := range resB.Lines {
			if lt.Target != i {
				continue
			}
			if lt.Parked {
				times[own(lt.Line)] += float64(lt.N) / nsnap * meanNS
			} else {
				runN += float64(lt.N)
				runLines[own(lt.Line)] += float64(lt.N)
			}
		}
		var onCPU float64
		switch {
		case nsnap > 0 && runN > 0:
			onCPU = runN / nsnap * meanNS
			// The binomial error of the snapshots' share; a share of 1
			// still has an error of about one snapshot.
			p := min(runN/nsnap, nsnap/(nsnap+1))
			relErr = max(relErr, math.Sqrt(p*(1-p)/nsnap)/p)
		case cpuTot[i] > 0:
			// No snapshot found the function running (it is a small part
			// of each run, or runs are short): the CPU profile's own clock
			// measures it, each sample standing for 1/cpuHz of CPU time.
			onCPU = float64(cpuTot[i]) * 1e9 / float64(cpuHz) / float64(runs)
			relErr = max(relErr, 1/math.Sqrt(float64(cpuTot[i])))
		}
		ran := false
		for _, h := range hits {
			ran = ran || h > 0
		}
		if ran && runN == 0 && cpuTot[i] == 0 && len(times) == 0 {
			unresolved = append(unresolved, t.display)
		}
		switch {
		case cpuTot[i] >= 20 || (cpuTot[i] > 0 && runN == 0):
			for l, n := range cpuN[i] {
				times[own(l)] += float64(n) / float64(cpuTot[i]) * onCPU
			}
		case runN > 0:
			for l, n := range runLines {
				times[l] += n / runN * onCPU
			}
		}
		cpuAll += cpuTot[i]
		for l := range times {
			if _, ok := hits[l]; !ok {
				hits[l] = 0
			}
		}
		for l, h := range hits {
			f.Lines = append(f.Lines, lineprof.Line{Line: l, Hits: h, TimeNS: int64(math.Round(times[l]))})
		}
		p.Funcs = append(p.Funcs, f)
	}
	p.Sort()

	res := &Result{Profile: p, Runs: len(resB.RunNS), Samples: resB.Samples, CPUSamples: cpuAll, totalErr: relErr, unresolved: unresolved}
	// One snapshot's worth of a run, or one CPU sample's when no snapshot
	// fell in any run: the least time a sampled function can show.
	if nsnap > 0 {
		res.resolutionNS = meanNS / nsnap
	} else {
		res.resolutionNS = 1e9 / float64(cpuHz) / float64(max(runs, 1))
	}
	res.PlainNS = int64(meanNS)
	return res, nil
}

// instrumented is the outcome of instrumentTargets.
type instrumented struct {
	byFile  map[string]*fileInfo
	overlay map[string][]byte // path the build reads -> instrumented source
	refs    []dataRef
	mc      *modCopies
}

// fileInfo is one instrumented file.
type fileInfo struct {
	pkg   *pkgInfo
	res   *instrument.Result
	funcs []*target
	// path is where the build reads the file: the file itself, or its
	// place in a copy of a module-cache module.
	path string
}

// instrumentTargets instruments every file holding targets; module-cache
// modules are copied under tmp.
func instrumentTargets(targets []*target, exact bool, tmp string) (*instrumented, error) {
	out := &instrumented{byFile: map[string]*fileInfo{}, overlay: map[string][]byte{}, mc: &modCopies{tmp: tmp, copies: map[string]string{}}}
	var order []string
	for _, t := range targets {
		fi := out.byFile[t.file]
		if fi == nil {
			fi = &fileInfo{pkg: t.pkg}
			out.byFile[t.file] = fi
			order = append(order, t.file)
		}
		fi.funcs = append(fi.funcs, t)
	}
	for i, file := range order {
		fi := out.byFile[file]
		if err := checkProfilable(fi.pkg); err != nil {
			return nil, err
		}
		if exact && fi.pkg.Standard && fi.pkg.ImportPath == "sync" {
			return nil, fmt.Errorf("cannot profile package sync with --exact-time: the timing code imports sync (profile it without --exact-time)")
		}
		var decls []*ast.FuncDecl
		for _, t := range fi.funcs {
			decls = append(decls, t.decl)
		}
		id := strconv.Itoa(i)
		res, err := instrument.FileWith(fi.pkg.fset, fileAST(fi.pkg, file), fi.pkg.srcs[file], decls, id, instrument.Options{ExactTime: exact})
		if err != nil {
			return nil, err
		}
		fi.res = res
		fi.path = file
		if fi.pkg.ModuleDir != "" && isModCache(fi.pkg.ModuleDir) {
			// The go command will not overlay module cache files: the
			// instrumented file goes into a copy of the module.
			dir, err := out.mc.copy(fi.pkg.ModulePath, fi.pkg.ModuleDir)
			if err != nil {
				return nil, err
			}
			rel, err := filepath.Rel(fi.pkg.ModuleDir, file)
			if err != nil {
				return nil, err
			}
			fi.path = filepath.Join(dir, rel)
		}
		out.overlay[fi.path] = res.Src
		if !fi.pkg.Local && fi.pkg.ImportPath == "" {
			return nil, errors.New("internal error: no import path for an instrumented package")
		}
		out.refs = append(out.refs, dataRef{ID: id, ImportPath: fi.pkg.ImportPath, SamePkg: fi.pkg.Local, Timed: exact})
	}
	return out, nil
}
