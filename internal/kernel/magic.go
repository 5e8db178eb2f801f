package kernel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/internal/lprun"
	"github.com/gospeedup/speedup/internal/snippet"
	"github.com/gospeedup/speedup/lineprof"
	"github.com/gospeedup/speedup/scaling"
	"github.com/gospeedup/speedup/timeit"
)

// magicArgs splits a magic's line into its flags and the rest, the
// statement, kept as typed. flags lists the flags taking a value; bools
// those without. Counts attached as in IPython (-n1000, -r3) are read.
func magicArgs(line string, flags, bools map[string]bool) (map[string][]string, string, error) {
	got := map[string][]string{}
	rest := strings.TrimSpace(line)
	for rest != "" && rest[0] == '-' {
		tok, after, _ := strings.Cut(rest, " ")
		after = strings.TrimSpace(after)
		if tok == "--" {
			rest = after
			break
		}
		name := strings.TrimLeft(tok, "-")
		val := ""
		hasVal := false
		if n, v, ok := strings.Cut(name, "="); ok {
			name, val, hasVal = n, v, true
		}
		switch {
		case bools[name] && !hasVal:
			got[name] = append(got[name], "true")
		case flags[name]:
			if !hasVal {
				v, a, _ := strings.Cut(after, " ")
				if v == "" {
					return nil, "", fmt.Errorf("flag %s needs a value", tok)
				}
				val, after = v, strings.TrimSpace(a)
			}
			got[name] = append(got[name], val)
		case len(name) > 1 && flags[name[:1]] && strings.Trim(name[1:], "0123456789") == "":
			got[name[:1]] = append(got[name[:1]], name[1:])
		default:
			return nil, "", fmt.Errorf("unknown flag %s", tok)
		}
		rest = after
	}
	return got, rest, nil
}

func usage(format string, args ...any) error {
	return &CellError{Name: "UsageError", Value: fmt.Sprintf(format, args...)}
}

func intFlag(f map[string][]string, name string) (int, error) {
	v := f[name]
	if len(v) == 0 {
		return 0, nil
	}
	n, err := strconv.Atoi(v[len(v)-1])
	if err != nil || n < 1 {
		return 0, usage("-%s %s: want a positive whole number", name, v[len(v)-1])
	}
	return n, nil
}

func (s *Session) lineMagic(ctx context.Context, line string, out Output) (map[string]any, error) {
	name, args, _ := strings.Cut(strings.TrimPrefix(line, "%"), " ")
	args = strings.TrimSpace(args)
	switch name {
	case "timeit":
		return s.timeitMagic(ctx, args, nil, out)
	case "lprun":
		return s.lprunMagic(ctx, args, out)
	case "scaling":
		return s.scalingMagic(ctx, args, out)
	case "load_ext":
		if args == "line_profiler" {
			return nil, nil // %lprun is built in
		}
		return nil, usage("%%load_ext: unknown extension %q (only line_profiler, which is built in)", args)
	case "go":
		return nil, s.goMagic(ctx, args, out)
	case "reset":
		s.decls = NewDeclMap()
		s.cells = map[int]*Cell{}
		s.imports = map[string]bool{}
		s.history = nil
		s.varTypes = map[string]string{}
		out.Stream("stdout", "Forgot every declaration and variable.\n")
		return nil, nil
	case "who":
		out.Stream("stdout", s.who())
		return nil, nil
	case "rm":
		return nil, s.rm(args, out)
	case "":
		return nil, usage("empty magic")
	}
	return nil, usage("unknown magic %%%s (the magics are %%timeit, %%%%timeit, %%lprun, %%scaling, %%load_ext, %%go get, %%who, %%rm, %%reset)", name)
}

func (s *Session) cellMagic(ctx context.Context, code string, out Output) (map[string]any, error) {
	first, body, _ := strings.Cut(code, "\n")
	name, args, _ := strings.Cut(strings.TrimPrefix(first, "%%"), " ")
	switch name {
	case "timeit":
		if strings.TrimSpace(body) == "" {
			return nil, usage("%%%%timeit: the cell has no statements to time")
		}
		return s.timeitMagic(ctx, args, &body, out)
	}
	return nil, usage("unknown cell magic %%%%%s (the cell magic is %%%%timeit)", name)
}

// snippetSetup returns the earlier statement cells stmt needs, as
// scopes around a harness's setup and statement: they run before each
// run, outside the timing, quietly, each in a block nested in the
// previous one as for a plain cell (so that two cells may both declare a
// variable: the later one shadows the earlier), with the timed statement
// in the innermost block. setup restores the output, to run after them.
//
// The names of params are the sweep's, not the earlier cells'.
func (s *Session) snippetSetup(stmt, extraSetup string, params []timeit.Param) (scopes []gorun.Scope, setup []string, err error) {
	probe, err := ParseCell(0, extraSetup+"\n"+stmt)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range params {
		delete(probe.Mentions, p.Name)
		delete(probe.Touches, p.Name)
	}
	reruns := Rerun(s.history, probe)
	if len(reruns) == 0 {
		return nil, nil, nil
	}
	// Their output is discarded (writes to a nil *os.File fail quietly).
	scopes = []gorun.Scope{{Name: "setup", Src: "_speedup_o, _speedup_e := os.Stdout, os.Stderr; os.Stdout, os.Stderr = nil, nil"}}
	for _, r := range reruns {
		scopes = append(scopes, gorun.Scope{Name: r.Name, Src: r.Stmts})
	}
	return scopes, []string{"os.Stdout, os.Stderr = _speedup_o, _speedup_e"}, nil
}

// timeitFlags are %timeit's options.
type timeitFlags struct {
	number, repeat, prec int
	params               []timeit.Param
	output, quiet, verb  bool
}

// parseTimeitFlags parses %timeit's options; it returns them, the
// statement to time and the user's setup (%%timeit's first line).
func parseTimeitFlags(args string, body *string) (tf timeitFlags, stmt, userSetup string, err error) {
	f, rest, err := magicArgs(args, map[string]bool{"n": true, "r": true, "p": true, "param": true}, map[string]bool{"o": true, "q": true, "v": true})
	if err != nil {
		return tf, "", "", usage("%%timeit: %v", err)
	}
	stmt = rest
	if body != nil {
		stmt, userSetup = *body, rest
	}
	if strings.TrimSpace(stmt) == "" {
		return tf, "", "", usage("%%timeit: missing statement")
	}
	for _, nv := range []struct {
		name string
		v    *int
	}{{"n", &tf.number}, {"r", &tf.repeat}, {"p", &tf.prec}} {
		if *nv.v, err = intFlag(f, nv.name); err != nil {
			return tf, "", "", err
		}
	}
	for _, p := range f["param"] {
		pp, err := timeit.ParseParam(p)
		if err != nil {
			return tf, "", "", usage("%%timeit: %v", err)
		}
		tf.params = append(tf.params, pp)
	}
	if len(tf.params) > 1 {
		return tf, "", "", usage("%%timeit: one --param at a time in the kernel (use speedup timeit for grids)")
	}
	tf.output, tf.quiet, tf.verb = len(f["o"]) > 0, len(f["q"]) > 0, len(f["v"]) > 0
	return tf, stmt, userSetup, nil
}

// timeitMagic is %timeit and, with body set, %%timeit (whose line holds
// the setup).
func (s *Session) timeitMagic(ctx context.Context, args string, body *string, out Output) (map[string]any, error) {
	tf, stmt, userSetup, err := parseTimeitFlags(args, body)
	if err != nil {
		return nil, err
	}
	built, setupErr := s.buildTimer(ctx, stmt, userSetup, tf.params)
	if setupErr != nil {
		return nil, setupErr
	}
	// Measured as speedup timeit measures: package snippet, a fresh
	// process per measurement.
	prog := snippet.FromProgram(built, tf.params)
	defer prog.Close()
	opts := timeit.Options{Number: tf.number, Repeat: tf.repeat, Precision: tf.prec}
	measure := func(values []any) (*timeit.Result, error) {
		return prog.Measure(ctx, snippet.Measurement{Values: values, Options: opts})
	}
	if len(tf.params) == 0 {
		return timeOnce(ctx, tf, prog.BuildTime, measure, out)
	}
	return nil, s.timeSweep(ctx, tf, measure, out)
}

// timeOnce is %timeit without --param: one measurement, its line, and
// with -o the result as the cell's value.
func timeOnce(ctx context.Context, tf timeitFlags, buildTime time.Duration, measure func([]any) (*timeit.Result, error), out Output) (map[string]any, error) {
	r, err := measure(nil)
	if err != nil {
		return nil, runError(ctx, err)
	}
	var b strings.Builder
	writeResult(&b, "", r)
	if tf.verb {
		b.WriteString(r.Verbose())
	}
	if buildTime > compileTimeThreshold {
		fmt.Fprintf(&b, "Compiler time: %.2f s\n", buildTime.Seconds())
	}
	if !tf.quiet {
		out.Stream("stdout", b.String())
	}
	if tf.output {
		return map[string]any{"text/plain": "<TimeitResult : " + r.String() + ">"}, nil
	}
	return nil, nil
}

// timeSweep is %timeit --param: one line per value, then for numeric
// values the fitted growth and the log-log plot.
func (s *Session) timeSweep(ctx context.Context, tf timeitFlags, measure func([]any) (*timeit.Result, error), out Output) error {
	p := tf.params[0]
	var pts []timeit.SweepPoint
	numeric := true
	for _, v := range p.Values {
		r, err := measure([]any{v})
		if err != nil {
			return runError(ctx, fmt.Errorf("%s: %w", p.Format(v), err))
		}
		line := strings.Builder{}
		writeResult(&line, p.Format(v)+": ", r)
		if !tf.quiet {
			out.Stream("stdout", line.String())
		}
		x, ok := toFloat(v)
		numeric = numeric && ok && x > 0
		pts = append(pts, timeit.SweepPoint{Value: v, X: x, Result: r})
	}
	if !numeric || len(pts) < 2 {
		return nil
	}
	var fp *timeit.Fit
	if fit, err := timeit.FitSweep(p.Name, pts); err == nil {
		fp = &fit
		if !tf.quiet {
			out.Stream("stdout", fit.String()+"\n")
		}
	}
	s.displaySweepPlot(p.Name, pts, fp, out)
	return nil
}

// displaySweepPlot shows a sweep's log-log plot inline as SVG; a plot
// that cannot be drawn is left out.
func (s *Session) displaySweepPlot(name string, pts []timeit.SweepPoint, fp *timeit.Fit, out Output) {
	svg := filepath.Join(s.tmp, "sweep.svg")
	defer os.Remove(svg)
	if err := timeit.PlotSweep(svg, name, pts, fp); err != nil {
		return
	}
	if data, err := os.ReadFile(svg); err == nil {
		out.Display(map[string]any{"image/svg+xml": string(data), "text/plain": "<time against " + name + ", log-log>"}, nil, "", false)
	}
}

// compileTimeThreshold is when a build is worth a "Compiler time" line,
// as in speedup timeit.
const compileTimeThreshold = 1e9

// writeResult writes timeit's result line as speedup timeit prints it:
// warnings (the slowest-run caution) first.
func writeResult(b *strings.Builder, prefix string, r *timeit.Result) {
	for _, w := range r.Warnings() {
		b.WriteString(prefix + w.Error() + "\n")
	}
	b.WriteString(prefix + r.String() + "\n")
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// buildTimer builds the timing harness of stmt in the session's package,
// with the cells' declarations and, as setup, the earlier cells stmt needs.
func (s *Session) buildTimer(ctx context.Context, stmt, userSetup string, params []timeit.Param) (*gorun.Program, error) {
	scopes, setup, err := s.snippetSetup(stmt, userSetup, params)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(userSetup) != "" {
		setup = append(setup, userSetup)
	}
	vars := make([]gorun.Var, len(params))
	for i, p := range params {
		typ, err := gorun.VarType(p.Values)
		if err != nil {
			return nil, usage("--param %s: %v", p.Name, err)
		}
		vars[i] = gorun.Var{Name: p.Name, Type: typ}
	}
	files, err := s.declFiles(s.decls, nil)
	if err != nil {
		return nil, err
	}
	genPath := filepath.Join(s.pkgDir, gorun.TimeitFileName)
	src, err := gorun.TimeitFile(s.pkgName, genPath, gorun.Snippet{Scopes: scopes, Setup: setup, Stmt: stmt, Params: vars})
	if err != nil {
		return nil, compileError(err)
	}
	// The cells' imports (goimports cannot guess a renamed one).
	src = gorun.AddUsedImports(src, s.importList(nil))
	prog, err := gorun.Build(ctx, s.buildOptions(files), gorun.TimeitFileName, src)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, compileError(err)
	}
	return prog, nil
}

// runError turns a timing harness's failure into the cell's error.
func runError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var pe *gorun.PanicError
	if errors.As(err, &pe) {
		return &CellError{Name: "panic", Value: pe.Error()}
	}
	return &CellError{Name: "Error", Value: err.Error()}
}

// scalingMagic is %scaling --cpu 1,2 [-n N] [-r R] STMT.
func (s *Session) scalingMagic(ctx context.Context, args string, out Output) (map[string]any, error) {
	f, stmt, err := magicArgs(args, map[string]bool{"cpu": true, "n": true, "r": true, "s": true}, nil)
	if err != nil {
		return nil, usage("%%scaling: %v", err)
	}
	if strings.TrimSpace(stmt) == "" {
		return nil, usage("%%scaling: missing statement")
	}
	numCPU := runtime.NumCPU()
	procs := scaling.DefaultProcs(numCPU)
	if v := f["cpu"]; len(v) > 0 {
		if procs, err = scaling.ParseProcs(v[len(v)-1]); err != nil {
			return nil, usage("%%scaling: --cpu: %v", err)
		}
	}
	sort.Ints(procs)
	if procs[0] != 1 {
		return nil, usage("%%scaling: --cpu: the list must include 1, the serial time every speedup is relative to")
	}
	number, err := intFlag(f, "n")
	if err != nil {
		return nil, err
	}
	repeat, err := intFlag(f, "r")
	if err != nil {
		return nil, err
	}
	built, err := s.buildTimer(ctx, stmt, strings.Join(f["s"], "\n"), nil)
	if err != nil {
		return nil, err
	}
	prog := snippet.FromProgram(built, nil)
	defer prog.Close()
	opts := timeit.Options{Number: number, Repeat: repeat}
	rep, err := scaling.Sweep(procs, numCPU, func(p int) (*timeit.Result, error) {
		// GOMAXPROCS in the environment, read by the runtime at start-up,
		// as speedup scaling sets it.
		res, err := prog.Measure(ctx, snippet.Measurement{Env: []string{"GOMAXPROCS=" + strconv.Itoa(p)}, Options: opts})
		if err != nil {
			return nil, err
		}
		res.Procs = p
		opts.Number = res.Loops // calibrated at P=1, the same work at every P
		return res, nil
	})
	if err != nil {
		return nil, runError(ctx, err)
	}
	out.Stream("stdout", rep.String())
	var svg bytes.Buffer
	if err := rep.Plot(&svg, "svg"); err == nil {
		out.Display(map[string]any{"image/svg+xml": svg.String(), "text/plain": "<speedup against GOMAXPROCS>"}, nil, "", false)
	}
	return nil, nil
}

// lprunMagic is %lprun -f FUNC [-f FUNC]... [-m PKG] STMT.
func (s *Session) lprunMagic(ctx context.Context, args string, out Output) (map[string]any, error) {
	f, stmt, maxTime, err := parseLprunFlags(args)
	if err != nil {
		return nil, err
	}
	scopes, setup, err := s.snippetSetup(stmt, "", nil)
	if err != nil {
		return nil, err
	}
	overlay, shift, offsets, err := s.cellOverlay()
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	res, err := lprun.Run(ctx, lprun.Options{Dir: s.pkgDir, Overlay: overlay, Imports: s.importList(nil), Funcs: f["f"], Pkgs: f["m"], Stmt: stmt, Scopes: scopes, Setup: strings.Join(setup, "\n"),
		MaxTime: maxTime, Stdout: &stdout, Stderr: &stderr})
	out.Stream("stdout", stdout.String())
	out.Stream("stderr", stderr.String())
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ie *lprun.InputError
		if errors.As(err, &ie) {
			// What -f or -m names does not exist: the user's input.
			return nil, usage("%%lprun: %v", ie.Err)
		}
		var re *lprun.RunError
		if errors.As(err, &re) {
			// The code failed while it ran (on a run after the counted
			// one: a report of the runs before would show a failing
			// statement as a measurement): its error, as %timeit's.
			var pe *gorun.PanicError
			if errors.As(err, &pe) {
				perr := cellPanic(pe, shift, offsets)
				var ce *CellError
				if errors.As(perr, &ce) {
					ce.Value += strings.TrimPrefix(err.Error(), pe.Error())
				}
				return nil, perr
			}
			return nil, &CellError{Name: "Error", Value: err.Error()}
		}
		return nil, compileError(cellCompileError(err, shift, offsets))
	}
	p := res.Profile
	mapToCells(p, shift, offsets)
	var text bytes.Buffer
	if err := lineprof.Report(&text, p, lineprof.ReportOptions{}); err != nil {
		return nil, err
	}
	out.Display(map[string]any{"text/plain": text.String(), "text/html": profileHTML(p)}, nil, "", false)
	if res.Panic != nil {
		return nil, cellPanic(res.Panic, shift, offsets)
	}
	return nil, nil
}

// cellPanic is one Jupyter error for a panic under %lprun, located as a
// plain cell's is: at the innermost frame in a cell, with the cells'
// frames, the files lprun profiled (compiled without their cell's line
// directive) named as their cells again.
func cellPanic(p *gorun.PanicError, shift map[string]*Cell, offsets map[string]int) error {
	lines := strings.Split(p.Stack, "\n")
	for i, l := range lines {
		for path, c := range shift {
			rest, ok := strings.CutPrefix(l, "\t"+path+":")
			if !ok {
				continue
			}
			n, tail, _ := strings.Cut(rest, " ")
			if line, err := strconv.Atoi(n); err == nil {
				lines[i] = fmt.Sprintf("\t%s:%d %s", c.Name, line-offsets[path], tail)
			}
		}
	}
	m := channelMsg{Value: p.Value, File: p.File, Line: p.Line, Stack: strings.Join(lines, "\n")}
	for _, l := range lines {
		if f := frameRE.FindStringSubmatch(l); f != nil {
			m.File = f[1]
			m.Line, _ = strconv.Atoi(f[2])
			break
		}
	}
	return panicError(m)
}

// cellCompileError locates a compile error in a file lprun profiled
// (compiled without its cell's line directive) in its cell.
func cellCompileError(err error, shift map[string]*Cell, offsets map[string]int) error {
	var ce *gorun.CompileError
	if !errors.As(err, &ce) || ce.File == "" {
		return err
	}
	abs, _ := filepath.Abs(ce.File)
	if c, ok := shift[abs]; ok {
		ce.File, ce.Line = c.Name, ce.Line-offsets[abs]
	}
	return err
}

// parseLprunFlags parses %lprun's options: -f, -m and --max-time
// (default 1 s) and the statement.
func parseLprunFlags(args string) (f map[string][]string, stmt string, maxTime time.Duration, err error) {
	f, stmt, err = magicArgs(args, map[string]bool{"f": true, "m": true, "max-time": true}, nil)
	if err != nil {
		return nil, "", 0, usage("%%lprun: %v", err)
	}
	// Shorter than speedup lprun's 5 s default, for a notebook; the
	// report says when it was too short for the error it wants.
	maxTime = time.Second
	if v := f["max-time"]; len(v) > 0 {
		if maxTime, err = time.ParseDuration(v[len(v)-1]); err != nil || maxTime <= 0 {
			return nil, "", 0, usage("%%lprun: --max-time %s: want a positive duration such as 5s", v[len(v)-1])
		}
	}
	if len(f["f"]) == 0 && len(f["m"]) == 0 {
		return nil, "", 0, usage("%%lprun: name a function to profile with -f FUNC (or a package with -m PKG)")
	}
	if strings.TrimSpace(stmt) == "" {
		return nil, "", 0, usage("%%lprun: missing statement")
	}
	return f, stmt, maxTime, nil
}

// cellOverlay returns the cells' declarations as overlay files of the
// package the cells run in (the session's module, or the -C package: the
// build sees them, nothing is written), for lprun to find, instrument and
// build with the package's own files. They are the files a cell's program
// is built with, each after a //line directive naming its cell: lprun
// compiles the files it profiles without their directives, so that the
// profile names the files' lines, which mapToCells turns back into the
// cell's with offsets (the line of each file's directive); the other
// files keep theirs, so that errors and panics in them name the cells.
func (s *Session) cellOverlay() (overlay map[string][]byte, shift map[string]*Cell, offsets map[string]int, err error) {
	overlay, err = s.declFiles(s.decls, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	shift, offsets = map[string]*Cell{}, map[string]int{}
	for path, src := range overlay {
		c := s.cells[cellIDFromPath(path)]
		i := -1
		if c != nil {
			i = bytes.Index(src, []byte("\n//line "+c.Name+":1:1\n"))
		}
		if i < 0 {
			return nil, nil, nil, fmt.Errorf("internal error: %s has no cell's line directive", filepath.Base(path))
		}
		offsets[path] = bytes.Count(src[:i+1], []byte("\n")) + 1
		shift[path] = c
	}
	return overlay, shift, offsets, nil
}

// mapToCells renames the profile's functions declared in cells: their
// file becomes the cell, their lines the cell's lines.
func mapToCells(p *lineprof.Profile, shift map[string]*Cell, offsets map[string]int) {
	for _, fn := range p.Funcs {
		c, ok := shift[fn.File]
		if !ok {
			continue
		}
		d := offsets[fn.File]
		fn.File = c.Name
		fn.Line -= d
		fn.EndLine -= d
		for i := range fn.Lines {
			fn.Lines[i].Line -= d
		}
		lines := strings.Split(c.Src, "\n")
		if fn.Line >= 1 && fn.EndLine <= len(lines) {
			fn.Source = lines[fn.Line-1 : fn.EndLine]
		}
	}
}

func cellIDFromPath(path string) int {
	b := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "zz_speedup_cell"), ".go")
	n, _ := strconv.Atoi(b)
	return n
}

// profileHTML renders a profile as tables, one per function, each line's
// background shaded by its share of the function's time.
func profileHTML(p *lineprof.Profile) string {
	var b strings.Builder
	for _, m := range p.Method {
		fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(m))
	}
	for _, fn := range p.Funcs {
		total := fn.TotalNS()
		fmt.Fprintf(&b, "<p><b>%s</b> (%s:%d), total %.6g s</p>\n", html.EscapeString(fn.Name), html.EscapeString(fn.File), fn.Line, float64(total)*1e-9)
		b.WriteString(`<table class="speedup-lprun"><thead><tr><th>Line #</th><th>Hits</th><th>Time (ns)</th><th>Per Hit</th><th>% Time</th><th style="text-align:left">Line Contents</th></tr></thead><tbody>` + "\n")
		by := map[int]lineprof.Line{}
		for _, l := range fn.Lines {
			by[l.Line] = l
		}
		src := fn.Source
		if len(src) == 0 {
			src = lineprof.SourceLines(fn.File, fn.Line, fn.EndLine)
		}
		for n := fn.Line; n <= fn.EndLine; n++ {
			text := ""
			if i := n - fn.Line; i < len(src) {
				text = src[i]
			}
			l := by[n]
			pct := 0.0
			if total > 0 {
				pct = 100 * float64(l.TimeNS) / float64(total)
			}
			style := ""
			if pct > 0 {
				style = fmt.Sprintf(` style="background: rgba(255, 80, 0, %.2f)"`, 0.08+0.6*pct/100)
			}
			hits, t, per, pc := "", "", "", ""
			if l.Hits > 0 || l.TimeNS > 0 {
				hits = strconv.FormatInt(l.Hits, 10)
				t = strconv.FormatInt(l.TimeNS, 10)
				if l.Hits > 0 {
					per = fmt.Sprintf("%.1f", float64(l.TimeNS)/float64(l.Hits))
				}
				pc = fmt.Sprintf("%.1f", pct)
			}
			fmt.Fprintf(&b, "<tr%s><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td style=\"text-align:left\"><pre style=\"margin:0\">%s</pre></td></tr>\n",
				style, n, hits, t, per, pc, html.EscapeString(text))
		}
		b.WriteString("</tbody></table>\n")
	}
	return b.String()
}

// goMagic is %go get MODULE...: the only way the kernel reaches the
// network.
func (s *Session) goMagic(ctx context.Context, args string, out Output) error {
	f := strings.Fields(args)
	if len(f) < 2 || f[0] != "get" {
		return usage("%%go: only %%go get MODULE[@VERSION]... is supported")
	}
	if !s.own {
		return usage("%%go get: the kernel runs in your package (-C); run go get in your module instead, the kernel never changes your files")
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"get"}, f[1:]...)...)
	cmd.Dir = s.pkgDir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	out.Stream("stderr", buf.String())
	if err != nil {
		return &CellError{Name: "GoGetError", Value: "go get " + strings.Join(f[1:], " ") + ": " + err.Error()}
	}
	s.checker = nil // the modules changed: find the export data again
	return nil
}

// who lists the session's variables and declarations.
func (s *Session) who() string {
	var vars []string
	seen := map[string]bool{}
	for i := len(s.history) - 1; i >= 0; i-- {
		for _, v := range s.history[i].Defines {
			if !seen[v] {
				seen[v] = true
				if t := s.varTypes[v]; t != "" {
					vars = append(vars, v+" "+t+" ("+s.history[i].Name+")")
				} else {
					vars = append(vars, v+" ("+s.history[i].Name+")")
				}
			}
		}
	}
	sort.Strings(vars)
	var decls []string
	for _, k := range s.decls.Keys() {
		if !strings.HasPrefix(k, "import:") {
			decls = append(decls, k+" ("+s.cellLabel(s.decls.Get(k).Cell)+")")
		}
	}
	if len(vars) == 0 && len(decls) == 0 {
		return "Interactive namespace is empty.\n"
	}
	var b strings.Builder
	if len(vars) > 0 {
		b.WriteString("Variables: " + strings.Join(vars, ", ") + "\n")
	}
	if len(decls) > 0 {
		b.WriteString("Declarations: " + strings.Join(decls, ", ") + "\n")
	}
	return b.String()
}

// rm forgets names: a declaration is dropped; a variable is forgotten by
// dropping the cells that declared it from the history (their other
// variables go with them, and are named).
func (s *Session) rm(args string, out Output) error {
	names := strings.Fields(args)
	if len(names) == 0 {
		return usage("%%rm: name what to forget: %%rm NAME...")
	}
	for _, name := range names {
		found := s.decls.Remove(name)
		var keep []*Cell
		var dropped []string
		for _, c := range s.history {
			defines := false
			for _, v := range c.Defines {
				defines = defines || v == name
			}
			if defines {
				found = true
				dropped = append(dropped, c.Name)
				continue
			}
			keep = append(keep, c)
		}
		s.history = keep
		if !found {
			return usage("%%rm: %s is neither a declaration nor a variable of this session", name)
		}
		msg := "Forgot " + name
		if len(dropped) > 0 {
			msg += " (" + strings.Join(dropped, ", ") + " will not run again)"
		}
		out.Stream("stdout", msg+".\n")
	}
	return nil
}
