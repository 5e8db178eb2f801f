package gorun

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildSnippet resolves dir (empty: a temporary module), generates the
// timeit harness for s and builds it.
func buildSnippet(t *testing.T, dir string, s Snippet) (*Program, error) {
	t.Helper()
	name, gen := TempPackage, filepath.Join(os.TempDir(), TempPackage, TimeitFileName)
	if dir != "" {
		pkg, err := ResolvePackage(dir, "")
		if err != nil {
			t.Fatal(err)
		}
		name, gen = pkg.Name, filepath.Join(pkg.Dir, TimeitFileName)
	}
	src, err := TimeitFile(name, gen, s)
	if err != nil {
		return nil, err
	}
	p, err := Build(context.Background(), BuildOptions{Dir: dir}, TimeitFileName, src)
	if err == nil {
		t.Cleanup(func() { p.Close() })
	}
	return p, err
}

func TestResolvePackageErrors(t *testing.T) {
	outside := t.TempDir() // no go.mod above the system's temporary directory
	tests := []struct{ dir, want string }{
		{"testdata/nosuchdir", "missing directory testdata/nosuchdir"},
		{"testdata/empty", "no Go package in testdata/empty"},
		{"testdata/onlytests", "no Go package in testdata/onlytests (only test files)"},
		{"testdata/fixture/fixture.go", "testdata/fixture/fixture.go is not a directory"},
		{outside, outside + " is not inside a module (no go.mod in it or its parents)"},
	}
	for _, tt := range tests {
		_, err := ResolvePackage(tt.dir, "")
		if err == nil || err.Error() != tt.want {
			t.Errorf("ResolvePackage(%q) error = %v, want %q", tt.dir, err, tt.want)
		}
	}
	p, err := ResolvePackage("testdata/fixture", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "fixture" || len(p.GoFiles) != 1 || len(p.TestFiles) != 2 {
		t.Errorf("ResolvePackage(testdata/fixture) = %+v", p)
	}
}

// TestCompileErrorPositions checks that compile errors point into the
// snippet, and that errors in the package's own files keep their place.
func TestCompileErrorPositions(t *testing.T) {
	tests := []struct {
		dir   string
		setup []string
		stmt  string
		want  string
	}{
		{"testdata/fixture", nil, "half(1)\nfoo(2)", "stmt:2:1: undefined: foo"},
		{"testdata/fixture", []string{"x := 1", "y := half(\"a\")"}, "half(x)", `setup:2:11: cannot use "a" (untyped string constant) as int value in argument to half`},
		{"", []string{"s := strings.Repeat(\"a\", 3)"}, "_ = s + 1", `stmt:1:5: invalid operation: s + 1 (mismatched types string and untyped int)`},
		{"testdata/brokenpkg", nil, "f()", "testdata/brokenpkg/lib.go:4:9: cannot use \"x\" (untyped string constant) as int value in return statement"},
	}
	for _, tt := range tests {
		_, err := buildSnippet(t, tt.dir, Snippet{Setup: tt.setup, Stmt: tt.stmt})
		var ce *CompileError
		if !errors.As(err, &ce) {
			t.Errorf("%q: error %v, want a *CompileError", tt.stmt, err)
			continue
		}
		if got := ce.Error(); got != tt.want {
			t.Errorf("%q: error %q, want %q", tt.stmt, got, tt.want)
		}
	}
}

// TestRunAndPanic runs a snippet in a package whose tests do not compile
// (proving that they are hidden), uses an unexported function and a
// parameter, and checks the panic's position. It also checks that the
// package's files are left untouched.
func TestRunAndPanic(t *testing.T) {
	before := snapshot(t, "testdata/fixture")
	p, err := buildSnippet(t, "testdata/fixture", Snippet{
		Setup:  []string{"x := half(n)"},
		Stmt:   "y := x\n\nboom(y)",
		Params: []Var{{"n", "int"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tm, err := p.StartTimer(ctx, TimerOptions{Params: map[string]any{"n": 4}})
	if err != nil {
		t.Fatal(err)
	}
	tot, err := tm.Run(10)
	if err != nil || tot.Loops != 10 {
		t.Fatalf("Run(10) = %+v, %v", tot, err)
	}
	if err := tm.Close(); err != nil {
		t.Fatal(err)
	}

	tm, err = p.StartTimer(ctx, TimerOptions{Params: map[string]any{"n": 6}, Env: []string{"GOMAXPROCS=1"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tm.Run(10)
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Error() != "stmt:3: panic: boom" || !strings.Contains(pe.Stack, "boom") {
		t.Errorf("Run with a panic: %v (%#v)", err, pe)
	}
	tm.Close()
	p.Close()
	if after := snapshot(t, "testdata/fixture"); !equalMaps(before, after) {
		t.Errorf("testdata/fixture changed: before %v after %v", before, after)
	}
}

// TestTempModuleAndMain runs snippets without a package (imports added
// automatically) and in a package main.
func TestTempModuleAndMain(t *testing.T) {
	for _, dir := range []string{"", "testdata/mainpkg"} {
		stmt := `_ = strings.Repeat("ab", 10)`
		if dir != "" {
			stmt = "greeting()"
		}
		p, err := buildSnippet(t, dir, Snippet{Stmt: stmt, Setup: []string{"f := 1.5", "g := math.Sqrt(f)"}})
		if err != nil {
			t.Fatalf("dir %q: %v", dir, err)
		}
		tm, err := p.StartTimer(context.Background(), TimerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if tot, err := tm.Run(3); err != nil || tot.Loops != 3 {
			t.Errorf("dir %q: Run(3) = %+v, %v", dir, tot, err)
		}
		if err := tm.Close(); err != nil {
			t.Error(err)
		}
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		m[path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestTimerEnv checks that TimerOptions.Env reaches the program.
func TestTimerEnv(t *testing.T) {
	p, err := buildSnippet(t, "", Snippet{Stmt: `if runtime.GOMAXPROCS(0) != 1 { panic("GOMAXPROCS is not 1") }`})
	if err != nil {
		t.Fatal(err)
	}
	tm, err := p.StartTimer(context.Background(), TimerOptions{Env: []string{"GOMAXPROCS=1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	if _, err := tm.Run(1); err != nil {
		t.Error(err)
	}
}

// TestBuildCancelled checks that a cancelled build leaves no temporary
// file behind (the go command's own work directory included).
func TestBuildCancelled(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	src, err := TimeitFile(TempPackage, filepath.Join(tmp, TimeitFileName), Snippet{Stmt: "_ = 1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel while the go command runs.
		time.Sleep(30 * time.Millisecond)
		cancel()
	}()
	p, err := Build(ctx, BuildOptions{}, TimeitFileName, src)
	if err == nil {
		p.Close()
		t.Skip("the build finished before it could be cancelled")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Build: %v, want context.Canceled", err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("cancelled Build left %d entries in TMPDIR: %v", len(ents), ents)
	}
}

// TestBuildModModWritesNothing checks that GOFLAGS=-mod=mod does not let
// the go command add a requirement for an import of the generated file to
// the user's go.mod, nor create a go.sum: it used to, when goimports found
// the package in the module cache.
func TestBuildModModWritesNothing(t *testing.T) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skip("go env GOMODCACHE:", err)
	}
	download := filepath.Join(strings.TrimSpace(string(out)), "cache", "download")
	if _, err := os.Stat(filepath.Join(download, "golang.org", "x", "sync", "@v", "list")); err != nil {
		t.Skip("golang.org/x/sync is not in the module cache")
	}
	dir := t.TempDir()
	gomod := "module example.com/modmod\n\ngo 1.24\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte("package p\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	src := "package p\n\nimport (\n\t\"testing\"\n\n\t\"golang.org/x/sync/errgroup\"\n)\n\nfunc TestX(t *testing.T) { var g errgroup.Group; _ = &g }\n"
	p, err := Build(context.Background(), BuildOptions{Dir: dir, Env: []string{
		"GOFLAGS=-mod=mod", "GOPROXY=file://" + filepath.ToSlash(download), "GOSUMDB=off", "GOWORK=off",
	}}, "x_test.go", []byte(src))
	if err == nil {
		p.Close()
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "go.mod")); string(b) != gomod {
		t.Errorf("go.mod changed:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.sum")); err == nil {
		t.Errorf("go.sum created")
	}
}

// TestRunCrash checks that a crash no recover catches (here the runtime's
// deadlock detector) comes back as a *CrashError located in the snippet;
// it used to be "the snippet's program ended unexpectedly (exit status 2)".
func TestRunCrash(t *testing.T) {
	p, err := buildSnippet(t, "", Snippet{Stmt: "x := 1\n_ = x\nselect {}"})
	if err != nil {
		t.Fatal(err)
	}
	tm, err := p.StartTimer(context.Background(), TimerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	_, err = tm.Run(1)
	var ce *CrashError
	if !errors.As(err, &ce) || ce.File != "stmt" || ce.Line != 3 {
		t.Errorf("Run of a deadlock: %v (%#v), want a *CrashError at stmt:3", err, ce)
	}
}

func TestParseCrash(t *testing.T) {
	tests := []struct{ report, want string }{
		{"", ""},
		{"\ngoroutine 1 [chan receive]:\nmain.main()\n\t/x/zz_test.go:68 +0x4de\n\ngoroutine 19 [select (no cases)]:\np._speedup_bench.func2(...)\n\tstmt:4\n",
			"stmt:4: fatal error (the snippet's program crashed; the Go runtime's report is above)"},
		{"panic: boom\n\ngoroutine 8 [running]:\np._speedup_bench.func1()\n\tsetup:2 +0x25\n",
			"setup:2: panic: boom (the snippet's program crashed; the Go runtime's report is above)"},
		{"panic: boom\n\ngoroutine 8 [running]:\nmain.f()\n\t/x/a.go:3 +0x25\n",
			"panic: boom (the snippet's program crashed; the Go runtime's report is above)"},
	}
	for _, tt := range tests {
		got := ""
		if ce := parseCrash(tt.report); ce != nil {
			got = ce.Error()
		}
		if got != tt.want {
			t.Errorf("parseCrash(%q) = %q, want %q", tt.report, got, tt.want)
		}
	}
}

// TestRunFailed checks the message of a run that testing discards after
// its loops (under --race, one that raced; here the harness's own b is
// failed by hand, which a race build would do): it used to blame
// runtime.Goexit, as for a run whose loops were cut short.
func TestRunFailed(t *testing.T) {
	p, err := buildSnippet(t, "", Snippet{Stmt: "_speedup_b.Fail()"})
	if err != nil {
		t.Fatal(err)
	}
	tm, err := p.StartTimer(context.Background(), TimerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	if _, err := tm.Run(2); err == nil || !strings.Contains(err.Error(), "failed after its loops were done (a data race found by --race?") {
		t.Errorf("Run of a failed benchmark: %v", err)
	}
}

// TestBuildCommandFiles builds a command from generated files alone, as a
// notebook kernel does, and runs it.
func TestBuildCommandFiles(t *testing.T) {
	src := []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from\", len(helper())) }\n")
	helper := []byte("package main\n\nfunc helper() string { return \"abc\" }\n")
	p, err := Build(context.Background(), BuildOptions{Mode: ModeCommand, Files: map[string][]byte{"main.go": src, "helper.go": helper}}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out, err := p.Command(context.Background()).Output()
	if err != nil || string(out) != "hello from 3\n" {
		t.Errorf("output %q, %v", out, err)
	}
	tmp := p.tmp
	p.Close()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("Close left %s", tmp)
	}
}

// TestCancelKillsGroup: cancelling the context kills the program and the
// processes it started.
func TestCancelKillsGroup(t *testing.T) {
	src := []byte(`package main

import (
	"fmt"
	"os/exec"
)

func main() {
	c := exec.Command("sleep", "60")
	c.Start()
	fmt.Println(c.Process.Pid)
	select {}
}
`)
	p, err := Build(context.Background(), BuildOptions{Mode: ModeCommand, Files: map[string][]byte{"main.go": src}}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := p.Command(ctx)
	if cmd.SysProcAttr == nil {
		t.Skip("standard input is a terminal: no process group")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Fscan(out, &pid); err != nil {
		t.Fatal(err)
	}
	cancel()
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		// Signal 0: does the grandchild still exist (as more than a zombie
		// that init will reap)?
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program's child %d survived the cancellation", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWorkspaceUntouched: in workspace mode the go command works on a
// copy of go.work (a go.work.sum appeared next to the user's), and nothing
// in the workspace changes.
func TestWorkspaceUntouched(t *testing.T) {
	ws := t.TempDir()
	mod := filepath.Join(ws, "mix")
	if err := os.MkdirAll(mod, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"go.mod", "mix.go"} {
		b, err := os.ReadFile(filepath.Join("testdata/mix", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(mod, f), b, 0o666)
	}
	os.WriteFile(filepath.Join(ws, "go.work"), []byte("go 1.24\n\nuse ./mix\n"), 0o666)
	list := func() []string {
		var out []string
		filepath.Walk(ws, func(p string, info os.FileInfo, err error) error {
			if err == nil {
				out = append(out, fmt.Sprintf("%s %d %v", p, info.Size(), info.ModTime()))
			}
			return nil
		})
		return out
	}
	before := list()
	t.Setenv("GOWORK", "")
	t.Chdir(ws)
	src, err := TimeitFile("mix", filepath.Join(mod, TimeitFileName), Snippet{Stmt: "Sink = Mix(10)\n_ = strings.ToUpper(\"x\")"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(context.Background(), BuildOptions{Dir: mod}, TimeitFileName, src)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !strings.Contains(strings.Join(p.env, " "), "GOWORK="+p.tmp) {
		t.Errorf("the build does not use a copy of go.work: %q", p.env)
	}
	if after := list(); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("the workspace changed:\n%s\nwas\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
}
