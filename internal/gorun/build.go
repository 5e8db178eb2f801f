package gorun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Mode is what Build makes of a package.
type Mode int

const (
	// ModeSnippet builds a test binary ("go test -c") of the package, without
	// the package's own test files: the generated files bring the TestMain.
	ModeSnippet Mode = iota
	// ModeTests builds a test binary of the package with its test files.
	ModeTests
	// ModeCommand builds the package, which must be a main package ("go build").
	ModeCommand
)

// BuildOptions says what to build and how.
type BuildOptions struct {
	// Mode says what to build; the zero value is ModeSnippet.
	Mode Mode
	// Dir is the package directory (an absolute path or one relative to the
	// current directory). Empty means a temporary module holding only the
	// generated files, whose package must then be named TempPackage.
	Dir string
	// Files are generated files to add to the package, by base name. A
	// file holding the line "//speedup:harness NAME" brings the files of
	// that harness of package child (timeit, lprun, program) with it.
	Files map[string][]byte
	// Overlay replaces files of the build: absolute path -> contents. A nil
	// value hides the file. In ModeSnippet the *_test.go files of Dir are
	// always hidden.
	Overlay map[string][]byte
	// Tags, GCFlags and Race pass through to the go command
	// (-tags, -gcflags, -race).
	Tags, GCFlags string
	Race          bool
	// ModFile is passed as -modfile when not empty.
	ModFile string
	// Env is added to the environment of the go command and of the program.
	Env []string
}

// Program is a binary built by Build. Close removes it.
type Program struct {
	// Path is the absolute path of the binary.
	Path string
	// Dir is the package directory the program runs in (the temporary
	// module's directory when BuildOptions.Dir was empty).
	Dir string
	// BuildTime is how long the go command took.
	BuildTime time.Duration
	// BuildOutput is what the go command printed although it succeeded,
	// such as the compiler's diagnostics under -gcflags=-m; usually empty.
	BuildOutput string

	tmp  string
	env  []string
	temp bool // built in a temporary module
}

// Command returns a command running the program with args, with the
// environment of BuildOptions.Env added. Its directory is the package
// directory, as under "go test", except for snippets built in a temporary
// module, which run in the current directory. Standard streams are left
// unset for the caller. The program runs in a process group of its own
// (unless speedup's standard input is a terminal): cancelling ctx kills
// the group, the program and whatever it started.
func (p *Program) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.Path, args...)
	if !p.temp {
		cmd.Dir = p.Dir
	}
	cmd.Env = append(os.Environ(), p.env...)
	ownGroup(cmd)
	return cmd
}

// Close removes the program and every temporary file of its build.
func (p *Program) Close() error {
	if p == nil || p.tmp == "" {
		return nil
	}
	err := os.RemoveAll(p.tmp)
	p.tmp = ""
	return err
}

// Build builds the package in o.Dir as o.Mode says, with o.Files added and
// o.Overlay applied through "go build -overlay", so that nothing is written
// into the user's tree. testFileName and testFileSrc, when testFileName is
// not empty, are one more generated file (a base name ending in _test.go
// in the test modes). All temporary files live in one directory that
// Program.Close removes; on error Build removes it itself.
//
// A compile error is returned as a *CompileError; other failures of the go
// command as an error holding its first meaningful line (and the line of
// the fix it proposes, such as "go get example.com/x").
func Build(ctx context.Context, o BuildOptions, testFileName string, testFileSrc []byte) (prog *Program, err error) {
	files := map[string][]byte{}
	for name, src := range o.Files {
		files[name] = src
	}
	if testFileName != "" {
		if filepath.Base(testFileName) != testFileName || (o.Mode != ModeCommand && !strings.HasSuffix(testFileName, "_test.go")) {
			return nil, fmt.Errorf("gorun: test file name %q must be a base name ending in _test.go", testFileName)
		}
		files[testFileName] = testFileSrc
	}
	if err := addHarnesses(files, o.Mode != ModeCommand); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "speedup-")
	if err != nil {
		return nil, err
	}
	p := &Program{tmp: tmp, env: o.Env}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	env := append(os.Environ(), o.Env...)
	if o.Dir == "" {
		if err := p.tempModule(ctx, env); err != nil {
			return nil, err
		}
		// The temporary module must not join a workspace around the user.
		env = append(env, "GOWORK=off")
		p.env = append(p.env, "GOWORK=off")
	} else {
		if p.Dir, err = filepath.Abs(o.Dir); err != nil {
			return nil, err
		}
		// A workspace's go.work.sum must not be written: the go command
		// gets a copy of the workspace file.
		wenv, err := workspaceCopy(ctx, p.Dir, tmp, env)
		if err != nil {
			return nil, err
		}
		env = append(env, wenv...)
		p.env = append(p.env, wenv...)
	}
	p.Path = filepath.Join(tmp, "speedup.bin")
	var out goOutput
	// A kept call that has no single result is unwrapped and the build
	// made again (see KeptBlock); each round fixes the errors the compiler
	// reported, at most 10.
	for round := 0; round == 0 || out.failed && round < 8 && unwrapKeeps(out.text, files); round++ {
		ovFile, err := p.overlay(o, files)
		if err != nil {
			return nil, err
		}
		if out, err = p.runGo(ctx, env, p.goArgs(o, ovFile)); err != nil {
			return nil, err
		}
	}
	if out.failed {
		return nil, buildError(out.text, p.Dir, files, p.temp)
	}
	p.BuildOutput = out.text
	return p, nil
}

// unwrapKeeps unwraps, in the generated files, the kept calls (see
// KeptBlock) that the compiler's errors in out reject as arguments (no
// result, or several), and reports whether it unwrapped any.
func unwrapKeeps(out string, files map[string][]byte) bool {
	changed := false
	for _, line := range strings.Split(out, "\n") {
		m := posRE.FindStringSubmatch(line)
		if m == nil || strings.ContainsAny(m[1], "./") || m[3] == "" ||
			!strings.Contains(m[4], "(no value) used as value") && !strings.Contains(m[4], "in call to "+keepFunc) {
			continue
		}
		mark := fmt.Sprintf("%s(/*line %s:%s:%s*/", keepFunc, m[1], m[2], m[3])
		for name, src := range files {
			if bytes.Contains(src, []byte(mark)) {
				files[name] = bytes.ReplaceAll(src, []byte(mark), []byte(mark[len(keepFunc):]))
				changed = true
			}
		}
	}
	return changed
}

// harnessRE finds the line by which a generated file asks for a harness.
var harnessRE = regexp.MustCompile(`(?m)^//speedup:harness (\w+)$`)

var harnessNames = map[string]Harness{"timeit": HarnessTimeit, "lprun": HarnessLprun, "program": HarnessProgram}

// addHarnesses adds to files the harness files that its files ask for.
func addHarnesses(files map[string][]byte, test bool) error {
	for name, src := range files {
		m := harnessRE.FindSubmatch(src)
		if m == nil {
			continue
		}
		h, ok := harnessNames[string(m[1])]
		if !ok {
			return fmt.Errorf("gorun: %s: unknown harness %s", name, m[1])
		}
		_, pkgEnd, err := importSpecs(src)
		if err != nil {
			return fmt.Errorf("gorun: %s: %v", name, err)
		}
		pkg := strings.TrimSpace(string(src[strings.LastIndex(string(src[:pkgEnd]), "package ")+len("package ") : pkgEnd]))
		hf, err := HarnessFiles(h, pkg, test)
		if err != nil {
			return err
		}
		for n, b := range hf {
			files[n] = b
		}
	}
	return nil
}

// tempModule makes the temporary module of a build without a package.
func (p *Program) tempModule(ctx context.Context, env []string) error {
	p.temp = true
	p.Dir = filepath.Join(p.tmp, "mod")
	if err := os.Mkdir(p.Dir, 0o777); err != nil {
		return err
	}
	goVersion, err := goVersion(ctx, env)
	if err != nil {
		return err
	}
	mod := fmt.Sprintf("module %s\n\ngo %s\n", TempPackage, goVersion)
	return os.WriteFile(filepath.Join(p.Dir, "go.mod"), []byte(mod), 0o666)
}

// overlay writes the overlay file: the package's tests hidden (ModeSnippet
// mode), the generated files added, the caller's replacements applied.
// Contents go to files in tmp because the go command's overlay maps paths
// to paths.
func (p *Program) overlay(o BuildOptions, files map[string][]byte) (string, error) {
	replace := map[string]string{}
	if o.Mode == ModeSnippet {
		tests, err := testFiles(p.Dir)
		if err != nil {
			return "", err
		}
		for _, f := range tests {
			replace[f] = ""
		}
	}
	ovDir, err := os.MkdirTemp(p.tmp, "overlay-")
	if err != nil {
		return "", err
	}
	n := 0
	add := func(target string, src []byte) error {
		if src == nil {
			replace[target] = ""
			return nil
		}
		n++
		f := filepath.Join(ovDir, fmt.Sprintf("%d-%s", n, filepath.Base(target)))
		replace[target] = f
		return os.WriteFile(f, src, 0o666)
	}
	for path, src := range o.Overlay {
		abs, err := filepath.Abs(path)
		if err != nil {
			return "", err
		}
		if err := add(abs, src); err != nil {
			return "", err
		}
	}
	for name, src := range files {
		if err := add(filepath.Join(p.Dir, name), src); err != nil {
			return "", err
		}
	}
	ov, err := json.Marshal(struct{ Replace map[string]string }{replace})
	if err != nil {
		return "", err
	}
	ovFile := ovDir + ".json"
	return ovFile, os.WriteFile(ovFile, ov, 0o666)
}

// goArgs returns the go command's arguments.
func (p *Program) goArgs(o BuildOptions, ovFile string) []string {
	args := []string{"build"}
	if o.Mode != ModeCommand {
		// vet is the user's business, and costs about a quarter of a
		// snippet's build.
		args = []string{"test", "-c", "-vet=off"}
	}
	args = append(args, "-o", p.Path, "-overlay", ovFile)
	if o.Tags != "" {
		args = append(args, "-tags", o.Tags)
	}
	if o.GCFlags != "" {
		args = append(args, "-gcflags", o.GCFlags)
	}
	if o.Race {
		args = append(args, "-race")
	}
	if o.ModFile != "" {
		args = append(args, "-modfile", o.ModFile)
	} else if !p.temp && !vendored(p.Dir) {
		// Nothing may be written into the user's tree: with GOFLAGS=-mod=mod
		// in the environment, an import that goimports added for the
		// snippet had the go command add a requirement to the user's
		// go.mod and create or extend go.sum. The command line wins over
		// GOFLAGS. (A vendored module keeps the go command's default,
		// -mod=vendor.)
		args = append(args, "-mod=readonly")
	}
	return append(args, ".")
}

type goOutput struct {
	text   string
	failed bool
}

// runGo runs the go command in the package directory.
func (p *Program) runGo(ctx context.Context, env, args []string) (goOutput, error) {
	// The go command's own work directory goes inside ours too: an
	// interrupted go command leaves it behind, and Close removes it.
	goTmp := filepath.Join(p.tmp, "gotmp")
	if err := os.MkdirAll(goTmp, 0o777); err != nil {
		return goOutput{}, err
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = p.Dir
	cmd.Env = append(env, "GOTMPDIR="+goTmp)
	// Let the go command clean up its own children on cancellation.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	runErr := cmd.Run()
	p.BuildTime += time.Since(start)
	if ctx.Err() != nil {
		return goOutput{}, ctx.Err()
	}
	if runErr != nil {
		var ee *exec.ExitError
		if !errors.As(runErr, &ee) {
			return goOutput{}, fmt.Errorf("running go: %v", runErr)
		}
		return goOutput{text: out.String(), failed: true}, nil
	}
	return goOutput{text: out.String()}, nil
}

// vendored reports whether the module holding dir has a vendor directory,
// in which case the go command builds from it by default.
func vendored(dir string) bool {
	root := moduleRoot(dir)
	if root == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(root, "vendor", "modules.txt"))
	return err == nil
}

// goVersion returns the version of the go command ("1.26.8") for the
// temporary module's go directive, so that snippets get the language of the
// toolchain that builds them.
func goVersion(ctx context.Context, env []string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION")
	cmd.Env = env
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %v", err)
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "go")
	// Development toolchains print "devel go1.27-abcdef ..."; their module
	// go directive must still be a release number.
	if i := strings.IndexFunc(v, func(r rune) bool { return !(r == '.' || r >= '0' && r <= '9') }); i >= 0 {
		v = v[:i]
	}
	if v == "" {
		v = "1.24"
	}
	return v, nil
}

// CompileError is a build failure reduced to its first error.
type CompileError struct {
	// File is the file as the user knows it: a snippet block's name
	// ("stmt", "setup"), a path relative to the current directory when the
	// file is below it, an absolute path otherwise, or "" when the error has
	// no useful position.
	File      string
	Line, Col int
	// Msg is the first line of the compiler's message.
	Msg string
	// Detail holds the message's continuation lines (such as "have ... want
	// ..."), without their leading tab.
	Detail []string
	// More counts the further errors.
	More int
}

// Error returns "FILE:LINE:COL: MSG (and N more errors)" on one line.
func (e *CompileError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
			if e.Col > 0 {
				fmt.Fprintf(&b, ":%d", e.Col)
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	switch {
	case e.More == 1:
		b.WriteString(" (and 1 more error)")
	case e.More > 1:
		fmt.Fprintf(&b, " (and %d more errors)", e.More)
	}
	return b.String()
}

var posRE = regexp.MustCompile(`^(\S.*?):(\d+)(?::(\d+))?: (.*)$`)

// buildError turns the go command's output into a *CompileError, or into a
// plain error when no position can be found. files are the generated
// files, whose positions mean nothing to the user; temp says that the
// build was in the temporary module, for which the go command's advice
// ("go get ...") is replaced by the hint to use -C.
func buildError(out, dir string, files map[string][]byte, temp bool) error {
	var first *CompileError
	count := 0
	tooMany := false
	var other []string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "\t"):
			if first != nil && count == 1 {
				first.Detail = append(first.Detail, strings.TrimPrefix(line, "\t"))
			} else if first == nil && len(other) > 0 {
				other = append(other, line)
			}
			continue
		case strings.Contains(line, "too many errors"):
			tooMany = true
			continue
		}
		m := posRE.FindStringSubmatch(line)
		if m == nil {
			other = append(other, line)
			continue
		}
		count++
		if first != nil {
			continue
		}
		l, _ := strconv.Atoi(m[2])
		c, _ := strconv.Atoi(m[3])
		first = &CompileError{File: userPath(m[1], dir), Line: l, Col: c, Msg: m[4]}
		if _, ok := files[filepath.Base(m[1])]; ok {
			// An error placed in a generated file's own code (typically
			// an import that the module cannot provide): its position
			// means nothing to the user.
			first.File, first.Line, first.Col = "", 0, 0
		}
	}
	if first == nil {
		if len(other) > 0 {
			return errors.New(withFix(strings.TrimPrefix(other[0], "go: "), other[1:]))
		}
		return fmt.Errorf("go build failed: %s", strings.TrimSpace(out))
	}
	first.More = count - 1
	if tooMany && first.More < 1 {
		first.More = 1
	}
	first.Msg = withFix(first.Msg, first.Detail)
	if temp {
		tempModuleHint(first)
	}
	return first
}

// withFix keeps, on one line, the command that the go command proposes on
// the line after a message ending in ':' ("...; to add it:" followed by
// "go get example.com/x", "... using:" followed by "go work use ...").
func withFix(msg string, next []string) string {
	if !strings.HasSuffix(msg, ":") || len(next) == 0 {
		return msg
	}
	return msg + " " + strings.TrimSpace(next[0])
}

// GoCommandError returns the go command's error output as one line: its
// first line, without "go: ", and the fix it proposes on the next line
// when it proposes one ("...; to update it: go mod tidy").
func GoCommandError(stderr string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return withFix(strings.TrimPrefix(lines[0], "go: "), lines[1:])
}

// fixRE matches the go command's advice that withFix kept.
var fixRE = regexp.MustCompile(`; to add it: go get \S+$`)

// tempModuleHint explains the errors of a snippet built in the temporary
// module (no -C) that come from its having no package around it: the same
// hint for every command.
func tempModuleHint(e *CompileError) {
	switch {
	case strings.Contains(e.Msg, "no required module provides package"):
		e.Msg = fixRE.ReplaceAllString(e.Msg, "") +
			" (without -C, statements run in a temporary module with only the standard library; use -C DIR to run in your module)"
		e.Detail = nil
	case strings.HasPrefix(e.Msg, "undefined: "):
		// The tutorial's first mistake: timing one's own function from
		// its directory without -C.
		e.Msg += " (without -C, statements run outside any package; use -C DIR to call a package's functions)"
	}
}

// userPath maps a file name printed by the go command (relative to dir) to
// one the user can open from the current directory. Snippet block names,
// which have neither a directory nor a .go suffix, stay as they are.
func userPath(name, dir string) string {
	if !strings.ContainsRune(name, filepath.Separator) && !strings.HasSuffix(name, ".go") {
		return name
	}
	abs := name
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(dir, name)
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return abs
}
