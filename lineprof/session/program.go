package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/lineprof/instrument"
)

// ProgramOptions configure the profiling of a whole program (--run) or of
// a package's tests (--test), the way kernprof profiles a script.
type ProgramOptions struct {
	// Test selects "go test" (the package's tests run, Args are test
	// flags such as -run TestX) instead of "go build" of a main package.
	Test bool
	// Pkg is the package ("./cmd/x", "./pkg"), relative to the current
	// directory.
	Pkg string
	// Args are the program's (or the test binary's) arguments.
	Args []string
	// Funcs, Pkgs, Tags, Race, MaxTime, Interval and ExactTime are as in
	// Options; MaxTime bounds the repeated timing runs of the program.
	Funcs, Pkgs []string
	Tags        string
	Race        bool
	MaxTime     time.Duration
	Interval    time.Duration
	ExactTime   bool
	// Stdin, Stdout and Stderr are the counted run's; the timing run's
	// output is discarded and its stdin is empty.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// ProgramExitError reports that the profiled program exited with a
// non-zero status; the profile of what ran is still returned.
type ProgramExitError struct{ Code int }

// Error says which status the program exited with.
func (e *ProgramExitError) Error() string {
	return fmt.Sprintf("the profiled program exited with status %d", e.Code)
}

// RunProgram profiles a program or a package's tests. The program runs
// once instrumented, for the hits (its output is the user's), then
// untouched under the samplers, for the time, repeatedly for MaxTime. Hooks added to its main
// function (or a generated TestMain) write the results when it ends.
func RunProgram(ctx context.Context, o ProgramOptions) (*Result, error) {
	if o.Interval <= 0 {
		o.Interval = 5 * time.Millisecond
	}
	if o.MaxTime <= 0 {
		o.MaxTime = 2 * time.Second
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Test {
		o.Args = testFlags(o.Args)
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	ps, err := goListProgram(ctx, wd, o.Tags, o.Pkg)
	if err != nil {
		return nil, &InputError{err}
	}
	local := ps.pkgInfo
	local.Local = true
	if o.Test {
		// The test binary compiles the package's own test files: their
		// functions (tests, helpers) can be profiled too.
		local.GoFiles = append(local.GoFiles, ps.testGoFiles...)
	}
	if err := local.parse(); err != nil {
		return nil, err
	}
	switch {
	case !o.Test && local.Name != "main":
		return nil, inputErr("--run %s: package %s is not a command (package main)", o.Pkg, local.Name)
	}
	r := &resolver{ctx: ctx, dir: local.Dir, tags: o.Tags, local: local, pkgs: map[string]*pkgInfo{}}
	targets, err := selectTargets(r, Options{Funcs: o.Funcs, Pkgs: o.Pkgs})
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

	// The hooks: main defers the dump and its os.Exit calls dump first;
	// tests get a TestMain.
	ovA := map[string][]byte{}
	ovB := map[string][]byte{}
	for k, v := range ins.overlay {
		ovA[k] = v
	}
	suffix := ".go"
	if o.Test {
		suffix = "_test.go"
	} else {
		mainFile, err := findMain(local)
		if err != nil {
			return nil, err
		}
		srcA := local.srcs[mainFile]
		if fi := ins.byFile[mainFile]; fi != nil {
			srcA = fi.res.Src
		}
		if ovA[mainFile], err = hookFunc(mainFile, srcA, "main"); err != nil {
			return nil, err
		}
		if ovB[mainFile], err = hookFunc(mainFile, local.srcs[mainFile], "main"); err != nil {
			return nil, err
		}
	}
	testMain := ""
	companion := local.Name
	refs := ins.refs
	if o.Test && ps.testMainFile == "" {
		testMain = "func TestMain(m *_lp_testing.M) {\n\tcode := m.Run()\n\t_lp_dump()\n\t_lp_os.Exit(code)\n}\n"
	}
	if o.Test && ps.testMainFile != "" {
		// The package's own TestMain is hooked like main, and the
		// companion file joins its package (which may be the external
		// test package, reaching the counters through the linker).
		src, err := os.ReadFile(ps.testMainFile)
		if err != nil {
			return nil, err
		}
		srcA := src
		if fi := ins.byFile[ps.testMainFile]; fi != nil {
			srcA = fi.res.Src
		}
		if ovA[ps.testMainFile], err = hookFunc(ps.testMainFile, srcA, "TestMain"); err != nil {
			return nil, err
		}
		if ovB[ps.testMainFile], err = hookFunc(ps.testMainFile, src, "TestMain"); err != nil {
			return nil, err
		}
		companion = ps.testMainPkg
		if companion != local.Name {
			refs = nil
			for _, r := range ins.refs {
				if r.SamePkg {
					r.SamePkg = false
					r.ImportPath = local.ImportPath
				}
				refs = append(refs, r)
			}
		}
	}
	progA, err := progFile(companion, refs, testMain)
	if err != nil {
		return nil, err
	}
	progB, err := progFile(companion, nil, testMain)
	if err != nil {
		return nil, err
	}
	name := "zz_speedup_lprun_prog" + suffix
	ovA[filepath.Join(local.Dir, name)] = progA
	ovB[filepath.Join(local.Dir, name)] = progB
	for n, src := range sleepFiles {
		n = strings.TrimSuffix(n, "_test.go") + suffix
		b := []byte(fmt.Sprintf(src, companion))
		ovA[filepath.Join(local.Dir, n)] = b
		ovB[filepath.Join(local.Dir, n)] = b
	}
	modfile := ""
	var modEnv []string
	if len(ins.mc.copies) > 0 {
		if modfile, modEnv, err = ins.mc.buildFiles(ctx, local.Dir); err != nil {
			return nil, err
		}
	}

	binA, binB := filepath.Join(tmp, "a.bin"), filepath.Join(tmp, "b.bin")
	var errA, errB error
	start := time.Now()
	var g errgroup.Group
	g.Go(func() error { errA = buildProgram(ctx, o, local.Dir, tmp, "a", ovA, modfile, modEnv, binA); return nil })
	if !o.ExactTime {
		g.Go(func() error { errB = buildProgram(ctx, o, local.Dir, tmp, "b", ovB, "", nil, binB); return nil })
	}
	g.Wait()
	buildTime := time.Since(start)
	if errB != nil {
		return nil, errB
	}
	if errA != nil {
		return nil, errA
	}

	outA := filepath.Join(tmp, "hits.json")
	var resA harnessResult
	codeA, err := runProgram(ctx, binA, local.Dir, o.Args, []string{"SPEEDUP_LP_MODE=hits", "SPEEDUP_LP_OUT=" + outA}, o.Stdin, o.Stdout, o.Stderr, outA, &resA)
	if err != nil {
		return nil, err
	}
	var res *Result
	if o.ExactTime {
		res = exactProfile(targets, func(file string) *instrument.Result { return ins.byFile[file].res }, &resA, buildTime)
	} else {
		ts, tj := harnessTargets(targets)
		// The untouched program runs again and again, until MaxTime has
		// passed (at least once), so that short programs get samples;
		// their results add up.
		var resB harnessResult
		var cpuFiles []string
		type key struct {
			t, l   int
			parked bool
		}
		lines := map[key]int{}
		for run, start := 0, time.Now(); run == 0 || time.Since(start) < o.MaxTime; run++ {
			outB := filepath.Join(tmp, fmt.Sprintf("time%d.json", run))
			cpuFile := filepath.Join(tmp, fmt.Sprintf("cpu%d.pprof", run))
			envB := []string{
				"SPEEDUP_LP_MODE=time", "SPEEDUP_LP_OUT=" + outB, "SPEEDUP_LP_TARGETS=" + tj,
				"SPEEDUP_LP_CPUPROFILE=" + cpuFile, "SPEEDUP_LP_HZ=" + strconv.Itoa(cpuHz),
				"SPEEDUP_LP_INTERVALNS=" + strconv.FormatInt(int64(o.Interval), 10),
			}
			var r harnessResult
			if _, err := runProgram(ctx, binB, local.Dir, o.Args, envB, nil, io.Discard, io.Discard, outB, &r); err != nil {
				return nil, err
			}
			cpuFiles = append(cpuFiles, cpuFile)
			resB.RunNS = append(resB.RunNS, r.RunNS...)
			resB.Samples += r.Samples
			resB.PausedNS += r.PausedNS
			for _, lt := range r.Lines {
				lines[key{lt.Target, lt.Line, lt.Parked}] += lt.N
			}
		}
		for k, n := range lines {
			resB.Lines = append(resB.Lines, struct {
				Target, Line, N int
				Parked          bool
			}{k.t, k.l, n, k.parked})
		}
		res, err = assemble(targets, func(file string) *instrument.Result { return ins.byFile[file].res }, ts, &resA, &resB, cpuFiles...)
		if err != nil {
			return nil, err
		}
		res.BuildTime = buildTime
		if len(resA.RunNS) > 0 {
			res.InstrumentedNS = resA.RunNS[0]
		}
		res.Profile.Method = method(res, false, resA.Active)
	}
	what := "program"
	if o.Test {
		what = "test binary"
	}
	res.Profile.Method[0] = strings.Replace(res.Profile.Method[0], "one run of the statement", "one run of the "+what, 1)
	if codeA != 0 {
		return res, &ProgramExitError{Code: codeA}
	}
	return res, nil
}

// harnessTargets describes the targets' line ranges for the samplers.
func harnessTargets(targets []*target) ([]harnessTarget, string) {
	var ts []harnessTarget
	for _, t := range targets {
		ts = append(ts, harnessTarget{File: t.file, Start: t.pkg.fset.Position(t.decl.Pos()).Line, End: t.pkg.fset.Position(t.decl.End()).Line})
	}
	tj, _ := json.Marshal(ts)
	return ts, string(tj)
}

// programPkg is a package to run, with what --test needs to know.
type programPkg struct {
	*pkgInfo
	// testMainFile is the test file declaring TestMain, if any, and
	// testMainPkg its package name (the package's, or the external test
	// package's).
	testMainFile, testMainPkg string
	// testGoFiles are the package's own (not external) test files.
	testGoFiles []string
}

func goListProgram(ctx context.Context, dir, tags, pattern string) (*programPkg, error) {
	args := []string{"list", "-json=ImportPath,Name,Dir,GoFiles,TestGoFiles,XTestGoFiles,Module,Error"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pattern)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %s", pattern, strings.TrimPrefix(firstLine(stderr.String()), "go: "))
	}
	var j struct {
		ImportPath, Name, Dir              string
		GoFiles, TestGoFiles, XTestGoFiles []string
		Module                             *struct{ Path, Dir string }
		Error                              *struct{ Err string }
	}
	if err := json.Unmarshal(out, &j); err != nil {
		return nil, fmt.Errorf("%s: names several packages; name one", pattern)
	}
	if j.Error != nil {
		return nil, fmt.Errorf("%s: %s", pattern, firstLine(j.Error.Err))
	}
	p := &programPkg{pkgInfo: &pkgInfo{ImportPath: j.ImportPath, Name: j.Name, Dir: j.Dir}}
	if j.Module != nil {
		p.ModuleDir, p.ModulePath = j.Module.Dir, j.Module.Path
	}
	for _, f := range j.GoFiles {
		p.GoFiles = append(p.GoFiles, filepath.Join(j.Dir, f))
	}
	for _, f := range j.TestGoFiles {
		p.testGoFiles = append(p.testGoFiles, filepath.Join(j.Dir, f))
	}
	re := regexp.MustCompile(`(?m)^func TestMain\(`)
	for i, f := range append(j.TestGoFiles, j.XTestGoFiles...) {
		if b, err := os.ReadFile(filepath.Join(j.Dir, f)); err == nil && re.Match(b) {
			p.testMainFile = filepath.Join(j.Dir, f)
			p.testMainPkg = j.Name
			if i >= len(j.TestGoFiles) {
				p.testMainPkg = j.Name + "_test"
			}
		}
	}
	return p, nil
}

// findMain returns the file of package main holding func main.
func findMain(p *pkgInfo) (string, error) {
	for i, f := range p.files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" && fd.Body != nil {
				return p.GoFiles[i], nil
			}
		}
	}
	return "", inputErr("package %s has no func main", p.Dir)
}

// hookFunc makes the function name (main, or TestMain) write the results
// when it returns or panics (a deferred _lp_dump) and when it calls os.Exit
// (rewritten _lp_exit, which dumps first). The edits stay on their lines.
func hookFunc(path string, src []byte, name string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	osName := ""
	for _, im := range f.Imports {
		if im.Path.Value == `"os"` {
			osName = "os"
			if im.Name != nil {
				osName = im.Name.Name
			}
		}
	}
	type edit struct {
		off, end int
		text     string
	}
	var edits []edit
	tf := fset.File(f.Pos())
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv != nil || fd.Name.Name != name || fd.Body == nil {
			continue
		}
		o := tf.Offset(fd.Body.Lbrace) + 1
		hook := " defer _lp_dump();"
		if osName != "" && osName != "_" && osName != "." {
			// The os import may have served os.Exit alone.
			hook += " _ = " + osName + ".Exit;"
		}
		edits = append(edits, edit{o, o, hook})
		// An instrumented function's own counts are added by a deferred
		// call, which os.Exit skips: an exit in its body (not in a
		// function literal, whose counters are others) flushes them first.
		flush := instrument.ActivationFlush(src, o)
		var lits []*ast.FuncLit
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if fl, ok := n.(*ast.FuncLit); ok {
				lits = append(lits, fl)
			}
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || osName == "" || osName == "_" || osName == "." {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == osName && sel.Sel.Name == "Exit" {
				text := "_lp_exit"
				inLit := false
				for _, fl := range lits {
					inLit = inLit || fl.Pos() <= sel.Pos() && sel.End() <= fl.End()
				}
				if flush != "" && !inLit {
					text = "(func(code int) { " + flush + "; _lp_exit(code) })"
				}
				edits = append(edits, edit{tf.Offset(sel.Pos()), tf.Offset(sel.End()), text})
			}
			return true
		})
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].off > edits[j].off })
	out := append([]byte(nil), src...)
	for _, e := range edits {
		out = append(out[:e.off], append([]byte(e.text), out[e.end:]...)...)
	}
	return out, nil
}

// progFile returns the generated companion file of the program's package.
func progFile(pkgName string, refs []dataRef, testMain string) ([]byte, error) {
	imports := ""
	if testMain != "" {
		imports = "\t_lp_testing \"testing\"\n"
	}
	return []byte(fmt.Sprintf(progTemplate, pkgName, imports, dataCode(refs), testMain) + commonCode), nil
}

// progTemplate is the companion file of --run and --test. In hits mode the
// instrumented program writes its counts when it ends; in time mode the
// samplers run from init to the end.
const progTemplate = `// Code generated by speedup lprun. DO NOT EDIT.

package %s

import (
	_lp_json "encoding/json"
	_lp_fmt "fmt"
	_lp_rand "math/rand/v2"
	_lp_os "os"
	_lp_runtime "runtime"
	_lp_pprof "runtime/pprof"
	_lp_strconv "strconv"
	_lp_sync "sync"
	_lp_atomic "sync/atomic"
%s	_lp_time "time"
	_ "unsafe"
)

%s
var (
	_lp_start    = _lp_time.Now()
	_lp_sampling *_lp_sampler
	_lp_dumped   _lp_sync.Once
)

func init() {
	if _lp_os.Getenv("SPEEDUP_LP_MODE") == "time" {
		_lp_sampling = _lp_startSampler()
		_lp_sampling.running.Store(1)
	}
}

// _lp_dump writes the results, once, when the program ends.
func _lp_dump() {
	_lp_dumped.Do(func() {
		var res _lp_result
		res.RunNS = []int64{int64(_lp_time.Since(_lp_start))}
		switch _lp_os.Getenv("SPEEDUP_LP_MODE") {
		case "hits":
			for i := 0; i < 1000 && _lp_active() > 0; i++ {
				_lp_time.Sleep(_lp_time.Millisecond)
			}
			res.Active = _lp_active()
			res.Counts = _lp_counts()
			res.Times = _lp_times()
		case "time":
			_lp_sampling.running.Store(0)
			_lp_sampling.finish(&res)
		default:
			return
		}
		b, err := _lp_json.Marshal(&res)
		if err == nil {
			err = _lp_os.WriteFile(_lp_os.Getenv("SPEEDUP_LP_OUT"), b, 0o666)
		}
		if err != nil {
			_lp_fmt.Fprintln(_lp_os.Stderr, "speedup lprun:", err)
		}
	})
}

// _lp_exit replaces os.Exit in main.
func _lp_exit(code int) {
	_lp_dump()
	_lp_os.Exit(code)
}

%s
`

// dataCode returns the generated code that reads the instrumented files'
// counters: linkname declarations, and the functions _lp_counts, _lp_times
// and _lp_active.
func dataCode(refs []dataRef) string {
	var d, e, t, a strings.Builder
	for i, r := range refs {
		if r.Timed {
			if r.SamePkg {
				fmt.Fprintf(&t, "\t\t%q: %s(),\n", r.ID, instrument.TimeFunc(r.ID))
			} else {
				fmt.Fprintf(&d, "//go:linkname _lp_times%d %s.%s\nfunc _lp_times%d() []int64\n\n", i, r.ImportPath, instrument.TimeFunc(r.ID), i)
				fmt.Fprintf(&t, "\t\t%q: _lp_times%d(),\n", r.ID, i)
			}
		}
		if r.SamePkg {
			fmt.Fprintf(&e, "\t\t%q: %s(),\n", r.ID, instrument.DataFunc(r.ID))
			fmt.Fprintf(&a, "\tn += %s()\n", instrument.ActiveFunc(r.ID))
			continue
		}
		fmt.Fprintf(&d, "//go:linkname _lp_data%d %s.%s\nfunc _lp_data%d() []uint64\n\n", i, r.ImportPath, instrument.DataFunc(r.ID), i)
		fmt.Fprintf(&d, "//go:linkname _lp_active%d %s.%s\nfunc _lp_active%d() int64\n\n", i, r.ImportPath, instrument.ActiveFunc(r.ID), i)
		fmt.Fprintf(&e, "\t\t%q: _lp_data%d(),\n", r.ID, i)
		fmt.Fprintf(&a, "\tn += _lp_active%d()\n", i)
	}
	// Both generated files (the statement harness and the program's
	// companion) read the counters through the same three functions.
	return d.String() + `
// _lp_counts returns the hit counters of every instrumented file.
func _lp_counts() map[string][]uint64 {
	return map[string][]uint64{
` + e.String() + `	}
}

// _lp_times returns the line times of --exact-time.
func _lp_times() map[string][]int64 {
	return map[string][]int64{
` + t.String() + `	}
}

// _lp_active returns how many profiled activations have not flushed.
func _lp_active() int64 {
	var n int64
` + a.String() + `	return n
}
`
}

// buildProgram builds the program (go build) or the test binary (go test
// -c) with the overlay; errors are reduced to their first line.
func buildProgram(ctx context.Context, o ProgramOptions, dir, tmp, tag string, overlay map[string][]byte, modfile string, env []string, out string) error {
	replace := map[string]string{}
	ovDir := filepath.Join(tmp, "overlay-"+tag)
	if err := os.MkdirAll(ovDir, 0o777); err != nil {
		return err
	}
	n := 0
	for path, src := range overlay {
		n++
		f := filepath.Join(ovDir, fmt.Sprintf("%d-%s", n, filepath.Base(path)))
		if err := os.WriteFile(f, src, 0o666); err != nil {
			return err
		}
		replace[path] = f
	}
	ov, _ := json.Marshal(struct{ Replace map[string]string }{replace})
	ovFile := filepath.Join(tmp, "overlay-"+tag+".json")
	if err := os.WriteFile(ovFile, ov, 0o666); err != nil {
		return err
	}
	args := []string{"build"}
	if o.Test {
		args = []string{"test", "-c"}
	}
	args = append(args, "-o", out, "-overlay", ovFile)
	if o.Tags != "" {
		args = append(args, "-tags", o.Tags)
	}
	if o.Race {
		args = append(args, "-race")
	}
	if modfile != "" {
		args = append(args, "-modfile", modfile)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		for _, l := range strings.Split(buf.String(), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				return &gorun.CompileError{Msg: strings.TrimPrefix(l, "go: ")}
			}
		}
		return fmt.Errorf("go %s: %v", args[0], err)
	}
	return nil
}

// runProgram runs a built program and reads the results it wrote. A
// non-zero exit status is returned, not an error, when results exist.
func runProgram(ctx context.Context, bin, dir string, args, env []string, stdin io.Reader, stdout, stderr io.Writer, out string, res *harnessResult) (int, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	code := 0
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return 0, err
		}
		code = ee.ExitCode()
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return code, fmt.Errorf("the profiled program exited (status %d) without results: it ended other than by returning from main or calling os.Exit from it", code)
	}
	return code, json.Unmarshal(b, res)
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
