package lprun

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/internal/gorun/child"
	"github.com/gospeedup/speedup/internal/instrument"
)

// plan is what to build: the instrumented build (A), which counts hits,
// and the plain build (B), which measures time.
type plan struct {
	targets []*target
	byFile  map[string]*fileInfo
	// a and b are the two builds' options (generated files, overlays).
	a, b gorun.BuildOptions
	// tmp holds the copies of module-cache modules, and the runs' files;
	// the session removes it.
	tmp string
	// loopable says that the plain build of a program can repeat its main
	// (or tests) inside one process.
	loopable bool
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

// newPlan instruments the targets' files and generates the files of both
// builds; tmp is the session's temporary directory.
func newPlan(ctx context.Context, o Options, targets []*target, rp *runPkg, tmp string) (*plan, error) {
	pl := &plan{targets: targets, byFile: map[string]*fileInfo{}, tmp: tmp}
	mc := &modCopies{tmp: tmp, copies: map[string]string{}}
	overlay, refs, err := pl.instrument(targets, o.ExactTime, mc)
	if err != nil {
		return nil, err
	}
	base := gorun.BuildOptions{Dir: rp.dir, Tags: o.Tags, Race: o.Race}
	pl.a, pl.b = base, base
	// Both builds see the caller's overlay (the kernel's cells); the
	// instrumented files replace their plain versions in the first.
	pl.a.Overlay, pl.b.Overlay = maps.Clone(o.Overlay), maps.Clone(o.Overlay)
	if pl.a.Overlay == nil {
		pl.a.Overlay, pl.b.Overlay = map[string][]byte{}, map[string][]byte{}
	}
	maps.Copy(pl.a.Overlay, overlay)
	// The plain build compiles the files with line directives as the
	// instrumented one does, without them, so that its samples name the
	// same lines as the hits. (A program's hooks, planned next, replace
	// these with the hooked versions.)
	plainCopies := false
	for file, fi := range pl.byFile {
		if !fi.pkg.lineDirs[file] {
			continue
		}
		pl.b.Overlay[fi.path] = fi.pkg.srcs[file]
		plainCopies = plainCopies || fi.path != file
	}
	if o.Program != nil {
		err = pl.planProgram(o, rp, refs)
	} else {
		err = pl.planStmt(o, rp, refs)
	}
	if err != nil {
		return nil, err
	}
	if len(mc.copies) > 0 {
		modRoot := rp.dir
		if modRoot == "" {
			return nil, errors.New("a profiled function's module is not part of the program the statement builds (use -C DIR)")
		}
		mf, env, err := mc.buildFiles(ctx, modRoot)
		if err != nil {
			return nil, err
		}
		pl.a.ModFile = mf
		pl.a.Env = append(pl.a.Env, env...)
		if plainCopies {
			pl.b.ModFile = mf
			pl.b.Env = append(pl.b.Env, env...)
		}
	}
	return pl, nil
}

// instrument instruments every file holding targets; module-cache modules
// are copied. It returns the instrumented build's overlay and how the
// harness reads each file's counters.
func (p *plan) instrument(targets []*target, exact bool, mc *modCopies) (map[string][]byte, []dataRef, error) {
	var order []string
	for _, t := range targets {
		fi := p.byFile[t.file]
		if fi == nil {
			fi = &fileInfo{pkg: t.pkg}
			p.byFile[t.file] = fi
			order = append(order, t.file)
		}
		fi.funcs = append(fi.funcs, t)
	}
	overlay := map[string][]byte{}
	var refs []dataRef
	for i, file := range order {
		fi := p.byFile[file]
		if err := checkProfilable(fi.pkg, exact); err != nil {
			return nil, nil, err
		}
		var decls []*ast.FuncDecl
		for _, t := range fi.funcs {
			decls = append(decls, t.decl)
		}
		res, err := instrument.File(fi.pkg.fset, fileAST(fi.pkg, file), fi.pkg.srcs[file], decls, strconv.Itoa(i), instrument.Options{ExactTime: exact})
		if err != nil {
			return nil, nil, err
		}
		fi.res = res
		if fi.path, err = mc.place(fi.pkg, file); err != nil {
			return nil, nil, err
		}
		overlay[fi.path] = res.Src
		if !fi.pkg.Local && fi.pkg.ImportPath == "" {
			return nil, nil, errors.New("internal error: no import path for an instrumented package")
		}
		refs = append(refs, dataRef{res: res, importPath: fi.pkg.ImportPath, samePkg: fi.pkg.Local})
	}
	return overlay, refs, nil
}

// checkProfilable refuses packages whose files the go command will not
// take from an overlay, or that the counting code cannot import.
func checkProfilable(p *pkgInfo, exact bool) error {
	if !p.Standard {
		return nil
	}
	switch ip := p.ImportPath; {
	case ip == "unsafe" || ip == "runtime" || ip == "sync/atomic" ||
		strings.HasPrefix(ip, "internal/") || strings.HasPrefix(ip, "runtime/internal"):
		return fmt.Errorf("cannot profile package %s: the counting code imports sync/atomic, which depends on it", ip)
	case exact && ip == "sync":
		return fmt.Errorf("cannot profile package sync with --exact-time: the timing code imports sync (profile it without --exact-time)")
	}
	return nil
}

// planStmt generates the statement's harness files.
func (p *plan) planStmt(o Options, rp *runPkg, refs []dataRef) error {
	genDir := rp.dir
	if genDir == "" {
		genDir = filepath.Join(os.TempDir(), gorun.TempPackage)
	}
	genPath := filepath.Join(genDir, stmtFileName)
	srcA, err := stmtFile(rp.name, genPath, o.Scopes, o.Setup, o.Stmt, o.Imports, refs)
	if err != nil {
		return err
	}
	srcB, err := stmtFile(rp.name, genPath, o.Scopes, o.Setup, o.Stmt, o.Imports, nil)
	if err != nil {
		return err
	}
	p.a.Files = map[string][]byte{stmtFileName: srcA}
	p.b.Files = map[string][]byte{stmtFileName: srcB}
	return nil
}

// planProgram generates the program's hooks: main defers the dump and
// its os.Exit calls dump first; tests get a TestMain, or their own is
// hooked like main.
func (p *plan) planProgram(o Options, rp *runPkg, refs []dataRef) error {
	local, ps := rp.pkg, rp.prog
	p.a.Mode, p.b.Mode = gorun.ModeCommand, gorun.ModeCommand
	hooked, hookName := "", "main"
	switch {
	case o.Program.Test:
		p.a.Mode, p.b.Mode = gorun.ModeTests, gorun.ModeTests
		hooked, hookName = ps.testMainFile, "TestMain"
	default:
		mainFile, err := findMain(local)
		if err != nil {
			return err
		}
		hooked = mainFile
	}
	companion, testMain := local.Name, o.Program.Test && hooked == ""
	p.loopable = testMain
	if hooked != "" {
		if err := p.hook(hooked, hookName); err != nil {
			return err
		}
		if o.Program.Test {
			// The companion file joins the package of the test file
			// declaring TestMain (which may be the external test
			// package, reaching the counters through the linker).
			companion = ps.testMainPkg
		}
	}
	if companion != local.Name {
		refs = linkedRefs(refs, local.ImportPath)
	}
	name := "zz_speedup_lprun_prog.go"
	if o.Program.Test {
		name = "zz_speedup_lprun_prog_test.go"
	}
	p.a.Files = map[string][]byte{name: progFile(companion, refs, testMain)}
	p.b.Files = map[string][]byte{name: progFile(companion, nil, testMain)}
	return nil
}

// hook rewrites the function name of file (main, TestMain) in both
// builds so that the results are sent when it ends.
func (p *plan) hook(file, name string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	src, _ = disableLineDirectives(src)
	srcA, flush := src, ""
	if fi := p.byFile[file]; fi != nil {
		srcA = fi.res.Src
		for i, t := range fi.funcs {
			if t.decl.Name.Name == name && t.decl.Recv == nil {
				flush = fi.res.Funcs[funcIndex(fi, i)].Flush
			}
		}
	}
	if p.a.Overlay[file], _, err = hookFunc(file, srcA, name, flush, false); err != nil {
		return err
	}
	p.b.Overlay[file], p.loopable, err = hookFunc(file, src, name, "", true)
	return err
}

// funcIndex returns the index in fi.res.Funcs (source order) of fi.funcs[i].
func funcIndex(fi *fileInfo, i int) int {
	for j, f := range fi.res.Funcs {
		if f.Decl == fi.funcs[i].decl {
			return j
		}
	}
	return 0
}

// linkedRefs returns refs for a companion file outside the package of
// the instrumented files, which reaches their counters through the linker.
func linkedRefs(refs []dataRef, importPath string) []dataRef {
	var out []dataRef
	for _, r := range refs {
		if r.samePkg {
			r.samePkg = false
			r.importPath = importPath
		}
		out = append(out, r)
	}
	return out
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

// ran returns the indices of the targets that ran in the counted run.
func (p *plan) ran(hits *child.LprunReply) []int {
	var out []int
	for i, t := range p.targets {
		fi := p.byFile[t.file]
		var fn *instrument.Func
		for j := range fi.res.Funcs {
			if fi.res.Funcs[j].Decl == t.decl {
				fn = &fi.res.Funcs[j]
			}
		}
		counts := hits.Counts[fi.res.ID]
		for _, s := range fn.Slots {
			if s.Index < len(counts) && counts[s.Index] > 0 {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// samplerTargets returns the samplers' description of the targets.
func (p *plan) samplerTargets() []child.Target {
	var ts []child.Target
	for _, t := range p.targets {
		ts = append(ts, child.Target{File: t.file, Start: t.pkg.fset.Position(t.decl.Pos()).Line, End: t.pkg.fset.Position(t.decl.End()).Line})
	}
	return ts
}

// assembleInput returns the plain data the profile is assembled from.
func (p *plan) assembleInput(m *measurement) AssembleInput {
	in := AssembleInput{Runs: m.runs}
	for _, t := range p.targets {
		fi := p.byFile[t.file]
		var fn *instrument.Func
		for j := range fi.res.Funcs {
			if fi.res.Funcs[j].Decl == t.decl {
				fn = &fi.res.Funcs[j]
			}
		}
		f := FuncInput{File: t.file, Name: t.display, Line: fn.Line, EndLine: fn.EndLine,
			Counts: m.hits.Counts[fi.res.ID], Times: m.hits.Times[fi.res.ID], Owner: ownerLines(t.pkg.fset, t.decl)}
		f.Source = t.pkg.sourceLines(t.file, f.Line, f.EndLine)
		for _, s := range fn.Slots {
			f.Slots = append(f.Slots, Slot{Index: s.Index, Line: s.Line})
		}
		in.Funcs = append(in.Funcs, f)
	}
	return in
}
