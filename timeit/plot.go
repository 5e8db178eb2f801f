package timeit

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gospeedup/speedup/internal/atomicfile"
	"github.com/gospeedup/speedup/internal/durfmt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// SweepPoint is the measurement at one value of a sweep parameter. X is the
// value as a number (the position on the plot's x axis and in the fit).
type SweepPoint struct {
	Value  any
	X      float64
	Result *Result
}

// PlotSweep draws the time per loop against the sweep parameter on log-log
// axes and writes it to path as SVG or PNG, chosen by the extension. Each
// point is the mean with a bar from the fastest to the slowest run; fit,
// if not nil, adds the fitted power law as a line. The file is written
// to a temporary file in the same directory and renamed into place, so a
// failure never leaves a half-written plot behind.
func PlotSweep(path string, param string, pts []SweepPoint, fit *Fit) error {
	format := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	if format != "svg" && format != "png" {
		return fmt.Errorf("plot %s: unsupported file extension %q; use .svg or .png", path, filepath.Ext(path))
	}
	if len(pts) == 0 {
		return fmt.Errorf("plot %s: no points to draw", path)
	}
	if param == "" {
		param = "x"
	}
	ps, err := plotPoints(param, pts)
	if err != nil {
		return fmt.Errorf("plot %s: %v", path, err)
	}

	// One unit for the whole axis, picked for the geometric middle of the
	// data, so the labels read "time per loop (µs)" with plain numbers.
	var all, xs, ys []float64
	for _, q := range ps {
		all = append(all, q.best, q.worst)
		xs = append(xs, q.x)
		ys = append(ys, q.mean)
	}
	lo, hi := minMax(all)
	scale, unit := durfmt.Unit(math.Sqrt(lo * hi))

	p := plot.New()
	p.Title.Text = "time per loop vs " + param
	p.X.Label.Text = param
	p.Y.Label.Text = "time per loop (" + unit + ")"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = logTicker{}, logTicker{}
	p.Add(plotter.NewGrid())
	if err := addMeans(p, ps, scale); err != nil {
		return fmt.Errorf("plot %s: %v", path, err)
	}
	p.Legend.Top = true
	p.Legend.Left = true

	xlo, xhi := minMax(xs)
	if fit != nil && !math.IsNaN(fit.Exponent) && !math.IsInf(fit.Exponent, 0) {
		f := *fit
		f.Param = param
		if err := addFit(p, f, intercept(xs, ys, fit.Exponent), xlo, xhi, scale); err != nil {
			return fmt.Errorf("plot %s: %v", path, err)
		}
	}

	// Pad both axes by a fraction of a decade so that points and bars do
	// not sit on the frame, and so that a single point has a range.
	const pad = 1.25
	p.X.Min, p.X.Max = xlo/pad, xhi*pad
	p.Y.Min, p.Y.Max = math.Min(p.Y.Min, lo*scale)/pad, math.Max(p.Y.Max, hi*scale)*pad*1.6 // room for the legend

	if err := writePlot(path, p, format); err != nil {
		return fmt.Errorf("plot %s: %v", path, err)
	}
	return nil
}

// plotPoint is one point of a sweep plot: the parameter's value and the
// mean, fastest and slowest time per loop, in seconds.
type plotPoint struct{ x, mean, best, worst float64 }

// plotPoints returns the points of pts, after checking everything a log
// axis cannot show before gonum sees it: its log scale panics on
// non-positive values.
func plotPoints(param string, pts []SweepPoint) ([]plotPoint, error) {
	var ps []plotPoint
	for _, sp := range pts {
		if sp.Result == nil {
			return nil, fmt.Errorf("no result for %s=%v", param, sp.Value)
		}
		if !(sp.X > 0) || math.IsInf(sp.X, 0) {
			return nil, fmt.Errorf("%s=%v is not a positive number; a log axis cannot show it", param, sp.Value)
		}
		st := sp.Result.stats()
		if len(st.times) == 0 {
			return nil, fmt.Errorf("no runs for %s=%v", param, sp.Value)
		}
		if !(st.best > 0) {
			return nil, fmt.Errorf("a run at %s=%v took no measurable time; a log axis cannot show it", param, sp.Value)
		}
		ps = append(ps, plotPoint{sp.X, st.mean, st.best, st.worst})
	}
	return ps, nil
}

// addMeans adds to p the means of ps, times scale, with bars from the
// fastest to the slowest run.
func addMeans(p *plot.Plot, ps []plotPoint, scale float64) error {
	means := make(plotter.XYs, len(ps))
	spread := make(plotter.YErrors, len(ps))
	for i, q := range ps {
		means[i] = plotter.XY{X: q.x, Y: q.mean * scale}
		spread[i].Low = (q.mean - q.best) * scale
		spread[i].High = (q.worst - q.mean) * scale
	}
	bars, err := plotter.NewYErrorBars(struct {
		plotter.XYs
		plotter.YErrors
	}{means, spread})
	if err != nil {
		return err
	}
	bars.LineStyle.Width = vg.Points(1)
	scatter, err := plotter.NewScatter(means)
	if err != nil {
		return err
	}
	scatter.GlyphStyle.Radius = vg.Points(3)
	p.Add(bars, scatter)
	p.Legend.Add("mean (bar: fastest to slowest run)", scatter)
	return nil
}

// addFit adds to p the power law of fit with log intercept c, times scale,
// from xlo to xhi.
func addFit(p *plot.Plot, fit Fit, c, xlo, xhi, scale float64) error {
	const steps = 64
	line := make(plotter.XYs, steps+1)
	for i := range line {
		lx := math.Log(xlo) + (math.Log(xhi)-math.Log(xlo))*float64(i)/steps
		line[i] = plotter.XY{X: math.Exp(lx), Y: math.Exp(c+fit.Exponent*lx) * scale}
	}
	l, err := plotter.NewLine(line)
	if err != nil {
		return err
	}
	l.LineStyle.Color = color.RGBA{R: 200, G: 40, B: 40, A: 255}
	l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l)
	p.Legend.Add("fit: "+fit.String(), l)
	return nil
}

// writePlot draws p in format to path, through a temporary file renamed
// into place.
func writePlot(path string, p *plot.Plot, format string) error {
	return atomicfile.Write(path, func(w io.Writer) (err error) {
		defer func() {
			// gonum reports some drawing failures by panicking.
			if r := recover(); r != nil {
				err = fmt.Errorf("drawing failed: %v", r)
			}
		}()
		wt, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, format)
		if err != nil {
			return err
		}
		_, err = wt.WriteTo(w)
		return err
	})
}

func minMax(xs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

// logTicker labels a log axis at 1, 2 and 5 times powers of ten when the
// axis spans less than three decades (gonum's LogTicks labels only powers of
// ten, which can leave a narrow sweep without a single label) and at the
// powers of ten otherwise; unlabelled minor ticks mark the other integers.
type logTicker struct{}

// Ticks implements plot.Ticker.
func (logTicker) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > min) {
		return nil
	}
	narrow := math.Log10(max/min) < 3
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		base := math.Pow(10, e)
		for i := 1; i < 10; i++ {
			v := base * float64(i)
			if v < min || v > max {
				continue
			}
			t := plot.Tick{Value: v}
			if i == 1 || (narrow && (i == 2 || i == 5)) {
				t.Label = tickLabel(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// tickLabel writes 20, 500, 0.02 plainly and large or tiny values as 1e4,
// 2e-5: shorter than Go's 1e+04, and sizes of a sweep read best that way.
func tickLabel(v float64) string {
	if v >= 1e4 || v < 1e-3 {
		e := int(math.Floor(math.Log10(v) + 1e-9))
		m := v / math.Pow(10, float64(e))
		return strconv.FormatFloat(math.Round(m*1e6)/1e6, 'g', -1, 64) + "e" + strconv.Itoa(e)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
