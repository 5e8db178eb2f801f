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
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

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
	// Samples is how many stack samples inside profiled functions the time
	// measurement aims for (default 2000); MaxTime bounds the repeated runs
	// (default 2s); Interval is the sampling period (default 100µs).
	Samples  int
	MaxTime  time.Duration
	Interval time.Duration
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
	// Samples counts the stack samples that fell in profiled functions.
	Samples int
	// BuildTime is the wall time of the two (concurrent) builds.
	BuildTime time.Duration
}

// Run profiles o.Stmt.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Samples <= 0 {
		o.Samples = 2000
	}
	if o.MaxTime <= 0 {
		o.MaxTime = 2 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = 100 * time.Microsecond
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
			return nil, err
		}
		pkgName = gp.Name
	}

	targets, err := selectTargets(r, o)
	if err != nil {
		return nil, err
	}

	// Instrument each file holding targets.
	type fileInfo struct {
		pkg   *pkgInfo
		res   *instrument.Result
		funcs []*target
	}
	byFile := map[string]*fileInfo{}
	var order []string
	for _, t := range targets {
		fi := byFile[t.file]
		if fi == nil {
			fi = &fileInfo{pkg: t.pkg}
			byFile[t.file] = fi
			order = append(order, t.file)
		}
		fi.funcs = append(fi.funcs, t)
	}
	overlay := map[string][]byte{}
	var refs []dataRef
	for i, file := range order {
		fi := byFile[file]
		if err := checkProfilable(fi.pkg); err != nil {
			return nil, err
		}
		var decls []*ast.FuncDecl
		for _, t := range fi.funcs {
			decls = append(decls, t.decl)
		}
		af := fileAST(fi.pkg, file)
		id := strconv.Itoa(i)
		res, err := instrument.File(fi.pkg.fset, af, fi.pkg.srcs[file], decls, id)
		if err != nil {
			return nil, err
		}
		fi.res = res
		overlay[file] = res.Src
		refs = append(refs, dataRef{ID: id, ImportPath: fi.pkg.ImportPath, SamePkg: fi.pkg.Local})
	}
	for _, ref := range refs {
		if !ref.SamePkg && ref.ImportPath == "" {
			return nil, errors.New("internal error: no import path for an instrumented package")
		}
	}

	genPath := filepath.Join(r.dir, harnessFileName)
	if o.Dir == "" {
		genPath = filepath.Join(os.TempDir(), "speedupsnippet", harnessFileName)
	}
	srcA, err := harness(pkgName, genPath, o.Stmt, refs)
	if err != nil {
		return nil, err
	}
	srcB, err := harness(pkgName, genPath, o.Stmt, nil)
	if err != nil {
		return nil, err
	}

	bo := gorun.BuildOptions{Dir: o.Dir, Tags: o.Tags, Race: o.Race}
	boA := bo
	boA.Overlay = overlay
	var progA, progB *gorun.Program
	var errA, errB error
	start := time.Now()
	var g errgroup.Group
	g.Go(func() error { progA, errA = gorun.Build(ctx, boA, harnessFileName, srcA); return nil })
	g.Go(func() error { progB, errB = gorun.Build(ctx, bo, harnessFileName, srcB); return nil })
	g.Wait()
	buildTime := time.Since(start)
	defer progA.Close()
	defer progB.Close()
	if errB != nil {
		// The plain build's errors are the user's (or the statement's).
		return nil, errB
	}
	if errA != nil {
		if strings.Contains(errA.Error(), "_lpD_") || strings.Contains(errA.Error(), "relocation target") {
			return nil, fmt.Errorf("a profiled function's package is not part of the program the statement builds: %v", errA)
		}
		return nil, fmt.Errorf("instrumented build failed (please report this): %v", errA)
	}

	tmp, err := os.MkdirTemp("", "speedup-lprun-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	// The instrumented run: the statement's output is the user's.
	outA := filepath.Join(tmp, "hits.json")
	var resA harnessResult
	if err := runHarness(ctx, progA, []string{"SPEEDUP_LP_MODE=hits", "SPEEDUP_LP_OUT=" + outA}, o.Stdout, o.Stderr, outA, &resA); err != nil {
		return nil, err
	}

	// The plain runs, under the sampler.
	var ts []harnessTarget
	for _, t := range targets {
		ts = append(ts, harnessTarget{File: t.file, Start: t.pkg.fset.Position(t.decl.Pos()).Line, End: t.pkg.fset.Position(t.decl.End()).Line})
	}
	tj, _ := json.Marshal(ts)
	outB := filepath.Join(tmp, "time.json")
	envB := []string{
		"SPEEDUP_LP_MODE=time", "SPEEDUP_LP_OUT=" + outB, "SPEEDUP_LP_TARGETS=" + string(tj),
		"SPEEDUP_LP_SAMPLES=" + strconv.Itoa(o.Samples),
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
		io.Copy(o.Stderr, &errOut)
		return nil, err
	}

	// Assemble the profile.
	runs := max(len(resB.RunNS), 1)
	p := &lineprof.Profile{Unit: 1e-9}
	for i, t := range targets {
		fi := byFile[t.file]
		var fn *instrument.Func
		for j := range fi.res.Funcs {
			if fi.res.Funcs[j].Decl == t.decl {
				fn = &fi.res.Funcs[j]
			}
		}
		f := &lineprof.Func{File: t.file, Name: t.display, Line: fn.Line, EndLine: fn.EndLine}
		f.Source = lineprof.SourceLines(t.file, f.Line, f.EndLine)
		lines := map[int]*lineprof.Line{}
		get := func(n int) *lineprof.Line {
			l := lines[n]
			if l == nil {
				l = &lineprof.Line{Line: n}
				lines[n] = l
			}
			return l
		}
		counts := resA.Counts[fi.res.ID]
		for _, s := range fn.Slots {
			if s.Index < len(counts) && counts[s.Index] > 0 {
				get(s.Line).Hits += int64(counts[s.Index])
			}
		}
		for _, lt := range resB.Lines {
			if lt.Target == i {
				get(lt.Line).TimeNS += int64(math.Round(float64(lt.NS) / float64(runs)))
			}
		}
		for _, l := range lines {
			f.Lines = append(f.Lines, *l)
		}
		p.Funcs = append(p.Funcs, f)
	}
	p.Sort()

	res := &Result{Profile: p, Runs: len(resB.RunNS), Samples: resB.Hits, BuildTime: buildTime}
	if len(resA.RunNS) > 0 {
		res.InstrumentedNS = resA.RunNS[0]
	}
	var sum int64
	for _, v := range resB.RunNS {
		sum += v
	}
	res.PlainNS = sum / int64(runs)
	if resA.Panic != nil {
		res.Panic = &gorun.PanicError{File: resA.Panic.File, Line: resA.Panic.Line, Value: resA.Panic.Value, Stack: resA.Panic.Stack}
	}
	p.Method = method(res, o.Interval, resA.Goexit)
	return res, nil
}

// method describes how the numbers were measured and their error, for the
// report's header.
func method(r *Result, interval time.Duration, goexit bool) []string {
	hits := "Hits: exact counts of one run of the statement (instrumented build"
	if r.InstrumentedNS > 0 {
		hits += ", " + fmtDur(r.InstrumentedNS)
	}
	hits += ")."
	if goexit {
		hits += " The statement ended in runtime.Goexit."
	}
	n := float64(max(r.Samples, 1))
	timeLine := fmt.Sprintf("Time: wall clock per run, mean of %d run%s of the uninstrumented build (%s each), "+
		"stacks sampled every %s: %d samples, error (1 s.e.) ±%.1f%% of Total time, ±%.1f points of %% Time.",
		r.Runs, plural(r.Runs), fmtDur(r.PlainNS), fmtDur(int64(interval)), r.Samples, 100/math.Sqrt(n), 50/math.Sqrt(n))
	return []string{hits, timeLine}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func fmtDur(ns int64) string {
	d := float64(ns)
	switch {
	case d >= 1e9:
		return fmt.Sprintf("%.3g s", d/1e9)
	case d >= 1e6:
		return fmt.Sprintf("%.3g ms", d/1e6)
	case d >= 1e3:
		return fmt.Sprintf("%.3g µs", d/1e3)
	}
	return fmt.Sprintf("%.0f ns", d)
}

// harnessTarget and harnessResult mirror the harness's JSON.
type harnessTarget struct {
	File       string
	Start, End int
}

type harnessResult struct {
	RunNS  []int64            `json:"run_ns"`
	Counts map[string][]uint64 `json:"counts"`
	Panic  *struct {
		Value, File, Stack string
		Line               int
	} `json:"panic"`
	Goexit    bool  `json:"goexit"`
	Samples   int   `json:"samples"`
	Hits      int   `json:"hits"`
	SampledNS int64 `json:"sampled_ns"`
	Lines     []struct {
		Target, Line int
		NS           int64
		N            int
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
	if p.ModuleDir != "" && isModCache(p.ModuleDir) {
		return fmt.Errorf("cannot profile %s yet: it lives in the module cache (%s), which the go command will not overlay", p.ImportPath, p.ModuleDir)
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
