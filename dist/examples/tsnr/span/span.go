// Package span is the work item of the tutorial's temporal-SNR reduction
// on dist: a span of time points of the synthetic series, which a worker
// makes and reduces by itself, so that only the span's description
// travels. The map function SpanMoments and the merge tsnr.Merge are
// registered with dist when the package is imported.
package span

import (
	"context"

	"github.com/gospeedup/speedup/dist"
	"github.com/gospeedup/speedup/examples/tsnr/tsnr"
)

// Span is one work item: time points [T0, T1) of the synthetic series
// with the given shape and seed.
type Span struct {
	NX, NY, NZ, NT int
	Seed           uint64
	T0, T1         int
}

// Volumes makes the span's volumes exactly as tsnr.Synthetic makes them:
// volume t is drawn from its own generator seeded by (seed, t), so a
// worker can make any span of the series by itself.
func (sp Span) Volumes() [][]float64 {
	base, sigma := tsnr.Phantom(sp.NX, sp.NY, sp.NZ)
	vols := make([][]float64, sp.T1-sp.T0)
	for i := range vols {
		vols[i] = make([]float64, len(base))
		tsnr.FillVolume(vols[i], base, sigma, sp.Seed, sp.T0+i)
	}
	return vols
}

// Moments is the two-pass reduction of one chunk, in the order of the
// tutorial's tsnr package (time outer, voxels inner), so that the results
// agree bit for bit.
func Moments(vols [][]float64, nv int) tsnr.Stats {
	st := tsnr.Stats{N: len(vols), Mean: make([]float64, nv), M2: make([]float64, nv)}
	if len(vols) == 0 {
		return st
	}
	for _, vol := range vols {
		for v, x := range vol {
			st.Mean[v] += x
		}
	}
	n := float64(len(vols))
	for v := range st.Mean {
		st.Mean[v] /= n
	}
	for _, vol := range vols {
		for v, x := range vol {
			d := x - st.Mean[v]
			st.M2[v] += d * d
		}
	}
	return st
}

// SpanMoments is the map function: make the span's volumes, reduce them.
func SpanMoments(ctx context.Context, sp Span) (tsnr.Stats, error) {
	return Moments(sp.Volumes(), sp.NX*sp.NY*sp.NZ), nil
}

func init() {
	dist.RegisterMap(SpanMoments)
	dist.RegisterReduce(tsnr.Merge)
}

// Spans cuts the time axis of an nx x ny x nz x nt series into spans of
// size time points.
func Spans(nx, ny, nz, nt int, seed uint64, size int) []Span {
	var out []Span
	for t0 := 0; t0 < nt; t0 += size {
		out = append(out, Span{NX: nx, NY: ny, NZ: nz, NT: nt, Seed: seed, T0: t0, T1: min(t0+size, nt)})
	}
	return out
}
