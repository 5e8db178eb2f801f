package kernel

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/tools/imports"

	"github.com/gospeedup/speedup/internal/gorun"
)

// Options configure a Session.
type Options struct {
	// Dir is the package the cells run in (-C): its unexported names are
	// visible and cell declarations join it. Empty means a module of the
	// session's own, which can import the packages of the module around
	// WorkDir.
	Dir string
	// WorkDir is where the kernel was started (the notebook's directory).
	WorkDir string
}

// Session is the Engine behind "speedup kernel": the cells' declarations
// and history, and the programs that run them.
type Session struct {
	opts    Options
	tmp     string // removed by Close
	pkgDir  string // where cell programs are built
	pkgName string
	own     bool // pkgDir is the session's own module
	env     []string

	mu       sync.Mutex
	decls    *DeclMap
	cells    map[int]*Cell // cells holding committed declarations
	imports  map[string]bool
	history  []*Cell // statement cells that ran, in order
	nextID   int
	names    map[string]bool
	genCache map[[32]byte]string
	// running is the cell program running now; Close kills it without
	// waiting for mu, which the running cell holds.
	running atomic.Pointer[exec.Cmd]
	// varTypes are the dynamic types of the variables (%T), as the last
	// cell that declared each reported them; lastTypes the running cell's.
	varTypes, lastTypes map[string]string
	// resolved maps package names to the import paths goimports chose.
	resolved map[string]string
	// checker type-checks the cells for completion; it keeps imported
	// packages' types for the session.
	checker *typeChecker
}

// NewSession prepares a session: the package to build in, a temporary
// directory for everything else.
func NewSession(o Options) (*Session, error) {
	tmp, err := os.MkdirTemp("", "speedup-kernel-")
	if err != nil {
		return nil, err
	}
	s := &Session{opts: o, tmp: tmp, decls: NewDeclMap(), cells: map[int]*Cell{}, imports: map[string]bool{},
		names: map[string]bool{}, genCache: map[[32]byte]string{}, varTypes: map[string]string{}, resolved: map[string]string{}}
	if o.Dir != "" {
		pkg, err := gorun.ResolvePackage(o.Dir, "")
		if err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		s.pkgDir, s.pkgName = pkg.Dir, pkg.Name
		return s, nil
	}
	s.own = true
	s.pkgDir = filepath.Join(tmp, "cells")
	s.pkgName = gorun.TempPackage
	s.env = []string{"GOWORK=off"}
	if err := os.Mkdir(s.pkgDir, 0o777); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := s.writeModule(); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return s, nil
}

// writeModule writes the session module's go.mod. When the kernel was
// started inside a module (a notebook in a repository), that module is
// required and replaced by its directory, so that cells can import its
// packages; its requirements and go.sum are copied so that builds need no
// network.
func (s *Session) writeModule() error {
	gv := goVersion()
	if i := strings.IndexFunc(gv, func(r rune) bool { return !(r == '.' || r >= '0' && r <= '9') }); i >= 0 {
		gv = gv[:i]
	}
	if gv == "" {
		gv = "1.24"
	}
	var mod strings.Builder
	fmt.Fprintf(&mod, "module %s\n\ngo %s\n", gorun.TempPackage, gv)
	root := findModuleRoot(s.opts.WorkDir)
	if root != "" {
		gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
		if err == nil {
			if path, reqs, repl := parseGoMod(string(gomod), root); path != "" && path != gorun.TempPackage {
				fmt.Fprintf(&mod, "\nrequire %s v0.0.0-00010101000000-000000000000\n", path)
				for _, r := range reqs {
					fmt.Fprintf(&mod, "require %s\n", r)
				}
				fmt.Fprintf(&mod, "\nreplace %s => %s\n", path, root)
				for _, r := range repl {
					fmt.Fprintf(&mod, "replace %s\n", r)
				}
				if sum, err := os.ReadFile(filepath.Join(root, "go.sum")); err == nil {
					if err := os.WriteFile(filepath.Join(s.pkgDir, "go.sum"), sum, 0o666); err != nil {
						return err
					}
				}
			}
		}
	}
	if err := os.WriteFile(filepath.Join(s.pkgDir, "go.mod"), []byte(mod.String()), 0o666); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.pkgDir, "doc.go"), []byte("package "+gorun.TempPackage+"\n"), 0o666)
}

func findModuleRoot(dir string) string {
	if dir == "" {
		return ""
	}
	dir, _ = filepath.Abs(dir)
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// parseGoMod returns a go.mod's module path, its requirements ("path
// version") and its replacements with local paths made absolute.
func parseGoMod(src, root string) (path string, reqs, repl []string) {
	block := ""
	for _, line := range strings.Split(src, "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case line == ")":
			block = ""
			continue
		case strings.HasSuffix(line, "("):
			block = strings.TrimSpace(strings.TrimSuffix(line, "("))
			continue
		}
		kw, rest := block, line
		if block == "" {
			f := strings.Fields(line)
			kw, rest = f[0], strings.TrimSpace(strings.TrimPrefix(line, f[0]))
		}
		switch kw {
		case "module":
			path = strings.Trim(rest, "\"")
		case "require":
			reqs = append(reqs, rest)
		case "replace":
			if i := strings.Index(rest, "=>"); i >= 0 {
				target := strings.TrimSpace(rest[i+2:])
				if strings.HasPrefix(target, ".") {
					target = filepath.Join(root, target)
				}
				repl = append(repl, strings.TrimSpace(rest[:i])+" => "+target)
			}
		}
	}
	return path, reqs, repl
}

// Close kills a running cell and removes the session's files.
func (s *Session) Close() error {
	if cmd := s.running.Load(); cmd != nil && cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return os.RemoveAll(s.tmp)
}

// cellName returns the name cells are known by in errors: cellN, N being
// the execution count, made unique for silent executions.
func (s *Session) cellName(count int) string {
	name := fmt.Sprintf("cell%d", count)
	for k := 2; s.names[name]; k++ {
		name = fmt.Sprintf("cell%d_%d", count, k)
	}
	s.names[name] = true
	return name
}

// Execute runs one cell.
func (s *Session) Execute(ctx context.Context, code string, count int, out Output) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	trimmed := strings.TrimSpace(code)
	if trimmed == "" {
		return nil, nil
	}
	if strings.HasPrefix(trimmed, "%%") {
		return s.cellMagic(ctx, trimmed, out)
	}
	if isMagicOnly(trimmed) {
		var last map[string]any
		for _, line := range strings.Split(trimmed, "\n") {
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			v, err := s.lineMagic(ctx, line, out)
			if err != nil {
				return nil, err
			}
			last = v
		}
		return last, nil
	}
	if line, ok := magicInCode(code); ok {
		return nil, &CellError{Name: "UsageError", Value: fmt.Sprintf("line %d: a magic (%s) must be in a cell of magics only; for a sweep use %%timeit --param", line, strings.Fields(strings.TrimSpace(strings.Split(code, "\n")[line-1]))[0])}
	}
	s.nextID++
	c, err := ParseCell(s.nextID, code)
	if err != nil {
		return nil, renameErr(err, fmt.Sprintf("cell%d", s.nextID), s.peekName(count))
	}
	c.Name = s.cellName(count)
	return s.run(ctx, c, out)
}

func (s *Session) peekName(count int) string {
	name := fmt.Sprintf("cell%d", count)
	for k := 2; s.names[name]; k++ {
		name = fmt.Sprintf("cell%d_%d", count, k)
	}
	return name
}

func renameErr(err error, from, to string) error {
	var ce *CellError
	if errors.As(err, &ce) {
		ce.Value = strings.Replace(ce.Value, from+":", to+":", 1)
	}
	return err
}

// isMagicOnly reports whether every non-blank line is a line magic.
func isMagicOnly(code string) bool {
	for _, line := range strings.Split(code, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "%") {
			return false
		}
	}
	return true
}

// magicInCode finds a line starting with % among Go code.
func magicInCode(code string) (int, bool) {
	for i, line := range strings.Split(code, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "%") && len(t) > 1 && (t[1] >= 'a' && t[1] <= 'z' || t[1] == '%') {
			return i + 1, true
		}
	}
	return 0, false
}

// declFiles returns the generated files holding the declarations of dm:
// one per cell, the cell's text with everything but its surviving
// declarations blanked, after a //line directive so that errors and stack
// traces name the cell's lines.
func (s *Session) declFiles(dm *DeclMap, extra map[int]*Cell) (map[string][]byte, error) {
	files := map[string][]byte{}
	imps := s.importList(extra)
	for id, ds := range dm.Cells() {
		c := s.cells[id]
		if c == nil {
			c = extra[id]
		}
		if c == nil {
			continue
		}
		body := blank(c.Src, func(off int) bool {
			for _, d := range ds {
				if off >= d.Start && off < d.End && !strings.HasPrefix(d.Key, "import:") {
					return true
				}
			}
			return false
		})
		if strings.TrimSpace(body) == "" {
			continue
		}
		path := filepath.Join(s.pkgDir, fmt.Sprintf("zz_speedup_cell%d.go", id))
		src, err := s.genFile(path, "", "//line "+c.Name+":1:1\n"+body, imps)
		if err != nil {
			return nil, err
		}
		files[path] = []byte(src)
	}
	return files, nil
}

// importList returns the import specs the cells declared, for goimports
// to keep where used.
func (s *Session) importList(extra map[int]*Cell) []string {
	set := map[string]bool{}
	for k := range s.imports {
		set[k] = true
	}
	for _, c := range extra {
		for _, d := range c.Decls {
			if strings.HasPrefix(d.Key, "import:") {
				set[strings.TrimPrefix(d.Key, "import:")] = true
			}
		}
	}
	var out []string
	for k := range set {
		if name, path, ok := strings.Cut(k, " "); ok {
			out = append(out, name+" "+strconv.Quote(path))
		} else {
			out = append(out, strconv.Quote(k))
		}
	}
	sort.Strings(out)
	return out
}

// genFile returns a Go file of the session's package made of header
// imports (fixed, named ones), the imports body needs (goimports: the
// cells' own imports where used, standard and module packages where
// missing) and body, byte for byte.
func (s *Session) genFile(path, fixedImports, body string, cellImports []string) (string, error) {
	var head strings.Builder
	fmt.Fprintf(&head, "package %s\n\n", s.pkgName)
	if len(cellImports) > 0 {
		head.WriteString("import (\n")
		for _, im := range cellImports {
			head.WriteString("\t" + im + "\n")
		}
		head.WriteString(")\n")
	}
	src0 := head.String() + fixedImports + body
	key := sha256.Sum256([]byte(path + "\x00" + src0))
	if v, ok := s.genCache[key]; ok {
		return v, nil
	}
	fixed, err := imports.Process(path, []byte(src0), &imports.Options{Comments: true, TabIndent: true, TabWidth: 8, FormatOnly: false})
	if err != nil {
		// A syntax error the cell parser let through: let the compiler
		// say where.
		fixed = []byte(src0)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", fixed, parser.ImportsOnly)
	var want []string
	if err == nil {
		for _, im := range f.Imports {
			if p, err := strconv.Unquote(im.Path.Value); err == nil && im.Name == nil {
				s.resolved[gorun.ImportName(p)] = p // what goimports chose, for completion
			}
			spec := im.Path.Value
			if im.Name != nil {
				if strings.HasPrefix(im.Name.Name, "_speedup_") {
					continue
				}
				spec = im.Name.Name + " " + spec
			}
			want = append(want, spec)
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "package %s\n\n", s.pkgName)
	if len(want) > 0 {
		out.WriteString("import (\n")
		for _, w := range want {
			out.WriteString("\t" + w + "\n")
		}
		out.WriteString(")\n")
	}
	out.WriteString(fixedImports + body)
	s.genCache[key] = out.String()
	return out.String(), nil
}

// stripFlags are go command flags for every cell program, through GOFLAGS
// (gorun already builds without vet): no symbol table and no DWARF make
// the link much faster, and panics keep their positions (the line table
// is not DWARF).
const stripFlags = `"-ldflags=-s -w"`

// buildOptions returns the build options for a program of the session,
// with the declaration files in the overlay.
func (s *Session) buildOptions(files map[string][]byte) gorun.BuildOptions {
	env := append([]string(nil), s.env...)
	env = append(env, "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" "+stripFlags))
	return gorun.BuildOptions{Dir: s.pkgDir, Overlay: files, Env: env}
}

// run builds and runs a code cell.
func (s *Session) run(ctx context.Context, c *Cell, out Output) (map[string]any, error) {
	dm := s.decls.Clone()
	dm.Add(c)
	files, err := s.declFiles(dm, map[int]*Cell{c.N: c})
	if err != nil {
		return nil, err
	}
	reruns := Rerun(s.history, c)
	show := c.LastExpr != nil && s.mayHaveValue(c, dm)
	var prog *gorun.Program
	t0 := time.Now()
	for {
		src, err := s.cellProgram(c, reruns, show)
		t1 := time.Now()
		if err != nil {
			return nil, err
		}
		prog, err = gorun.Build(ctx, s.buildOptions(files), cellFileName, []byte(src))
		trace("%s: generate %v, build %v", c.Name, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
		if err != nil {
			var ce *gorun.CompileError
			if show && errors.As(err, &ce) && strings.Contains(ce.Msg, "used as value") {
				show = false // a call without a result: nothing to show
				continue
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, compileError(err)
		}
		break
	}
	defer prog.Close()
	// The cell compiled: its declarations are committed, as a Python
	// cell's def holds even when a later line of the cell raises.
	s.decls = dm
	if len(c.Decls) > 0 {
		s.cells[c.N] = c
		for _, d := range c.Decls {
			if strings.HasPrefix(d.Key, "import:") {
				s.imports[strings.TrimPrefix(d.Key, "import:")] = true
			}
		}
	}
	t2 := time.Now()
	value, err := s.runProgram(ctx, prog, out)
	trace("%s: run %v", c.Name, time.Since(t2).Round(time.Millisecond))
	if err != nil {
		return nil, err
	}
	// Its statements ran to the end: later cells may need them again.
	if c.HasStmts() {
		s.history = append(s.history, c)
	}
	for name, typ := range s.lastTypes {
		s.varTypes[name] = typ
	}
	return value, nil
}

// mayHaveValue rules out final expressions known to have no value: calls
// of builtins without one and of cell functions without results.
func (s *Session) mayHaveValue(c *Cell, dm *DeclMap) bool {
	src := strings.TrimSpace(c.Src[c.LastStart:c.LastEnd])
	for _, b := range []string{"panic(", "print(", "println(", "close(", "delete(", "clear("} {
		if strings.HasPrefix(src, b) {
			return false
		}
	}
	if i := strings.IndexByte(src, '('); i > 0 && token.IsIdentifier(src[:i]) {
		if d := dm.Get(src[:i]); d != nil && d.Func != nil && d.Func.Type.Results == nil {
			return false
		}
	}
	return true
}

func compileError(err error) error {
	var ce *gorun.CompileError
	if errors.As(err, &ce) {
		msg := ce.Error()
		tb := []string{msg}
		for _, d := range ce.Detail {
			tb = append(tb, "\t"+d)
		}
		return &CellError{Name: "CompileError", Value: msg, Traceback: tb}
	}
	return &CellError{Name: "BuildError", Value: err.Error()}
}

// cellFileName is the generated test file holding a cell's function.
const cellFileName = "zz_speedup_kernel_test.go"

// cellProgram returns the test file that runs the earlier cells in reruns
// (quietly) and then c, each in a block nested in the previous one, so
// that a cell's variables shadow those of the cells before it, as a new
// assignment does in Python.
func (s *Session) cellProgram(c *Cell, reruns []*Cell, show bool) (string, error) {
	var body strings.Builder
	body.WriteString("func _speedup_cell() {\n\tdefer _speedup_recover()\n\t_speedup_quiet(true)\n")
	for _, r := range reruns {
		b, err := gorun.Block(r.Name, r.Stmts)
		if err != nil {
			return "", compileError(err)
		}
		body.WriteString("{\n" + b)
	}
	body.WriteString("_speedup_quiet(false)\n")
	if c.HasStmts() {
		stmts := c.Stmts
		if show {
			pos := lineCol(c.Src, c.LastStart)
			stmts = stmts[:c.LastStart] + fmt.Sprintf("_speedup_show(/*line %s:%d:%d*/", c.Name, pos.Line, pos.Column) + stmts[c.LastStart:c.LastEnd] + ")" + stmts[c.LastEnd:]
		}
		b, err := gorun.Block(c.Name, stmts)
		if err != nil {
			return "", compileError(err)
		}
		// The types of the cell's variables, for completion and
		// inspection.
		var kv []string
		for _, v := range c.Defines {
			kv = append(kv, strconv.Quote(v), v)
		}
		if len(kv) > 0 {
			b += "_speedup_types(" + strings.Join(kv, ", ") + ")\n"
		}
		body.WriteString("{\n" + b + "}\n")
	}
	body.WriteString(strings.Repeat("}\n", len(reruns)))
	body.WriteString("}\n")
	path := filepath.Join(s.pkgDir, cellFileName)
	return s.genFile(path, harnessImports, harnessCode+body.String(), s.importList(map[int]*Cell{c.N: c}))
}

func lineCol(src string, off int) token.Position {
	line := strings.Count(src[:off], "\n") + 1
	col := off - strings.LastIndex(src[:off], "\n")
	return token.Position{Line: line, Column: col}
}

const harnessImports = `import (
	_speedup_json "encoding/json"
	_speedup_fmt "fmt"
	_speedup_io "io"
	_speedup_log "log"
	_speedup_os "os"
	_speedup_runtime "runtime"
	_speedup_debug "runtime/debug"
	_speedup_strings "strings"
	_speedup_syscall "syscall"
	_speedup_testing "testing"
)
`

// harnessCode is the cell program's runtime. It talks to the kernel over
// a Unix socket named by SPEEDUP_KERNEL_CHANNEL (JSON lines): the value
// of the final expression, a panic, and "done" at the end. Standard
// output and error are the cell's streams.
const harnessCode = `
// Code generated by speedup kernel. DO NOT EDIT.

var _speedup_conn *_speedup_os.File

func TestMain(_speedup_m *_speedup_testing.M) {
	if p := _speedup_os.Getenv("SPEEDUP_KERNEL_CHANNEL"); p != "" {
		// A blocking socket outside the network poller: with the poller
		// in use, the runtime would not detect a deadlocked cell.
		fd, err := _speedup_syscall.Socket(_speedup_syscall.AF_UNIX, _speedup_syscall.SOCK_STREAM, 0)
		if err == nil && _speedup_syscall.Connect(fd, &_speedup_syscall.SockaddrUnix{Name: p}) == nil {
			_speedup_syscall.CloseOnExec(fd)
			_speedup_conn = _speedup_os.NewFile(uintptr(fd), "speedup-kernel")
		}
	}
	_speedup_cell()
	_speedup_send(map[string]any{"type": "done"})
	_speedup_os.Exit(0)
}

func _speedup_send(v any) {
	if _speedup_conn == nil {
		return
	}
	b, _ := _speedup_json.Marshal(v)
	_speedup_conn.Write(append(b, '\n'))
}

var _speedup_stdout, _speedup_stderr = _speedup_os.Stdout, _speedup_os.Stderr

// _speedup_quiet silences the earlier cells run again for their state.
func _speedup_quiet(on bool) {
	if on {
		null, _ := _speedup_os.Open(_speedup_os.DevNull)
		_speedup_os.Stdout, _speedup_os.Stderr = null, null
		_speedup_log.SetOutput(_speedup_io.Discard)
		return
	}
	_speedup_os.Stdout, _speedup_os.Stderr = _speedup_stdout, _speedup_stderr
	_speedup_log.SetOutput(_speedup_stderr)
}

func _speedup_show(v ...any) {
	if len(v) != 1 {
		return
	}
	var text string
	switch x := v[0].(type) {
	case string:
		text = _speedup_fmt.Sprintf("%q", x)
	case _speedup_fmt.Stringer, error:
		text = _speedup_fmt.Sprint(x)
	default:
		text = _speedup_fmt.Sprintf("%v", x)
	}
	_speedup_send(map[string]any{"type": "result", "text": text})
}

func _speedup_types(kv ...any) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[_speedup_fmt.Sprint(kv[i])] = _speedup_fmt.Sprintf("%T", kv[i+1])
	}
	_speedup_send(map[string]any{"type": "types", "types": m})
}

func _speedup_recover() {
	v := recover()
	if v == nil {
		return
	}
	_speedup_quiet(false)
	msg := _speedup_fmt.Sprint(v)
	if err, ok := v.(error); ok {
		msg = err.Error()
	}
	file, line := "", 0
	pcs := make([]uintptr, 64)
	frames := _speedup_runtime.CallersFrames(pcs[:_speedup_runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if !_speedup_strings.ContainsAny(f.File, "/\\") && _speedup_strings.HasPrefix(f.File, "cell") {
			file, line = f.File, f.Line
			break
		}
		if !more {
			break
		}
	}
	_speedup_send(map[string]any{"type": "panic", "value": msg, "file": file, "line": line, "stack": string(_speedup_debug.Stack())})
	_speedup_os.Exit(3)
}

`

// channelMsg is a message of a cell program or of package display.
type channelMsg struct {
	Type string `json:"type"`
	// result
	Text string `json:"text"`
	// panic
	Value string `json:"value"`
	File  string `json:"file"`
	Line  int    `json:"line"`
	Stack string `json:"stack"`
	// types
	Types map[string]string `json:"types"`
	// display
	Data     map[string]any `json:"data"`
	Metadata map[string]any `json:"metadata"`
	ID       string         `json:"id"`
	Update   bool           `json:"update"`
}

// channel is the side channel of one program run: a Unix socket the
// program (and package display in it) connects to.
type channel struct {
	path  string
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	msgs  []channelMsg
	out   Output
	conns []net.Conn
	// accepting is closed when the goroutine accepting connections ends.
	accepting chan struct{}
}

func (s *Session) newChannel(out Output) (*channel, error) {
	path := filepath.Join(s.tmp, fmt.Sprintf("ch%d.sock", time.Now().UnixNano()%1e9))
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	ch := &channel{path: path, ln: ln, out: out, accepting: make(chan struct{})}
	go func() {
		defer close(ch.accepting)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			ch.serve(conn)
		}
	}()
	return ch, nil
}

// serve reads a connection's messages until it ends.
func (ch *channel) serve(conn net.Conn) {
	ch.mu.Lock()
	ch.conns = append(ch.conns, conn)
	ch.mu.Unlock()
	ch.wg.Add(1)
	go ch.read(conn)
}

// drain serves the connections still waiting in the listener's backlog.
// A program connects first thing, and may end before the accepting
// goroutine has run (a loaded machine): its messages (the cell's value,
// its "done") wait in a connection that closing the listener would drop.
// The listener's socket is non-blocking: accept returns EAGAIN when no
// connection is left.
func (ch *channel) drain() {
	ul, ok := ch.ln.(*net.UnixListener)
	if !ok {
		return
	}
	rc, err := ul.SyscallConn()
	if err != nil {
		return
	}
	for {
		nfd := -1
		rc.Control(func(fd uintptr) {
			// As the net package accepts where accept4 is missing: no
			// fork between the accept and close-on-exec.
			syscall.ForkLock.RLock()
			if n, _, err := syscall.Accept(int(fd)); err == nil {
				syscall.CloseOnExec(n)
				nfd = n
			}
			syscall.ForkLock.RUnlock()
		})
		if nfd < 0 {
			return
		}
		f := os.NewFile(uintptr(nfd), "speedup-kernel-channel")
		conn, err := net.FileConn(f)
		f.Close()
		if err == nil {
			ch.serve(conn)
		}
	}
}

func (ch *channel) read(conn net.Conn) {
	defer ch.wg.Done()
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var m channelMsg
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		if m.Type == "display" {
			if ch.out != nil && m.Data != nil {
				ch.out.Display(m.Data, m.Metadata, m.ID, m.Update)
			}
			continue
		}
		ch.mu.Lock()
		ch.msgs = append(ch.msgs, m)
		ch.mu.Unlock()
	}
}

// close stops accepting and waits (a little) for the connections to end.
func (ch *channel) close() []channelMsg {
	ch.drain()
	ch.ln.Close()
	<-ch.accepting // no connection is served after this
	done := make(chan struct{})
	go func() { ch.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		ch.mu.Lock()
		for _, c := range ch.conns {
			c.Close()
		}
		ch.mu.Unlock()
		<-done
	}
	os.Remove(ch.path)
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.msgs
}

// streamWriter forwards a program's output as stream messages, coalescing
// the writes of 30 ms.
type streamWriter struct {
	name string
	out  Output
	mu   sync.Mutex
	buf  bytes.Buffer
	tail []byte // the last 64 KiB, to find a crash report in
	t    *time.Timer
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.tail = append(w.tail, p...)
	if len(w.tail) > 64<<10 {
		w.tail = w.tail[len(w.tail)-64<<10:]
	}
	if w.t == nil {
		w.t = time.AfterFunc(30*time.Millisecond, w.Flush)
	}
	return len(p), nil
}

func (w *streamWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.t != nil {
		w.t.Stop()
		w.t = nil
	}
	if w.buf.Len() > 0 && w.out != nil {
		w.out.Stream(w.name, strings.ToValidUTF8(w.buf.String(), "\uFFFD"))
	}
	w.buf.Reset()
}

// interruptGrace is how long an interrupted cell has between SIGINT and
// SIGKILL.
const interruptGrace = time.Second

// startGroup starts cmd in a process group of its own, to be interrupted
// with SIGINT and then killed as a group, and killed with the kernel.
func startGroup(ctx context.Context, cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error {
		pid := cmd.Process.Pid
		syscall.Kill(-pid, syscall.SIGINT)
		go func() {
			time.Sleep(interruptGrace)
			syscall.Kill(-pid, syscall.SIGKILL)
		}()
		return nil
	}
	cmd.WaitDelay = interruptGrace + time.Second
	return cmd.Start()
}

// runProgram runs a built cell program and turns its end into the cell's
// value or error.
func (s *Session) runProgram(ctx context.Context, prog *gorun.Program, out Output) (map[string]any, error) {
	s.lastTypes = nil
	ch, err := s.newChannel(out)
	if err != nil {
		return nil, err
	}
	stdout := &streamWriter{name: "stdout", out: out}
	stderr := &streamWriter{name: "stderr", out: out}
	cmd := prog.Command(ctx)
	cmd.Env = append(cmd.Env, "SPEEDUP_KERNEL_CHANNEL="+ch.path, "SPEEDUP_DISPLAY="+ch.path)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := startGroup(ctx, cmd); err != nil {
		ch.close()
		return nil, err
	}
	s.running.Store(cmd)
	waitErr := cmd.Wait()
	s.running.Store(nil)
	// Whatever the cell started in its group goes with it.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	msgs := ch.close()
	stdout.Flush()
	stderr.Flush()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var value map[string]any
	done := false
	for _, m := range msgs {
		switch m.Type {
		case "result":
			value = map[string]any{"text/plain": m.Text}
		case "types":
			s.lastTypes = m.Types
		case "done":
			done = true
		case "panic":
			return nil, panicError(m)
		}
	}
	if done {
		return value, nil
	}
	code := -1
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		code = ee.ExitCode()
	}
	if ce := crashError(string(stderr.tail)); ce != nil && code == 2 {
		return nil, ce
	}
	switch {
	case waitErr == nil:
		return value, nil // os.Exit(0): the cell ended early, normally
	case code > 0:
		return nil, &CellError{Name: "Exit", Value: fmt.Sprintf("the cell called os.Exit(%d)", code)}
	}
	return nil, &CellError{Name: "Killed", Value: fmt.Sprintf("the cell's program ended unexpectedly (%v)", waitErr)}
}

var frameRE = regexp.MustCompile(`^\t(cell[0-9_]+):(\d+)`)

// panicError is one Jupyter error for a panic: the position in a cell and
// the cells' frames of the stack.
func panicError(m channelMsg) error {
	where := ""
	if m.File != "" {
		where = fmt.Sprintf("%s:%d: ", m.File, m.Line)
	}
	v := where + m.Value
	tb := []string{"panic: " + v, ""}
	tb = append(tb, cellFrames(m.Stack)...)
	return &CellError{Name: "panic", Value: v, Traceback: tb}
}

// cellFrames keeps the frames of a stack that are in cells.
func cellFrames(stack string) []string {
	lines := strings.Split(stack, "\n")
	var out []string
	for i := 1; i < len(lines); i++ {
		if frameRE.MatchString(lines[i]) {
			fn := lines[i-1]
			if j := strings.LastIndex(fn, "("); j > 0 {
				fn = fn[:j]
			}
			// A cell's function is in the session's package (its own
			// module's, or the -C package): its name is enough.
			fn = fn[strings.LastIndex(fn, "/")+1:]
			if _, name, ok := strings.Cut(fn, "."); ok {
				fn = name
			}
			loc := strings.TrimSpace(lines[i])
			if j := strings.Index(loc, " +0x"); j > 0 {
				loc = loc[:j]
			}
			out = append(out, fmt.Sprintf("  %s at %s", fn, loc))
		}
	}
	return out
}

// crashError reads the runtime's report of a crash (a panic on another
// goroutine, a deadlock, running out of memory) from the end of standard
// error.
func crashError(tail string) error {
	msg := ""
	for _, line := range strings.Split(tail, "\n") {
		if strings.HasPrefix(line, "fatal error: ") || strings.HasPrefix(line, "panic: ") {
			msg = line
			break
		}
	}
	if msg == "" {
		return nil
	}
	where := ""
	for _, line := range strings.Split(tail, "\n") {
		if m := frameRE.FindStringSubmatch(line); m != nil {
			where = m[1] + ":" + m[2] + ": "
			break
		}
	}
	name, val, _ := strings.Cut(msg, ": ")
	return &CellError{Name: name, Value: where + val, Traceback: append([]string{where + msg + " (the Go runtime's report is above)", ""}, cellFrames(tail)...)}
}

// IsComplete implements Engine.
func (s *Session) IsComplete(code string) (string, string) { return IsComplete(code) }

// traceOn makes the kernel log the time of each step of a cell on its
// standard error (SPEEDUP_KERNEL_TRACE=1), which Jupyter shows in its log.
var traceOn = os.Getenv("SPEEDUP_KERNEL_TRACE") == "1"

func trace(format string, args ...any) {
	if traceOn {
		fmt.Fprintf(os.Stderr, "speedup kernel: "+format+"\n", args...)
	}
}
