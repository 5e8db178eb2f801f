package kernel

import (
	"bytes"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gospeedup/speedup/internal/gorun"
)

// Completion and inspection need no gopls: names come from the session's
// declarations and variables, the -C package's top-level names, and the
// exported names and documentation of imported packages (go/doc on their
// source files); after "X." the type checker says what X is
// (typecheck.go).

var keywords = []string{"break", "case", "chan", "const", "continue", "default", "defer", "else",
	"fallthrough", "for", "func", "go", "goto", "if", "import", "interface", "map", "package",
	"range", "return", "select", "struct", "switch", "type", "var"}

var builtins = []string{"any", "append", "bool", "byte", "cap", "clear", "close", "complex", "complex128",
	"complex64", "copy", "delete", "error", "false", "float32", "float64", "imag", "int", "int16",
	"int32", "int64", "int8", "iota", "len", "make", "max", "min", "new", "nil", "panic", "print",
	"println", "real", "recover", "rune", "string", "true", "uint", "uint16", "uint32", "uint64",
	"uint8", "uintptr"}

// stdNames maps the names packages are used by to their paths, where the
// two differ.
var stdNames = map[string]string{
	"rand": "math/rand/v2", "http": "net/http", "json": "encoding/json", "filepath": "path/filepath",
	"atomic": "sync/atomic", "bits": "math/bits", "utf8": "unicode/utf8", "heap": "container/heap",
	"list": "container/list", "csv": "encoding/csv", "hex": "encoding/hex", "base64": "encoding/base64",
	"binary": "encoding/binary", "xml": "encoding/xml", "pprof": "runtime/pprof", "debug": "runtime/debug",
	"exec": "os/exec", "signal": "os/signal", "big": "math/big", "cmplx": "math/cmplx",
	"template": "text/template", "url": "net/url", "ioutil": "io/ioutil", "fs": "io/fs",
	"png": "image/png", "color": "image/color", "tabwriter": "text/tabwriter", "scanner": "text/scanner",
	"trace": "runtime/trace", "slog": "log/slog", "iter": "iter", "unsafe": "unsafe",
}

// pkgDoc is the documentation of one package.
type pkgDoc struct {
	names map[string]string // exported name -> documentation
	// members are the methods and fields of each type, by type name.
	members map[string][]string
}

// docs caches pkgDoc by import path.
var docs = map[string]*pkgDoc{}

// loadDoc reads the documentation of the package at path (or in dir when
// dir is set), exported names only unless all.
func loadDoc(path, dir string, all bool) *pkgDoc {
	key := path + "|" + dir
	if d, ok := docs[key]; ok {
		return d
	}
	var bp *build.Package
	var err error
	if dir != "" {
		bp, err = build.Default.ImportDir(dir, 0)
	} else {
		bp, err = build.Default.Import(path, "", 0)
	}
	if err != nil {
		docs[key] = nil
		return nil
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(bp.Dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err == nil {
			files = append(files, f)
		}
	}
	mode := doc.Mode(0)
	if all {
		mode = doc.AllDecls
	}
	p, err := doc.NewFromFiles(fset, files, bp.ImportPath, mode)
	if err != nil {
		docs[key] = nil
		return nil
	}
	d := newPkgDoc(fset, p)
	docs[key] = d
	return d
}

// newPkgDoc indexes a package's documentation: each name's declaration
// and doc text, and each type's methods and fields.
func newPkgDoc(fset *token.FileSet, p *doc.Package) *pkgDoc {
	d := &pkgDoc{names: map[string]string{}, members: map[string][]string{}}
	sig := func(decl ast.Node, text string) string {
		var b bytes.Buffer
		printer.Fprint(&b, fset, decl)
		if text != "" {
			b.WriteString("\n\n" + strings.TrimSpace(text))
		}
		return b.String()
	}
	addFunc := func(f *doc.Func) {
		fd := *f.Decl
		fd.Body = nil
		d.names[f.Name] = sig(&fd, f.Doc)
	}
	for _, f := range p.Funcs {
		addFunc(f)
	}
	for _, t := range p.Types {
		d.names[t.Name] = sig(t.Decl, t.Doc)
		for _, m := range t.Methods {
			d.members[t.Name] = append(d.members[t.Name], m.Name)
			fd := *m.Decl
			fd.Body = nil
			d.names[t.Name+"."+m.Name] = sig(&fd, m.Doc)
		}
		d.members[t.Name] = append(d.members[t.Name], structFields(t.Decl)...)
		for _, f := range t.Funcs {
			addFunc(f)
		}
		for _, v := range append(t.Consts, t.Vars...) {
			for _, n := range v.Names {
				d.names[n] = sig(v.Decl, v.Doc)
			}
		}
	}
	for _, v := range append(p.Consts, p.Vars...) {
		for _, n := range v.Names {
			d.names[n] = sig(v.Decl, v.Doc)
		}
	}
	return d
}

// structFields returns the field names of a struct type declaration.
func structFields(decl *ast.GenDecl) []string {
	var out []string
	for _, sp := range decl.Specs {
		ts, ok := sp.(*ast.TypeSpec)
		if !ok {
			continue
		}
		if st, ok := ts.Type.(*ast.StructType); ok {
			for _, f := range st.Fields.List {
				for _, n := range f.Names {
					out = append(out, n.Name)
				}
			}
		}
	}
	return out
}

// identAt returns the identifier around byte offset off, its start, and the
// qualifier before a dot ("strings" in "strings.Fi").
func identAt(code string, off int, whole bool) (name, qual string, start, end int) {
	isID := func(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	start = off
	for start > 0 {
		r, n := utf8.DecodeLastRuneInString(code[:start])
		if !isID(r) {
			break
		}
		start -= n
	}
	end = off
	if whole {
		for end < len(code) {
			r, n := utf8.DecodeRuneInString(code[end:])
			if !isID(r) {
				break
			}
			end += n
		}
	}
	name = code[start:end]
	if start > 0 && code[start-1] == '.' {
		q := start - 1
		for q > 0 {
			r, n := utf8.DecodeLastRuneInString(code[:q])
			if !isID(r) {
				break
			}
			q -= n
		}
		qual = code[q : start-1]
	}
	return name, qual, start, end
}

// runeToByte converts a cursor in code points (the protocol's unit) to a
// byte offset, clamped to the code.
func runeToByte(code string, cursor int) int {
	if cursor < 0 {
		return 0
	}
	i := 0
	for off := range code {
		if i == cursor {
			return off
		}
		i++
	}
	return len(code)
}

// pkgPath returns the import path a qualifier names in the session.
func (s *Session) pkgPath(qual string) string {
	for k := range s.imports {
		name, path, ok := strings.Cut(k, " ")
		if !ok {
			path, name = k, k[strings.LastIndex(k, "/")+1:]
		}
		if name == qual {
			return path
		}
	}
	for k := range s.imports {
		if _, path, ok := strings.Cut(k, " "); ok && gorun.ImportName(path) == qual {
			return path // a renamed import, named by its package (as %T does)
		}
	}
	if p, ok := s.resolved[qual]; ok {
		return p
	}
	if p, ok := stdNames[qual]; ok {
		return p
	}
	return qual
}

// Complete implements Engine.
func (s *Session) Complete(code string, cursor int) ([]string, int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	off := runeToByte(code, cursor)
	prefix, qual, start, _ := identAt(code, off, false)
	var cands []string
	if qual != "" {
		cands = s.memberCompletions(qual, code[:start])
	} else {
		cands = append(cands, keywords...)
		cands = append(cands, builtins...)
		cands = append(cands, s.sessionNames()...)
		if !s.own {
			if d := loadDoc("", s.pkgDir, true); d != nil {
				for n := range d.names {
					cands = append(cands, n)
				}
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(c, prefix) && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out, utf8.RuneCountInString(code[:start]), cursor
}

// memberCompletions are the names that may follow "qual.": the fields
// and methods of a variable's or a type's type (go/types over the cells,
// and the documentation of the variable's dynamic type), or the exported
// names of a package.
func (s *Session) memberCompletions(qual, before string) []string {
	var cands []string
	if d, typ := s.varDoc(qual); d != nil {
		cands = append(cands, d.members[typ]...)
	}
	pkgDoc := loadDoc(s.pkgPath(qual), "", false)
	if s.isSessionName(qual) || pkgDoc == nil {
		if t, pkg, isType := s.memberType(qual, before); t != nil {
			cands = append(cands, members(t, pkg, isType)...)
		}
	}
	if len(cands) > 0 || pkgDoc == nil {
		return cands
	}
	for n := range pkgDoc.names {
		if !strings.Contains(n, ".") {
			cands = append(cands, n)
		}
	}
	return cands
}

// inspectMember describes qual.name, a field or method of the type of
// qual (a variable or a type), as the type checker sees it.
func (s *Session) inspectMember(qual, name, before string) (string, bool) {
	t, pkg, _ := s.memberType(qual, before)
	if t == nil {
		return "", false
	}
	obj, _, _ := types.LookupFieldOrMethod(t, true, pkg, name)
	if obj == nil {
		return "", false
	}
	return types.ObjectString(obj, types.RelativeTo(pkg)), true
}

// isSessionName reports whether a cell declared name, as a declaration or
// a variable.
func (s *Session) isSessionName(name string) bool {
	if s.decls.Get(name) != nil {
		return true
	}
	for _, c := range s.history {
		for _, v := range c.Defines {
			if v == name {
				return true
			}
		}
	}
	return false
}

// sessionNames are the names the cells declared: declarations, variables,
// imported packages.
func (s *Session) sessionNames() []string {
	var out []string
	for _, k := range s.decls.Keys() {
		if strings.HasPrefix(k, "import:") {
			k = strings.TrimPrefix(k, "import:")
			if name, _, ok := strings.Cut(k, " "); ok {
				k = name
			} else {
				k = k[strings.LastIndex(k, "/")+1:]
			}
		}
		if !strings.Contains(k, ".") {
			out = append(out, k)
		}
	}
	for _, c := range s.history {
		out = append(out, c.Defines...)
	}
	return out
}

// Inspect implements Engine.
func (s *Session) Inspect(code string, cursor int) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	off := runeToByte(code, cursor)
	name, qual, _, _ := identAt(code, off, true)
	if name == "" && off > 0 {
		// The cursor right after a call's parenthesis: the function.
		name, qual, _, _ = identAt(code, off-1, false)
		if name == "" {
			return "", false
		}
	}
	if qual != "" {
		if d, typ := s.varDoc(qual); d != nil {
			if t, ok := d.names[typ+"."+name]; ok {
				return t, true
			}
		}
		if d := loadDoc(s.pkgPath(qual), "", false); d != nil {
			if t, ok := d.names[name]; ok {
				return t, true
			}
		}
		return s.inspectMember(qual, name, code[:off])
	}
	if d := s.decls.Get(name); d != nil {
		return d.Doc + "\n\n(declared in " + s.cellLabel(d.Cell) + ")", true
	}
	for i := len(s.history) - 1; i >= 0; i-- {
		for _, v := range s.history[i].Defines {
			if v == name {
				if t := s.varTypes[name]; t != "" {
					return name + " " + t + " (a variable of " + s.history[i].Name + ")", true
				}
				return name + ": a variable of " + s.history[i].Name, true
			}
		}
	}
	if !s.own {
		if d := loadDoc("", s.pkgDir, true); d != nil {
			if t, ok := d.names[name]; ok {
				return t, true
			}
		}
	}
	if d := loadDoc("builtin", "", true); d != nil {
		if t, ok := d.names[name]; ok {
			return t, true
		}
	}
	return "", false
}

func (s *Session) cellLabel(id int) string {
	if c := s.cells[id]; c != nil {
		return c.Name
	}
	return "a cell"
}

// varDoc returns the documentation of the package of variable v's named
// type, and the type's name, when v is a session variable of a named type
// (its %T, such as "distance.Matrix" or "*strings.Builder").
func (s *Session) varDoc(v string) (*pkgDoc, string) {
	typ := strings.TrimPrefix(s.varTypes[v], "*")
	pkg, name, ok := strings.Cut(typ, ".")
	if !ok || strings.ContainsAny(pkg, "[]()* ") {
		return nil, ""
	}
	if pkg == s.pkgName {
		if s.own {
			return nil, "" // the cells' own types: no source to read yet
		}
		return loadDoc("", s.pkgDir, true), name
	}
	return loadDoc(s.pkgPath(pkg), "", false), name
}
