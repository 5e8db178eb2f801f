package lprun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/lineprof"
)

// wants reads the "// want N" annotations of a fixture file.
func wants(t *testing.T, path string) map[int]int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`// want (\d+)$`)
	w := map[int]int64{}
	for i, l := range strings.Split(string(b), "\n") {
		if m := re.FindStringSubmatch(l); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			w[i+1] = n
		}
	}
	return w
}

// hitsByLine flattens a profile's hits for one file.
func hitsByLine(p *lineprof.Profile, file string) map[int]int64 {
	h := map[int]int64{}
	for _, f := range p.Funcs {
		if f.File != file {
			continue
		}
		for _, l := range f.Lines {
			if l.Hits != 0 {
				h[l.Line] += l.Hits
			}
		}
	}
	return h
}

// TestHitsPerStatementKind checks every line of the fixture against its
// annotation: for/range/if/else/switch/case/select/goto/labels, defer and
// recover, early return, Goexit, panics, closures, multi-line statements,
// recursion, sleeps and goroutines.
func TestHitsPerStatementKind(t *testing.T) {
	dir, _ := filepath.Abs("testdata/kinds")
	file := filepath.Join(dir, "kinds.go")
	before, _ := os.ReadFile(file)
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Dir: dir, Pkgs: []string{"."}, Stmt: "Run()", MaxTime: 20 * time.Millisecond, Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Panic != nil {
		t.Fatalf("panic: %v", res.Panic)
	}
	if !strings.Contains(res.Profile.Method[0], "one run of the statement (instrumented build, ") {
		t.Errorf("header %q lacks the instrumented run's time", res.Profile.Method[0])
	}
	want := wants(t, file)
	got := hitsByLine(res.Profile, file)
	for l, w := range want {
		if got[l] != w {
			t.Errorf("kinds.go:%d: hits %d, want %d", l, got[l], w)
		}
	}
	for l, g := range got {
		if _, ok := want[l]; !ok {
			t.Errorf("kinds.go:%d: hits %d, want none", l, g)
		}
	}
	after, _ := os.ReadFile(file)
	if !bytes.Equal(before, after) {
		t.Errorf("kinds.go changed")
	}
}

// TestHitsEightGoroutinesRace runs a profiled function on 8 goroutines at
// once in a -race build: the counts must be exact and the counting code
// free of data races (the race detector makes the program fail).
func TestHitsEightGoroutinesRace(t *testing.T) {
	if testing.Short() {
		t.Skip("race build is slow")
	}
	dir, _ := filepath.Abs("testdata/kinds")
	file := filepath.Join(dir, "kinds.go")
	stmt := `var wg sync.WaitGroup
for range 8 {
	wg.Add(1)
	go func() { defer wg.Done(); Work(1000) }()
}
wg.Wait()`
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"Work"}, Stmt: stmt, Race: true, MaxTime: 20 * time.Millisecond, Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "DATA RACE") {
		t.Fatalf("data race:\n%s", out.String())
	}
	got := hitsByLine(res.Profile, file)
	var line int
	for _, f := range res.Profile.Funcs {
		line = f.Line
	}
	want := map[int]int64{line + 1: 8, line + 2: 8 * 1001, line + 3: 8 * 1000, line + 5: 8}
	for l, w := range want {
		if got[l] != w {
			t.Errorf("kinds.go:%d: hits %d, want %d", l, got[l], w)
		}
	}
}

// TestHitsAgreeWithCover cross-checks the hits of simple statements with
// "go test -covermode=count" on the same code. Cover counts a block each
// time it is entered, so it also counts statements after a panic or
// runtime.Goexit in the block, which never ran: the only disagreements
// allowed are such lines, where lprun must say 0.
func TestHitsAgreeWithCover(t *testing.T) {
	dir, _ := filepath.Abs("testdata/kinds")
	file := filepath.Join(dir, "kinds.go")
	blocks := coverBlocks(t, dir)
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Dir: dir, Pkgs: []string{"."}, Stmt: "Run()", MaxTime: 20 * time.Millisecond, Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := hitsByLine(res.Profile, file)
	checked := 0
	for _, p := range simpleStmts(t, file) {
		best := innermost(blocks, p)
		if best < 0 {
			continue
		}
		c := int64(blocks[best].count)
		switch {
		case got[p.Line] == c:
			checked++
		case got[p.Line] != 0:
			t.Errorf("kinds.go:%d: lprun %d hits, cover %d", p.Line, got[p.Line], c)
		}
	}
	t.Logf("%d statements cross-checked with cover", checked)
	if checked < 50 {
		t.Errorf("only %d statements cross-checked", checked)
	}
}

// coverBlock is a block of a cover profile.
type coverBlock struct{ l0, c0, l1, c1, count int }

// coverBlocks runs the package's tests in dir under "go test
// -covermode=count" and returns the profile's blocks.
func coverBlocks(t *testing.T, dir string) []coverBlock {
	cover := filepath.Join(t.TempDir(), "cover.out")
	cmd := exec.Command("go", "test", "-count=1", "-covermode=count", "-coverprofile="+cover, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test -cover: %v\n%s", err, out)
	}
	b, err := os.ReadFile(cover)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []coverBlock
	for _, l := range strings.Split(string(b), "\n")[1:] {
		var bl coverBlock
		var name string
		var n int
		l = strings.Replace(l, ":", " ", 1)
		if _, err := fmt.Sscanf(l, "%s %d.%d,%d.%d %d %d", &name, &bl.l0, &bl.c0, &bl.l1, &bl.c1, &n, &bl.count); err == nil {
			blocks = append(blocks, bl)
		}
	}
	if len(blocks) == 0 {
		t.Fatal("no cover blocks")
	}
	return blocks
}

// simpleStmts returns the positions of the simple statements of file in
// statement lists (not the init and post statements of headers), only
// the first one of each line, which is the one a line's hits count.
func simpleStmts(t *testing.T, file string) []token.Position {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var stmts []ast.Stmt
	firstOnLine := map[int]token.Pos{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch b := n.(type) {
		case *ast.BlockStmt:
			stmts = append(stmts, b.List...)
		case *ast.CaseClause:
			stmts = append(stmts, b.Body...)
		case *ast.CommClause:
			stmts = append(stmts, b.Body...)
		}
		if s, ok := n.(ast.Stmt); ok {
			l := fset.Position(s.Pos()).Line
			if p, ok := firstOnLine[l]; !ok || s.Pos() < p {
				firstOnLine[l] = s.Pos()
			}
		}
		return true
	})
	var out []token.Position
	for _, s := range stmts {
		switch s.(type) {
		case *ast.AssignStmt, *ast.ExprStmt, *ast.IncDecStmt, *ast.SendStmt, *ast.ReturnStmt:
			if p := fset.Position(s.Pos()); firstOnLine[p.Line] == s.Pos() {
				out = append(out, p)
			}
		}
	}
	return out
}

// innermost returns the index of the innermost cover block holding p, or
// -1.
func innermost(blocks []coverBlock, p token.Position) int {
	best := -1
	for i, bl := range blocks {
		in := (p.Line > bl.l0 || p.Line == bl.l0 && p.Column >= bl.c0) && (p.Line < bl.l1 || p.Line == bl.l1 && p.Column <= bl.c1)
		if in && (best < 0 || bl.l0 > blocks[best].l0 || bl.l0 == blocks[best].l0 && bl.c0 > blocks[best].c0) {
			best = i
		}
	}
	return best
}

// TestExactTime: --exact-time keeps the hits exact, shows sleeps on their
// lines, and never counts recursion twice: a recursive function's Total
// time cannot exceed the wall time of the single-goroutine run.
func TestExactTime(t *testing.T) {
	dir, _ := filepath.Abs("testdata/kinds")
	file := filepath.Join(dir, "kinds.go")
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Dir: dir, Pkgs: []string{"."}, Stmt: "Run()", ExactTime: true, Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := wants(t, file)
	got := hitsByLine(res.Profile, file)
	for l, w := range want {
		if got[l] != w {
			t.Errorf("kinds.go:%d: hits %d, want %d", l, got[l], w)
		}
	}
	for _, f := range res.Profile.Funcs {
		if f.Name != "sleeps" {
			continue
		}
		for _, l := range f.Lines {
			if l.Line == f.Line+1 && l.TimeNS < int64(time.Millisecond) {
				t.Errorf("time.Sleep(time.Millisecond) line took %d ns", l.TimeNS)
			}
		}
	}

	res, err = Run(context.Background(), Options{Dir: dir, Funcs: []string{"fib"}, Stmt: "_ = fib(18)", ExactTime: true})
	if err != nil {
		t.Fatal(err)
	}
	total := res.Profile.Funcs[0].TotalNS()
	if total <= 0 || total > res.InstrumentedNS {
		t.Errorf("fib's Total time %d ns, run %d ns: recursion counted twice?", total, res.InstrumentedNS)
	}
}

// TestRecursionSampled: the same bound for the sampled time.
func TestRecursionSampled(t *testing.T) {
	dir, _ := filepath.Abs("testdata/kinds")
	res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"fib"}, Stmt: "_ = fib(22)", MaxTime: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	total := res.Profile.Funcs[0].TotalNS()
	if total <= 0 || float64(total) > 1.1*float64(res.PlainNS) {
		t.Errorf("fib's Total time %d ns, mean run %d ns: recursion counted twice?", total, res.PlainNS)
	}
}

// TestUnresolvedSaysSo: a function that ran but in which no sample fell
// shows 0 time; the header must say that the 0 is below the resolution
// rather than present it with a confident error (it once said "Total time:
// 0 s" under "error about ±0.4%").
func TestUnresolvedSaysSo(t *testing.T) {
	dir, _ := filepath.Abs("testdata/kinds")
	// fib(1) takes nanoseconds of a millisecond-long run: no snapshot or
	// CPU sample can be expected to fall in it.
	res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"fib"}, Stmt: "_ = fib(1); time.Sleep(time.Millisecond)", MaxTime: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Profile.Funcs[0]
	header := strings.Join(res.Profile.Method, "\n")
	if f.TotalNS() == 0 && !strings.Contains(header, "No sample fell in fib") {
		t.Errorf("fib shows no time, and the header does not say it is unresolved:\n%s", header)
	}
	if f.TotalNS() > 0 && strings.Contains(header, "No sample fell in fib") {
		t.Errorf("fib has time %d ns, yet the header calls it unresolved:\n%s", f.TotalNS(), header)
	}
}

// TestHitsOnlyTheStatements: calls made before the statement runs (package
// init, the test framework) are not counted.
func TestHitsOnlyTheStatements(t *testing.T) {
	dir, _ := filepath.Abs("testdata/initcalls")
	file := filepath.Join(dir, "initcalls.go")
	for _, exact := range []bool{false, true} {
		res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"Twice"}, Stmt: "Twice()", MaxTime: 10 * time.Millisecond, ExactTime: exact})
		if err != nil {
			t.Fatal(err)
		}
		want := wants(t, file)
		got := hitsByLine(res.Profile, file)
		for l, w := range want {
			if got[l] != w {
				t.Errorf("exact-time %v: initcalls.go:%d: hits %d, want %d", exact, l, got[l], w)
			}
		}
	}
}

// TestBodylessFunction: a function declared without a body (assembly,
// linkname) is not "unknown": the error says why it cannot be profiled.
func TestBodylessFunction(t *testing.T) {
	dir, _ := filepath.Abs("testdata/bodyless")
	_, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"nanotime"}, Stmt: "Now()", MaxTime: 10 * time.Millisecond})
	var ie *InputError
	if err == nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), "has no Go body") {
		t.Errorf("got %v, want an input error saying nanotime has no Go body", err)
	}
}

// TestExactTimeSync: --exact-time cannot instrument package sync (its timing
// code imports sync); the error says so instead of a failed build.
func TestExactTimeSync(t *testing.T) {
	dir, _ := filepath.Abs("testdata/initcalls")
	_, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"sync.(*Mutex).Lock"}, Stmt: "var mu sync.Mutex; mu.Lock()", ExactTime: true})
	if err == nil || !strings.Contains(err.Error(), "cannot profile package sync with --exact-time") {
		t.Errorf("got %v", err)
	}
}

// TestSetupNotCounted: -s SETUP runs before the statement in each run,
// outside the hits and outside the time; its variables are the
// statement's.
func TestSetupNotCounted(t *testing.T) {
	dir, _ := filepath.Abs("testdata/kinds")
	file := filepath.Join(dir, "kinds.go")
	res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"Work"}, Setup: "n := Work(500) / 500", Stmt: "Work(n)", MaxTime: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	line := res.Profile.Funcs[0].Line
	got := hitsByLine(res.Profile, file)
	// n is 249: the statement's call alone is counted.
	want := map[int]int64{line + 1: 1, line + 2: 250, line + 3: 249, line + 5: 1}
	for l, w := range want {
		if got[l] != w {
			t.Errorf("kinds.go:%d: hits %d, want %d", l, got[l], w)
		}
	}
	// A setup that returns is rejected like a statement that does.
	if _, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"Work"}, Setup: "return", Stmt: "Work(1)"}); err == nil || !strings.Contains(err.Error(), "setup:1:1: return is not allowed") {
		t.Errorf("setup with return: %v", err)
	}
}

// TestStmtRejected: a statement is parsed as a block on its own before
// anything is built: code escaping into the file's top level, and a
// return, are errors at their place in the statement.
func TestStmtRejected(t *testing.T) {
	dir, _ := filepath.Abs("testdata/kinds")
	for stmt, want := range map[string]string{
		"} ; func _() {":  "stmt:1:1: syntax error: unexpected }, no matching {",
		"Work(1)\nreturn": "stmt:2:1: return is not allowed",
	} {
		_, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"Work"}, Stmt: stmt})
		var ce *gorun.CompileError
		if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: %v, want a compile error %q", stmt, err, want)
		}
	}
}

// TestNoTempLeft: every temporary directory is removed, after a profile
// and after each kind of failure.
func TestNoTempLeft(t *testing.T) {
	dir, _ := filepath.Abs("testdata/kinds")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, stmt := range []string{"Work(10)", "Work(undefinedVar)", "panic(1)", "os.Exit(3)"} {
		Run(context.Background(), Options{Dir: dir, Funcs: []string{"Work"}, Stmt: stmt, MaxTime: 10 * time.Millisecond})
		ents, _ := os.ReadDir(tmp)
		for _, e := range ents {
			t.Errorf("%q left %s", stmt, e.Name())
		}
	}
}

// TestTempModuleHint: without -C, a statement naming what only a package
// has gets the same hint as under timeit.
func TestTempModuleHint(t *testing.T) {
	_, err := Run(context.Background(), Options{Funcs: []string{"strings.Fields"}, Stmt: "strings.Fields(distance())"})
	if err == nil || !strings.Contains(err.Error(), "undefined: distance (without -C, statements run outside any package; use -C DIR") {
		t.Errorf("error %v, want the -C hint", err)
	}
}

// TestWorkspaceUntouched: in workspace mode, nothing appears or changes in
// the workspace (go list and the builds use a copy of go.work; a
// go.work.sum appeared next to the user's).
func TestWorkspaceUntouched(t *testing.T) {
	ws := t.TempDir()
	mod := filepath.Join(ws, "kinds")
	os.MkdirAll(mod, 0o777)
	for _, f := range []string{"go.mod", "kinds.go"} {
		b, err := os.ReadFile(filepath.Join("testdata/kinds", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(mod, f), b, 0o666)
	}
	os.WriteFile(filepath.Join(ws, "go.work"), []byte("go 1.24\n\nuse ./kinds\n"), 0o666)
	list := func() string {
		var out []string
		filepath.Walk(ws, func(p string, info os.FileInfo, err error) error {
			if err == nil {
				out = append(out, fmt.Sprintf("%s %d %v", p, info.Size(), info.ModTime()))
			}
			return nil
		})
		return strings.Join(out, "\n")
	}
	t.Setenv("GOWORK", "")
	t.Chdir(ws)
	// A go command error keeps the fix it proposes, on its one line.
	_, err := Run(context.Background(), Options{Dir: mod, Funcs: []string{"strings.Fields"}, Stmt: "Work(3)"})
	if err == nil || !strings.Contains(err.Error(), "go.work lists go 1.24; to update it: go work use") {
		t.Errorf("error %v lacks the go command's fix", err)
	}
	os.WriteFile(filepath.Join(ws, "go.work"), []byte("go 1.26\n\nuse ./kinds\n"), 0o666)
	before := list()
	if _, err := Run(context.Background(), Options{Dir: mod, Funcs: []string{"Work", "strings.Fields"}, Stmt: "Work(3); strings.Fields(\"a b\")", MaxTime: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if after := list(); after != before {
		t.Errorf("the workspace changed:\n%s\nwas\n%s", after, before)
	}
}
