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

// BuildOptions says what to build and how.
type BuildOptions struct {
	// Dir is the package directory (an absolute path or one relative to the
	// current directory). Empty means a temporary module holding only the
	// generated file, whose package must then be named TempPackage.
	Dir string
	// Overlay replaces files of the build: absolute path -> contents. A nil
	// value hides the file. The *_test.go files of Dir are always hidden.
	Overlay map[string][]byte
	// Tags, GCFlags and Race pass through to the go command
	// (-tags, -gcflags, -race).
	Tags, GCFlags string
	Race          bool
	// ModFile is passed as -modfile when not empty.
	ModFile string
	// Env is added to the environment of the go command and of the program.
	Env []string
	// ExtraArgs are more go command flags, placed before the package.
	ExtraArgs []string
}

// Program is a test binary built by Build. Close removes it.
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
// unset for the caller. The program runs in a process group of its own,
// which the cancellation of ctx kills whole (with whatever the program
// started), unless speedup's standard input is a terminal (see ownGroup).
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

// Build builds a test binary of the package in o.Dir to which the file
// testFileName (a base name ending in _test.go) with contents testFileSrc is
// added, through an overlay. The package's own test files are hidden. All
// temporary files live in one directory that Program.Close removes; on error
// Build removes it itself.
//
// A compile error is returned as a *CompileError; other failures of the go
// command as an error holding its first meaningful line.
func Build(ctx context.Context, o BuildOptions, testFileName string, testFileSrc []byte) (prog *Program, err error) {
	if !strings.HasSuffix(testFileName, "_test.go") || filepath.Base(testFileName) != testFileName {
		return nil, fmt.Errorf("gorun: test file name %q must be a base name ending in _test.go", testFileName)
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
		p.temp = true
		p.Dir = filepath.Join(tmp, "mod")
		if err := os.Mkdir(p.Dir, 0o777); err != nil {
			return nil, err
		}
		goVersion, err := goVersion(ctx, env)
		if err != nil {
			return nil, err
		}
		mod := fmt.Sprintf("module %s\n\ngo %s\n", TempPackage, goVersion)
		if err := os.WriteFile(filepath.Join(p.Dir, "go.mod"), []byte(mod), 0o666); err != nil {
			return nil, err
		}
		// The temporary module must not join a workspace around the user.
		env = append(env, "GOWORK=off")
		p.env = append(p.env, "GOWORK=off")
	} else {
		if p.Dir, err = filepath.Abs(o.Dir); err != nil {
			return nil, err
		}
	}

	// The overlay: hide the package's tests, add the generated file, apply
	// the caller's replacements. Contents go to files in tmp because the
	// go command's overlay maps paths to paths.
	replace := map[string]string{}
	tests, err := testFiles(p.Dir)
	if err != nil {
		return nil, err
	}
	for _, f := range tests {
		replace[f] = ""
	}
	ovDir := filepath.Join(tmp, "overlay")
	if err := os.Mkdir(ovDir, 0o777); err != nil {
		return nil, err
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
			return nil, err
		}
		if err := add(abs, src); err != nil {
			return nil, err
		}
	}
	genPath := filepath.Join(p.Dir, testFileName)
	if err := add(genPath, testFileSrc); err != nil {
		return nil, err
	}
	ov, err := json.Marshal(struct{ Replace map[string]string }{replace})
	if err != nil {
		return nil, err
	}
	ovFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovFile, ov, 0o666); err != nil {
		return nil, err
	}

	p.Path = filepath.Join(tmp, "snippet.test")
	args := []string{"test", "-c", "-o", p.Path, "-overlay", ovFile}
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
	args = append(args, o.ExtraArgs...)
	args = append(args, ".")
	// The go command's own work directory goes inside ours too: an
	// interrupted go command leaves it behind, and Close removes it.
	goTmp := filepath.Join(tmp, "gotmp")
	if err := os.Mkdir(goTmp, 0o777); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = p.Dir
	cmd.Env = append(env, "GOTMPDIR="+goTmp)
	// Cancellation kills the go command with its compilers and linkers
	// (their files are all in tmp, which the caller removes); at a
	// terminal, where they share speedup's group, the go command is asked
	// to stop its children itself.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	ownGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	runErr := cmd.Run()
	p.BuildTime = time.Since(start)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if runErr != nil {
		var ee *exec.ExitError
		if !errors.As(runErr, &ee) {
			return nil, fmt.Errorf("running go: %v", runErr)
		}
		return nil, buildError(out.String(), p.Dir, testFileName)
	}
	p.BuildOutput = out.String()
	return p, nil
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
	ownGroup(cmd)
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
// plain error when no position can be found.
func buildError(out, dir, genName string) error {
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
		// "...; to add it:" announces a command on the next line, which a
		// one-line message leaves out.
		msg := strings.TrimSuffix(m[4], "; to add it:")
		first = &CompileError{File: userPath(m[1], dir), Line: l, Col: c, Msg: msg}
		if filepath.Base(m[1]) == genName {
			// An error placed in the generated file's own code (typically
			// an import that the module cannot provide): its position means
			// nothing to the user.
			first.File, first.Line, first.Col = "", 0, 0
		}
	}
	if first == nil {
		if len(other) > 0 {
			return errors.New(strings.TrimPrefix(other[0], "go: "))
		}
		return fmt.Errorf("go test -c failed: %s", strings.TrimSpace(out))
	}
	first.More = count - 1
	if tooMany && first.More < 1 {
		first.More = 1
	}
	return first
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
