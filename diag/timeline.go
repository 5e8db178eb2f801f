package diag

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gospeedup/speedup/internal/durfmt"
)

// Timeline is an Observer that draws what it saw as a self-contained SVG
// picture, one row per worker and one rectangle per task, like Dask's task
// stream: idle gaps, stragglers and serial stretches show at a glance.
// Rectangles are colored by task name (the same name always gets the same
// color) without a trailing "#id", so that lazy's nodes "inc#2" and "inc#3"
// share the color and legend entry of "inc", as in Dask; tasks that failed are outlined in red, and hovering a rectangle
// shows the task's name, worker and duration. The picture has a time axis
// and a legend, and needs no script or external file.
//
// Create a Timeline with NewTimeline: it needs a Recorder.
type Timeline struct {
	*Recorder
	// Title is drawn above the rows; by default it sums up the run.
	Title string
	// Width is the picture's width in pixels; 960 by default.
	Width int
}

// NewTimeline returns a Timeline that reads the events of r, or of a new
// Recorder when r is nil (see NewTrace on sharing a Recorder).
func NewTimeline(r *Recorder) *Timeline {
	if r == nil {
		r = NewRecorder()
	}
	return &Timeline{Recorder: r}
}

// palette is Tableau 10 followed by two darker hues: distinct to most eyes,
// readable on white, and fixed so that pictures from different runs agree.
var palette = []string{
	"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
	"#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1f5f8b", "#8c6d31",
}

// colors assigns a palette color to each name. A name's first choice comes
// from a hash of the name, so that it keeps its color across runs and
// pictures; names are placed in sorted order and move to the next free
// color on a collision, so that a small picture never shows two names in
// one color (until there are more names than colors).
func colors(names []string) map[string]string {
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	used := make([]bool, len(palette))
	free := len(palette)
	out := make(map[string]string, len(sorted))
	for _, n := range sorted {
		h := fnv.New32a()
		io.WriteString(h, n)
		i := int(h.Sum32() % uint32(len(palette)))
		if free > 0 {
			for used[i] {
				i = (i + 1) % len(palette)
			}
			used[i] = true
			free--
		}
		out[n] = palette[i]
	}
	return out
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

// esc escapes s for SVG text and attributes. Characters XML forbids even
// escaped (control characters such as the ESC of colored error messages)
// and invalid UTF-8 become U+FFFD, so that no task name or error can make
// the picture unreadable.
func esc(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return utf8.RuneError
		}
		return r
	}, s)
	return xmlEscaper.Replace(s)
}

// niceStep returns a tick step of 1, 2 or 5 times a power of ten, so that
// about target ticks cover span.
func niceStep(span time.Duration, target int) time.Duration {
	raw := float64(span) / float64(target)
	if raw < 1 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return time.Duration(math.Round(m * mag))
		}
	}
	return time.Duration(math.Round(10 * mag))
}

// tickLabel writes v in unit with as many decimals as the step needs.
func tickLabel(v, step, unit time.Duration, suffix string) string {
	dec := 0
	for s := step; s%unit != 0 && dec < 9; dec++ {
		s *= 10
	}
	return fmt.Sprintf("%.*f %s", dec, float64(v)/float64(unit), suffix)
}

// textWidth estimates the width of s in the 12 px sans-serif font used for
// labels; SVG cannot measure text, and an estimate is enough to lay out
// the legend.
func textWidth(s string) float64 { return 7 * float64(len([]rune(s))) }

// The timeline's geometry, in pixels.
const (
	tlLeft, tlRight, tlTop = 80.0, 24.0, 44.0
	tlRowH, tlRowGap       = 26.0, 4.0
	tlAxisH                = 36.0
	tlLegendRow            = 20.0
)

// timelineLayout is where the parts of one picture go.
type timelineLayout struct {
	s       Summary
	width   int
	workers int
	plotW   float64 // width of the rows
	rowsH   float64 // height of all rows
	span    time.Duration
}

// x returns the horizontal position of t.
func (l *timelineLayout) x(t time.Time) float64 {
	return tlLeft + l.plotW*float64(t.Sub(l.s.Begin))/float64(l.span)
}

// rowY returns the top of worker's row.
func rowY(worker int) float64 { return tlTop + float64(worker)*(tlRowH+tlRowGap) }

// legendEntry is one name of the legend: its tasks' count and total time.
type legendEntry struct {
	name  string
	n     int
	total time.Duration
}

// legendEntries returns one entry per group of task names, the busiest
// first (ties by name), and the groups in the order they first appear.
func legendEntries(tasks []Task) ([]*legendEntry, []string) {
	byName := map[string]*legendEntry{}
	var names []string
	for _, t := range tasks {
		g := group(t.Name)
		e := byName[g]
		if e == nil {
			e = &legendEntry{name: g}
			byName[g] = e
			names = append(names, g)
		}
		e.n++
		e.total += t.End.Sub(t.Start)
	}
	entries := make([]*legendEntry, 0, len(byName))
	for _, e := range byName {
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b *legendEntry) int {
		return cmp.Or(cmp.Compare(b.total, a.total), cmp.Compare(a.name, b.name))
	})
	return entries, names
}

// legendItem is a legend entry placed in the picture.
type legendItem struct {
	x, y  float64
	label string
	color string
}

// placeLegend flows the entries into rows from (tlLeft, y) within width
// and returns them placed, and the top of the last row.
func placeLegend(entries []*legendEntry, color map[string]string, width int, y float64) ([]legendItem, float64) {
	var legend []legendItem
	lx, ly := tlLeft, y
	for _, e := range entries {
		label := fmt.Sprintf("%s ×%d, %s", e.name, e.n, durfmt.Short(e.total))
		w := 18 + textWidth(label) + 18
		if lx > tlLeft && lx+w > float64(width)-tlRight {
			lx, ly = tlLeft, ly+tlLegendRow
		}
		legend = append(legend, legendItem{lx, ly, label, color[e.name]})
		lx += w
	}
	return legend, ly
}

// WriteTo writes the SVG picture to w. It implements io.WriterTo.
func (tl *Timeline) WriteTo(w io.Writer) (int64, error) {
	s := tl.Summary()
	cw := &countWriter{w: w}
	p := func(format string, args ...any) { fmt.Fprintf(cw, format, args...) }

	l := &timelineLayout{s: s, width: tl.Width, workers: max(s.Workers, 1)}
	if l.width <= 0 {
		l.width = 960
	}
	l.plotW = float64(l.width) - tlLeft - tlRight
	l.rowsH = float64(l.workers)*(tlRowH+tlRowGap) - tlRowGap
	l.span = s.End.Sub(s.Begin)
	if l.span <= 0 {
		l.span = 1
	}

	// Legend: one entry per name, the busiest first, with count and total
	// time, flowing into as many rows as the width needs.
	entries, names := legendEntries(s.Tasks)
	color := colors(names)
	legend, ly := placeLegend(entries, color, l.width, tlTop+l.rowsH+tlAxisH+8)
	height := ly + tlLegendRow + 8
	if len(entries) == 0 {
		height = tlTop + l.rowsH + tlAxisH + 8
	}

	title := tl.Title
	if title == "" {
		title = fmt.Sprintf("%s on %s in %s", plural(len(s.Tasks), "task"), plural(l.workers, "worker"), durfmt.Short(s.End.Sub(s.Begin)))
	}

	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%.0f" viewBox="0 0 %d %.0f" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		l.width, height, l.width, height)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	p(`<text x="%.1f" y="24" font-size="15" font-weight="bold" fill="#222222">%s</text>`+"\n", tlLeft, esc(title))

	// Rows: a light band per worker so that idle time reads as a gap.
	for i := range l.workers {
		y := rowY(i)
		p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#f2f2f2"/>`+"\n", tlLeft, y, l.plotW, tlRowH)
		p(`<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="central" fill="#444444">worker %d</text>`+"\n", tlLeft-8, y+tlRowH/2, i)
	}

	// Axis with grid lines under the tasks, so tasks stay on top.
	writeAxis(p, l)
	writeTasks(p, l, color)

	if len(entries) == 0 {
		p(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#888888">no tasks</text>`+"\n", tlLeft+l.plotW/2, tlTop+l.rowsH/2+4)
	}
	for _, e := range legend {
		p(`<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s"/>`+"\n", e.x, e.y, e.color)
		p(`<text x="%.1f" y="%.1f" fill="#222222">%s</text>`+"\n", e.x+18, e.y+10.5, esc(e.label))
	}
	p("</svg>\n")
	return cw.n, cw.err
}

// writeAxis writes the time axis of l with p: its ticks, their grid lines
// across the rows, and their labels.
func writeAxis(p func(string, ...any), l *timelineLayout) {
	step := niceStep(l.span, 8)
	unit, suffix := durfmt.UnitOf(l.span)
	axisY := tlTop + l.rowsH + 6
	p(`<g stroke="#999999" stroke-width="1">` + "\n")
	p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", tlLeft, axisY, tlLeft+l.plotW, axisY)
	for v := time.Duration(0); v <= l.span; v += step {
		tx := l.x(l.s.Begin.Add(v))
		p(`<line x1="%.2f" y1="%.1f" x2="%.2f" y2="%.1f" stroke="#dddddd"/>`+"\n", tx, tlTop, tx, tlTop+l.rowsH)
		p(`<line x1="%.2f" y1="%.1f" x2="%.2f" y2="%.1f"/>`+"\n", tx, axisY, tx, axisY+5)
	}
	p("</g>\n")
	p(`<g fill="#444444" text-anchor="middle">` + "\n")
	for v := time.Duration(0); v <= l.span; v += step {
		p(`<text x="%.2f" y="%.1f">%s</text>`+"\n", l.x(l.s.Begin.Add(v)), axisY+18, esc(tickLabel(v, step, unit, suffix)))
	}
	p("</g>\n")
}

// writeTasks writes one rectangle per task of l with p, in its group's
// color, with a tooltip. A task too short to see still gets a sliver, so
// that a burst of tiny tasks is visible rather than an empty row.
func writeTasks(p func(string, ...any), l *timelineLayout, color map[string]string) {
	p("<g>\n")
	for _, t := range l.s.Tasks {
		x0 := l.x(t.Start)
		// A 1-pixel gap between back-to-back tasks shows where one ends
		// and the next begins.
		w := l.x(t.End) - x0
		if w > 3 {
			w--
		}
		w = max(w, 0.5)
		y := rowY(t.Worker)
		d := t.End.Sub(t.Start)
		tip := fmt.Sprintf("%s (#%d, worker %d): %s", displayName(t.Name), t.ID, t.Worker, durfmt.Short(d))
		stroke := ""
		if t.Err != nil {
			tip += "\nerror: " + t.Err.Error()
			stroke = ` stroke="#d62728" stroke-width="2"`
		}
		p(`<rect x="%.2f" y="%.1f" width="%.2f" height="%.1f" fill="%s"%s><title>%s</title></rect>`+"\n",
			x0, y+1, w, tlRowH-2, color[group(t.Name)], stroke, esc(tip))
	}
	p("</g>\n")
}

// plural returns n and the noun, with an s unless n is 1: "1 worker",
// "2 workers", as the Workers(1) runs that one debugs with say.
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// group is the name a task is colored and listed by: its name without a
// trailing "#digits" (lazy names nodes "inc#2"), so that all calls of one
// function look alike.
func group(name string) string {
	i := strings.LastIndexByte(name, '#')
	if i <= 0 || i == len(name)-1 {
		return displayName(name)
	}
	for _, r := range name[i+1:] {
		if r < '0' || r > '9' {
			return displayName(name)
		}
	}
	return name[:i]
}

// displayName stands in for tasks reported without a name.
func displayName(n string) string {
	if n == "" {
		return "task"
	}
	return n
}

// WriteFile writes the SVG picture to the named file, atomically.
func (tl *Timeline) WriteFile(path string) error {
	return writeFileAtomic(path, tl)
}
