package scaling

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gospeedup/speedup/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WritePlot draws the speedup against P into the file path, an SVG or PNG
// picked by its extension (.svg or .png). The file is written to a
// temporary name in the same directory and renamed into place, so that an
// error (or an interrupt) never leaves a truncated picture behind.
func (r *Report) WritePlot(path string) error {
	format, err := PlotFormat(path)
	if err != nil {
		return err
	}
	err = atomicfile.Write(path, func(w io.Writer) error { return r.Plot(w, format) })
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

// PlotFormat returns the image format WritePlot uses for path ("svg" or
// "png", from its extension), or an error for any other extension, so that
// a command can reject a bad file name before spending minutes measuring.
func PlotFormat(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg", ".png":
		return ext[1:], nil
	default:
		return "", fmt.Errorf("plot file %q must end in .svg or .png", path)
	}
}

// Plot draws the speedup against P in format ("svg" or "png") to w: the
// measured speedups with error bars (one standard deviation, propagated from
// the two times), the ideal line S = P, the fitted Amdahl curve with its
// ceiling 1/f, and a vertical line at the number of cores when some P
// exceed it.
func (r *Report) Plot(w io.Writer, format string) error {
	if len(r.Points) == 0 {
		return errors.New("plot: no points")
	}
	p := plot.New()
	p.Title.Text = "Speedup vs workers"
	p.X.Label.Text = "workers P (GOMAXPROCS)"
	p.Y.Label.Text = "speedup T1/TP"

	maxP := float64(r.Points[len(r.Points)-1].Procs)
	pts, errs := speedupBars(r.Points)
	maxS := maxP
	ticks := make([]plot.Tick, len(r.Points))
	for i, pt := range r.Points {
		maxS = math.Max(maxS, pt.Speedup+errs[i].High)
		ticks[i] = plot.Tick{Value: float64(pt.Procs), Label: strconv.Itoa(pt.Procs)}
	}
	// Ticks at the measured P only: fractional worker counts mean nothing.
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = 0, maxP*1.05
	p.Y.Min, p.Y.Max = 0, maxS*1.05

	ideal := plotter.NewFunction(func(x float64) float64 { return x })
	ideal.Color = color.Gray{Y: 128}
	ideal.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	ideal.XMin, ideal.XMax = 0, maxP*1.05
	p.Add(ideal)
	p.Legend.Add("ideal S = P", ideal)

	// Beyond the cores the points measure oversubscription: a vertical
	// line shows where that starts, since the fit uses those points too.
	if r.NumCPU > 0 && maxP > float64(r.NumCPU) {
		if err := addCores(p, r.NumCPU, maxS*1.05); err != nil {
			return err
		}
	}
	if r.Amdahl.Fitted {
		addAmdahl(p, r.Amdahl, maxP*1.05)
	}
	if err := addMeasured(p, pts, errs); err != nil {
		return err
	}
	p.Legend.Top = true
	p.Legend.Left = true

	wt, err := p.WriterTo(5*vg.Inch, 3.5*vg.Inch, format)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

// speedupBars returns the measured speedups against P and their error
// bars: a first-order propagation of the two relative errors into
// S = T1/TP, none at P = 1 where the ratio is 1 by definition. points are
// sorted by P, P = 1 first.
func speedupBars(points []Point) (plotter.XYs, plotter.YErrors) {
	base := points[0]
	pts := make(plotter.XYs, len(points))
	errs := make(plotter.YErrors, len(points))
	for i, pt := range points {
		pts[i] = plotter.XY{X: float64(pt.Procs), Y: pt.Speedup}
		var e float64
		if i > 0 {
			e = pt.Speedup * math.Hypot(base.Stdev/base.Mean, pt.Stdev/pt.Mean)
		}
		errs[i].Low, errs[i].High = e, e
	}
	return pts, errs
}

// addCores adds to p a vertical line from 0 to top at numCPU workers.
func addCores(p *plot.Plot, numCPU int, top float64) error {
	cores, err := plotter.NewLine(plotter.XYs{{X: float64(numCPU), Y: 0}, {X: float64(numCPU), Y: top}})
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	cores.Color = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	cores.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
	p.Add(cores)
	p.Legend.Add(fmt.Sprintf("cores (runtime.NumCPU = %d)", numCPU), cores)
	return nil
}

// addAmdahl adds to p the curve of the fitted law a from P = 1 to xMax.
func addAmdahl(p *plot.Plot, a Amdahl, xMax float64) {
	curve := plotter.NewFunction(a.Speedup)
	curve.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	curve.Width = vg.Points(1.5)
	curve.XMin, curve.XMax = 1, xMax
	curve.Samples = 200
	p.Add(curve)
	p.Legend.Add(fmt.Sprintf("Amdahl fit, f = %s (max %s)", formatFraction(a.SerialFraction), formatCeiling(a.MaxSpeedup)), curve)
}

// addMeasured adds to p the measured points with their error bars.
func addMeasured(p *plot.Plot, pts plotter.XYs, errs plotter.YErrors) error {
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	sc.GlyphStyle.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	sc.GlyphStyle.Radius = vg.Points(3)
	eb, err := plotter.NewYErrorBars(struct {
		plotter.XYer
		plotter.YErrorer
	}{pts, errs})
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	eb.Color = sc.GlyphStyle.Color
	p.Add(eb, sc)
	p.Legend.Add("measured (± 1 std. dev.)", sc)
	return nil
}
