package kernel

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The cells of the %lprun tests, in both sessions: dist is declared in a
// cell and calls sq, a function of the -C package testdata/geo (declared
// in a cell without -C); a method declared in a cell calls dist.
const (
	distCell = `// dist is the Euclidean distance, declared in a cell.
func dist(xs, ys []float64) float64 {
	d := 0.0
	for i := range xs {
		d += sq(xs[i] - ys[i])
	}
	return math.Sqrt(d)
}`
	normCell = `func (p point) norm() float64 {
	return dist([]float64{p.x, p.y}, []float64{0, 0})
}`
	varsCell = "xs := []float64{1, 2, 3, 4, 5}\nys := make([]float64, len(xs))\np := point{3, 4}"
)

// distHits are the exact hits of dist(xs, ys) by line of distCell: one
// call, five iterations (the loop's line counts the final test too).
var distHits = map[int]int64{3: 1, 4: 6, 5: 5, 7: 1}

// TestLprunCellsInPackage: with -C, %lprun profiles functions declared in
// cells (their rows are the cell's lines, cellN:L), the package's own
// functions when the statement calls them through cells, and methods
// declared in cells; a redefined function is profiled as redefined; a
// panic in a profiled cell function is one error at its cell's line; and
// nothing is written into the package.
func TestLprunCellsInPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds several lprun programs")
	}
	before := dirSnapshot(t, "testdata/geo")
	s, err := NewSession(Options{Dir: "testdata/geo"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &cellRunner{s: s}
	for _, code := range []string{distCell, normCell, varsCell} {
		if _, out, err := c.exec(code); err != nil {
			t.Fatalf("%q: %v %s", code, err, out)
		}
	}
	// A function declared in a cell.
	fns := lprunReport(t, c, "%lprun --max-time 200ms -f dist dist(xs, ys)", 1)
	checkFunc(t, fns[0], "dist", "cell1", 2, distCell, distHits)

	// A cell function and the package function it calls, -f on each;
	// the package's rows are its file's.
	geo, err := filepath.Abs("testdata/geo/geo.go")
	if err != nil {
		t.Fatal(err)
	}
	geoSrc, err := os.ReadFile(geo)
	if err != nil {
		t.Fatal(err)
	}
	fns = lprunReport(t, c, "%lprun --max-time 200ms -f dist -f sq dist(xs, ys)", 2)
	checkFunc(t, named(t, fns, "sq"), "sq", geo, 6, string(geoSrc), map[int]int64{7: 5})
	checkFunc(t, named(t, fns, "dist"), "dist", "cell1", 2, distCell, distHits)

	// The statement calls a method of a cell, which calls a cell
	// function, which calls the package's: only the package's is
	// profiled, then the cells' too.
	fns = lprunReport(t, c, "%lprun --max-time 200ms -f sq p.norm()", 1)
	checkFunc(t, fns[0], "sq", geo, 6, string(geoSrc), map[int]int64{7: 2})
	fns = lprunReport(t, c, "%lprun --max-time 200ms -f point.norm -f dist p.norm()", 2)
	checkFunc(t, named(t, fns, "point.norm"), "point.norm", "cell2", 1, normCell, map[int]int64{2: 1})
	checkFunc(t, named(t, fns, "dist"), "dist", "cell1", 2, distCell, map[int]int64{3: 1, 4: 3, 5: 2, 7: 1})

	// A panic in a profiled cell function: the report of what ran, and
	// one error at the cell's line, as for a plain cell.
	r, _, err := c.record("%lprun --max-time 200ms -f dist dist(xs, ys[:2])")
	var ce *CellError
	if !errors.As(err, &ce) || ce.Name != "panic" || ce.Value != "cell1:5: runtime error: index out of range [2] with length 2" {
		t.Fatalf("panic under %%lprun: %#v", err)
	}
	if !reflect.DeepEqual(ce.Traceback[2:], []string{"  dist at cell1:5"}) {
		t.Errorf("panic's cell frames: %q", ce.Traceback)
	}
	if len(r.displays) != 1 {
		t.Fatalf("panic under %%lprun: %d displays, want the report", len(r.displays))
	}
	fns = parseReport(t, r.displays[0]["text/plain"].(string))
	checkFunc(t, fns[0], "dist", "cell1", 2, distCell, map[int]int64{3: 1, 4: 4, 5: 3})

	// A misspelt function: one error, no report.
	r, _, err = c.record("%lprun -f dsit dist(xs, ys)")
	if !errors.As(err, &ce) || ce.Name != "UsageError" || !strings.HasPrefix(ce.Value, "%lprun: no function dsit in package geo") || !strings.HasSuffix(ce.Value, "did you mean dist?") || len(r.displays) != 0 {
		t.Errorf("%%lprun -f dsit: %#v %d displays", err, len(r.displays))
	}

	// A redefined function is profiled as the later cell declares it.
	redef := "func dist(xs, ys []float64) float64 {\n\treturn math.Sqrt(sq(xs[0] - ys[0]))\n}"
	if _, out, err := c.exec(redef); err != nil {
		t.Fatalf("redefining dist: %v %s", err, out)
	}
	redefName := fmt.Sprintf("cell%d", c.n)
	fns = lprunReport(t, c, "%lprun --max-time 200ms -f dist dist(xs, ys)", 1)
	checkFunc(t, fns[0], "dist", redefName, 1, redef, map[int]int64{2: 1})

	if after := dirSnapshot(t, "testdata/geo"); !maps.Equal(before, after) {
		t.Errorf("the package's directory changed: %v, then %v", slicesOf(before), slicesOf(after))
	}
}

// TestLprunCellsSameWithoutC: the report of a cell function is the same
// (lines, hits, contents) with -C as in the session's own module.
func TestLprunCellsSameWithoutC(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds lprun programs")
	}
	var got [2]reportFunc
	vars := "xs := []float64{1, 2, 3, 4, 5}\nys := make([]float64, len(xs))"
	// The session's own module requires this one (the kernel started in
	// it), for the renamed import of pairsCell.
	for i, o := range []Options{{Dir: "testdata/geo"}, {WorkDir: "."}} {
		s, err := NewSession(o)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		c := &cellRunner{s: s}
		first := vars
		if o.Dir == "" {
			// What the package declares, in the cell.
			first = "func sq(x float64) float64 {\n\treturn x * x\n}\n" + vars
		}
		for _, code := range []string{first, distCell} {
			if _, out, err := c.exec(code); err != nil {
				t.Fatalf("%q: %v %s", code, err, out)
			}
		}
		got[i] = lprunReport(t, c, "%lprun --max-time 200ms -f dist dist(xs, ys)", 1)[0]
		checkFunc(t, got[i], "dist", "cell2", 2, distCell, distHits)
		checkRenamedImport(t, c)
	}
	for i := range got {
		for j := range got[i].rows {
			got[i].rows[j].time, got[i].rows[j].perHit, got[i].rows[j].pct = "", "", ""
		}
		got[i].total = ""
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("with -C:\n%+v\nwithout:\n%+v", got[0], got[1])
	}
}

// checkRenamedImport: a package imported under another name in a cell is
// known by that name to %lprun's statement, to its setup (the earlier
// cells it needs) and to -f, though goimports cannot guess it.
func checkRenamedImport(t *testing.T, c *cellRunner) {
	t.Helper()
	for _, code := range []string{`import pairs "github.com/gospeedup/speedup/examples/distance"`, "M := pairs.RandMatrix(4, 3)"} {
		if _, out, err := c.exec(code); err != nil {
			t.Fatalf("%q: %v %s", code, err, out)
		}
	}
	file, err := filepath.Abs("../../examples/distance/distance.go")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// Pairwise's hits for 4 rows of 3, by line from its func line.
	fn := 1 + strings.Count(string(src[:strings.Index(string(src), "\nfunc Pairwise(")+1]), "\n")
	hits := map[int]int64{}
	for d, h := range map[int]int64{1: 1, 2: 1, 3: 5, 4: 4, 5: 20, 6: 16, 7: 64, 8: 48, 9: 48, 11: 16, 14: 1} {
		hits[fn+d] = h
	}
	fns := lprunReport(t, c, "%lprun --max-time 200ms -f pairs.Pairwise pairs.Pairwise(M)", 1)
	checkFunc(t, fns[0], "distance.Pairwise", file, fn, string(src), hits)
}

// lprunReport runs a %lprun cell, checks that it showed one report as
// text and HTML, and returns the text's functions (n of them).
func lprunReport(t *testing.T, c *cellRunner, code string, n int) []reportFunc {
	t.Helper()
	r, _, err := c.record(code)
	if err != nil || len(r.displays) != 1 {
		t.Fatalf("%s: %v, %d displays\n%s", code, err, len(r.displays), r.streams.String())
	}
	text, _ := r.displays[0]["text/plain"].(string)
	html, _ := r.displays[0]["text/html"].(string)
	fns := parseReport(t, text)
	if len(fns) != n {
		t.Fatalf("%s: %d functions in the report, want %d:\n%s", code, len(fns), n, text)
	}
	for _, fn := range fns {
		// The HTML table has the same rows: line number, hits.
		for _, row := range fn.rows {
			if cell := fmt.Sprintf("<td>%d</td><td>%s</td>", row.line, row.hits); !strings.Contains(html, cell) {
				t.Errorf("%s: the HTML table has no row %s", code, cell)
			}
		}
	}
	return fns
}

// named returns the function of a report with that name.
func named(t *testing.T, fns []reportFunc, name string) reportFunc {
	t.Helper()
	for _, fn := range fns {
		if fn.name == name {
			return fn
		}
	}
	t.Fatalf("no function %s in the report: %+v", name, fns)
	return reportFunc{}
}

// reportFunc is one function of line_profiler's text report.
type reportFunc struct {
	total, file, name string
	line              int
	rows              []reportRow
}

type reportRow struct {
	line                          int
	hits, time, perHit, pct, text string
}

// parseReport reads line_profiler's text report by its columns (lineprof's
// row format "%6s %9s %12s %8s %8s  %-s"), failing on any other line.
func parseReport(t *testing.T, text string) []reportFunc {
	t.Helper()
	var fns []reportFunc
	var fn *reportFunc
	inRows := false
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "Total time: "):
			fns = append(fns, reportFunc{total: strings.TrimSuffix(strings.TrimPrefix(l, "Total time: "), " s")})
			fn, inRows = &fns[len(fns)-1], false
		case fn == nil:
			// The header: Timer unit, Hits, Time, notes.
		case strings.HasPrefix(l, "File: "):
			fn.file = strings.TrimPrefix(l, "File: ")
		case strings.HasPrefix(l, "Function: "):
			name, line, ok := strings.Cut(strings.TrimPrefix(l, "Function: "), " at line ")
			n, err := strconv.Atoi(line)
			if !ok || err != nil {
				t.Fatalf("report line %q", l)
			}
			fn.name, fn.line = name, n
		case l == "Line #      Hits         Time  Per Hit   % Time  Line Contents":
		case l == strings.Repeat("=", 62):
			inRows = true
		case l == "":
			inRows = false
		case inRows && len(l) >= 48:
			n, err := strconv.Atoi(strings.TrimSpace(l[:6]))
			if err != nil {
				t.Fatalf("report row %q", l)
			}
			fn.rows = append(fn.rows, reportRow{line: n, hits: strings.TrimSpace(l[7:16]), time: strings.TrimSpace(l[17:29]),
				perHit: strings.TrimSpace(l[30:38]), pct: strings.TrimSpace(l[39:47]), text: strings.TrimPrefix(l[47:], "  ")})
		default:
			t.Fatalf("unexpected report line %q in:\n%s", l, text)
		}
	}
	return fns
}

// checkFunc checks one function of a report: its name, its file (a cell
// or a path), its first line, one row per line of src from there to the
// closing brace with src's text, exactly hits on the lines that ran and
// none elsewhere, and numbers in the other columns of those lines (their
// values are the machine's: only their format and total are checked).
func checkFunc(t *testing.T, fn reportFunc, name, file string, line int, src string, hits map[int]int64) {
	t.Helper()
	if fn.name != name || fn.file != file || fn.line != line {
		t.Errorf("function %s (%s) at line %d, want %s (%s) at line %d", fn.name, fn.file, fn.line, name, file, line)
	}
	lines := strings.Split(src, "\n")
	end := line
	for end <= len(lines) && lines[end-1] != "}" {
		end++
	}
	if len(fn.rows) != end-line+1 {
		t.Fatalf("%s: %d rows, want lines %d-%d: %+v", name, len(fn.rows), line, end, fn.rows)
	}
	total, err := strconv.ParseFloat(fn.total, 64)
	if err != nil {
		t.Errorf("%s: Total time %q", name, fn.total)
	}
	pctSum := 0.0
	for i, row := range fn.rows {
		n := line + i
		// The report expands tabs, to 8 columns; the sources' are leading.
		if text := strings.ReplaceAll(lines[n-1], "\t", "        "); row.line != n || row.text != text {
			t.Errorf("%s: row %d is line %d %q, want %d %q", name, i, row.line, row.text, n, text)
		}
		want, ran := hits[n]
		if !ran {
			if row.hits != "" || row.time != "" {
				t.Errorf("%s: line %d has hits %q, time %q; want none", name, n, row.hits, row.time)
			}
			continue
		}
		if row.hits != strconv.FormatInt(want, 10) {
			t.Errorf("%s: line %d has %s hits, want %d", name, n, row.hits, want)
		}
		tm, err1 := strconv.ParseFloat(row.time, 64)
		per, err2 := strconv.ParseFloat(row.perHit, 64)
		pct, err3 := 0.0, error(nil)
		if total > 0 || row.pct != "" { // no % Time of a total of 0
			pct, err3 = strconv.ParseFloat(row.pct, 64)
		}
		if err1 != nil || err2 != nil || err3 != nil || tm < 0 || per < 0 || pct < 0 || pct > 100 {
			t.Errorf("%s: line %d: time %q, per hit %q, %% time %q", name, n, row.time, row.perHit, row.pct)
		}
		pctSum += pct
	}
	// % Time adds up to 100 (each rounded to 0.1) once any time was seen.
	if total > 0 && (pctSum < 99.5 || pctSum > 100.5) {
		t.Errorf("%s: %% Time adds up to %.1f", name, pctSum)
	}
}

// dirSnapshot returns the names and contents of a directory's files.
func dirSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		out[e.Name()] = string(b)
	}
	return out
}

func slicesOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
