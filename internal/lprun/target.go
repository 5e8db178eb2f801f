package lprun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gospeedup/speedup/internal/gorun"
)

// runPkg is the package that runs: the statement's (-C, or the temporary
// module), or the program's.
type runPkg struct {
	// pkg is the package, nil for a statement without -C.
	pkg *pkgInfo
	// name is the package name of the generated files.
	name string
	// dir is the package directory, "" for the temporary module.
	dir string
	// prog is the program's package for --run and --test.
	prog *programPkg
}

// resolve finds the package that runs and the functions to profile. The
// go command runs with a copy (under tmp) of the workspace file, if any,
// so that it writes nothing next to the user's.
func resolve(ctx context.Context, o Options, tmp string) ([]*target, *runPkg, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, nil, err
	}
	rp := &runPkg{name: gorun.TempPackage}
	if o.Dir != "" && o.Program == nil {
		// The -C package first: its errors are the user's ("missing
		// directory").
		if rp, err = resolveDir(o); err != nil {
			return nil, nil, err
		}
	}
	where := wd
	if rp.pkg != nil {
		where = rp.pkg.Dir
	}
	env, err := gorun.WorkspaceCopy(ctx, where, tmp)
	if err != nil {
		return nil, nil, err
	}
	if o.Program != nil {
		if rp, err = resolveProgram(ctx, wd, o, env); err != nil {
			return nil, nil, err
		}
	}
	r := &resolver{ctx: ctx, dir: wd, tags: o.Tags, env: env, local: rp.pkg, imports: o.Imports, pkgs: map[string]*pkgInfo{}}
	if rp.pkg != nil {
		r.dir = rp.pkg.Dir
	}
	targets, err := selectTargets(r, o)
	if err != nil {
		return nil, nil, err
	}
	return targets, rp, nil
}

// resolveDir resolves the -C package of a statement.
func resolveDir(o Options) (*runPkg, error) {
	gp, err := gorun.ResolvePackage(o.Dir, o.Tags)
	if err != nil {
		return nil, err
	}
	rp := &runPkg{name: gp.Name, dir: gp.Dir, pkg: &pkgInfo{Name: gp.Name, Dir: gp.Dir, GoFiles: overlaidFiles(gp.Dir, gp.GoFiles, o.Overlay), Local: true, overlay: o.Overlay}}
	if err := rp.pkg.parse(); err != nil {
		// A syntax error in the user's package: exit status 2, as for
		// any compile error.
		return nil, &InputError{err}
	}
	return rp, nil
}

// overlaidFiles returns the Go files of the package in dir once overlay
// is applied: its files on disk that the overlay does not hide, and the
// overlay's non-test Go files in dir, sorted as the go command sorts them.
func overlaidFiles(dir string, onDisk []string, overlay map[string][]byte) []string {
	if len(overlay) == 0 {
		return onDisk
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range onDisk {
		if src, ok := overlay[f]; ok && src == nil {
			continue
		}
		seen[f] = true
		out = append(out, f)
	}
	for f, src := range overlay {
		if src != nil && !seen[f] && filepath.Dir(f) == dir && strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go") {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// resolveProgram resolves the package of --run or --test.
func resolveProgram(ctx context.Context, wd string, o Options, env []string) (*runPkg, error) {
	ps, err := goListProgram(ctx, wd, env, o.Tags, o.Program.Pkg)
	if err != nil {
		return nil, &InputError{err}
	}
	local := ps.pkgInfo
	local.Local = true
	if o.Program.Test {
		// The test binary compiles the package's own test files: their
		// functions (tests, helpers) can be profiled too.
		local.GoFiles = append(local.GoFiles, ps.testGoFiles...)
	}
	if err := local.parse(); err != nil {
		return nil, err
	}
	if !o.Program.Test && local.Name != "main" {
		return nil, inputErr("--run %s: package %s is not a command (package main)", o.Program.Pkg, local.Name)
	}
	return &runPkg{pkg: local, name: local.Name, dir: local.Dir, prog: ps}, nil
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

var testMainRE = regexp.MustCompile(`(?m)^func TestMain\(`)

func goListProgram(ctx context.Context, dir string, env []string, tags, pattern string) (*programPkg, error) {
	args := []string{"list", "-json=ImportPath,Name,Dir,GoFiles,TestGoFiles,XTestGoFiles,Module,Error"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pattern)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %s", pattern, gorun.GoCommandError(stderr.String()))
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
	for i, f := range append(j.TestGoFiles, j.XTestGoFiles...) {
		if b, err := os.ReadFile(filepath.Join(j.Dir, f)); err == nil && testMainRE.Match(b) {
			p.testMainFile = filepath.Join(j.Dir, f)
			p.testMainPkg = j.Name
			if i >= len(j.TestGoFiles) {
				p.testMainPkg = j.Name + "_test"
			}
		}
	}
	return p, nil
}
