// Package tsnr computes the temporal signal-to-noise ratio of a 4-D time
// series (x, y, z, t), the tutorial's example of a reduction done chunk by
// chunk: for every voxel, the mean over time, the standard deviation over
// time, and their ratio tSNR = mean / std, as fMRI quality checks do.
//
// Serial computes them with the textbook two-pass method. Chunked splits
// the time axis into chunks, reduces each chunk on parallel workers with
// par.MapReduce, and merges the partial means and variances with the
// pairwise update of Chan, Golub and LeVeque, which stays accurate where
// the naive sum of squares (sum x² - n·mean²) would lose all its digits to
// cancellation: fMRI signals have a large mean and a small spread.
package tsnr

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"

	"github.com/gospeedup/speedup/par"
)

// Series is a 4-D array of NX x NY x NZ voxels over NT time points. Data
// holds the volumes one after the other, each with x varying fastest (the
// NIfTI order), so that a run of time points is one contiguous slice and a
// chunk of the time axis costs no copy.
type Series struct {
	NX, NY, NZ, NT int
	Data           []float64
}

// Voxels returns the number of voxels of one volume.
func (s *Series) Voxels() int { return s.NX * s.NY * s.NZ }

// Volume returns the volume at time point t, sharing s.Data.
func (s *Series) Volume(t int) []float64 {
	n := s.Voxels()
	return s.Data[t*n : (t+1)*n : (t+1)*n]
}

// Synthetic returns a deterministic fMRI-like series: a bright ellipsoid
// ("brain", baseline about 1000, noise 1% to 4%) in a dim background
// (baseline 50, noise 10), with a slow oscillation and a linear drift, as
// scanners produce. Each volume is drawn from its own generator seeded by
// (seed, t), so the data do not depend on how many workers made them; the
// volumes are made in parallel because drawing tens of millions of normal
// numbers would otherwise dwarf the reduction being demonstrated.
func Synthetic(ctx context.Context, nx, ny, nz, nt int, seed uint64, opts ...par.Option) (*Series, error) {
	if nx < 1 || ny < 1 || nz < 1 || nt < 1 {
		return nil, fmt.Errorf("tsnr: bad shape %dx%dx%dx%d", nx, ny, nz, nt)
	}
	s := &Series{NX: nx, NY: ny, NZ: nz, NT: nt, Data: make([]float64, nx*ny*nz*nt)}
	// Per-voxel baseline and noise level, computed once.
	base, sigma := Phantom(nx, ny, nz)
	err := par.For(ctx, nt, func(ctx context.Context, t int) error {
		FillVolume(s.Volume(t), base, sigma, seed, t)
		return nil
	}, append([]par.Option{par.Name("synthesize")}, opts...)...)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ParseShape parses a series shape written XxYxZxT (as in "64x64x32x300"):
// four positive sizes, the voxels and then the time points.
func ParseShape(s string) ([4]int, error) {
	var d [4]int
	parts := strings.Split(s, "x")
	if len(parts) != 4 {
		return d, fmt.Errorf("shape %q: want XxYxZxT", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return d, fmt.Errorf("shape %q: bad size %q", s, p)
		}
		d[i] = n
	}
	return d, nil
}

// Phantom returns the synthetic series' per-voxel baseline and noise
// level for an nx*ny*nz volume: a bright ellipsoid on a dark background.
func Phantom(nx, ny, nz int) (base, sigma []float64) {
	nv := nx * ny * nz
	base = make([]float64, nv)
	sigma = make([]float64, nv)
	for z := range nz {
		for y := range ny {
			for x := range nx {
				v := (z*ny+y)*nx + x
				dx := (float64(x)+0.5)/float64(nx)*2 - 1
				dy := (float64(y)+0.5)/float64(ny)*2 - 1
				dz := (float64(z)+0.5)/float64(nz)*2 - 1
				r2 := dx*dx/0.8 + dy*dy/0.9 + dz*dz/0.7
				if r2 < 1 {
					base[v] = 1000 - 300*r2
					sigma[v] = base[v] * (0.01 + 0.03*r2)
				} else {
					base[v], sigma[v] = 50, 10
				}
			}
		}
	}
	return base, sigma
}

// FillVolume writes volume t of the synthetic series into vol: the
// baseline with a slow drift, plus noise from a generator seeded by
// (seed, t) alone, so that any volume can be made on its own (par's
// workers, or dist's on other machines) and come out the same.
func FillVolume(vol, base, sigma []float64, seed uint64, t int) {
	rng := rand.New(rand.NewPCG(seed, uint64(t)))
	slow := 1 + 0.005*math.Sin(2*math.Pi*float64(t)/40) + 0.0001*float64(t)
	for v := range vol {
		vol[v] = base[v]*slow + sigma[v]*rng.NormFloat64()
	}
}

// Stats holds per-voxel moments of N time points: the mean and M2, the sum
// of squared deviations from the mean (the variance is M2/N).
type Stats struct {
	N    int
	Mean []float64
	M2   []float64
}

// Result is the per-voxel outcome: mean, standard deviation (the
// population one, dividing by N like numpy's std) and tSNR.
type Result struct {
	Mean, Std, TSNR []float64
}

// Result turns the moments into mean, std and tSNR. A voxel with zero
// standard deviation gets tSNR 0 rather than an infinity, as quality-check
// tools do, so that summaries over voxels stay finite.
func (st Stats) Result() Result {
	r := Result{Mean: st.Mean, Std: make([]float64, len(st.Mean)), TSNR: make([]float64, len(st.Mean))}
	if st.N == 0 {
		return r
	}
	for v := range st.Mean {
		sd := math.Sqrt(st.M2[v] / float64(st.N))
		r.Std[v] = sd
		if sd > 0 {
			r.TSNR[v] = st.Mean[v] / sd
		}
	}
	return r
}

// moments returns the exact two-pass moments of the given volumes: the mean
// first, then the squared deviations from it. Both Serial and every chunk
// of Chunked use it.
func moments(vols [][]float64, nv int) Stats {
	st := Stats{N: len(vols), Mean: make([]float64, nv), M2: make([]float64, nv)}
	if len(vols) == 0 {
		return st
	}
	// Time outer, voxels inner: each volume is read in memory order, one
	// stream at a time, which is what the hardware prefetcher handles best
	// (a voxel-blocked order, tried for cache reuse, was no faster).
	for _, vol := range vols {
		m := st.Mean[:len(vol)]
		for v, x := range vol {
			m[v] += x
		}
	}
	n := float64(len(vols))
	for v := range st.Mean {
		st.Mean[v] /= n
	}
	for _, vol := range vols {
		m, m2 := st.Mean[:len(vol)], st.M2[:len(vol)]
		for v, x := range vol {
			d := x - m[v]
			m2[v] += d * d
		}
	}
	return st
}

// volumes returns the volumes of s as slices (no copy).
func (s *Series) volumes() [][]float64 {
	vols := make([][]float64, s.NT)
	for t := range vols {
		vols[t] = s.Volume(t)
	}
	return vols
}

// Serial computes the statistics in one goroutine with the two-pass
// method: the reference that Chunked is checked against.
func Serial(s *Series) Result {
	return moments(s.volumes(), s.Voxels()).Result()
}

// Merge combines the moments of two disjoint sets of time points, with the
// update of Chan, Golub and LeVeque (1979):
//
//	n    = na + nb
//	δ    = mean_b - mean_a
//	mean = mean_a + δ·nb/n
//	M2   = M2_a + M2_b + δ²·na·nb/n
//
// Every term is a difference of means or a sum of non-negative numbers, so
// nothing cancels catastrophically. Merge writes the result into a's
// slices (a is consumed) to avoid allocating a volume per merge.
func Merge(a, b Stats) Stats {
	if a.N == 0 {
		return b
	}
	if b.N == 0 {
		return a
	}
	n := a.N + b.N
	fb := float64(b.N) / float64(n)
	c := float64(a.N) * float64(b.N) / float64(n)
	mb, m2b := b.Mean[:len(a.Mean)], b.M2[:len(a.Mean)]
	m2a := a.M2[:len(a.Mean)]
	for v, ma := range a.Mean {
		d := mb[v] - ma
		a.Mean[v] = ma + d*fb
		m2a[v] += m2b[v] + d*d*c
	}
	a.N = n
	return a
}

// Chunked computes the statistics by reducing chunks of consecutive time
// points on parallel workers (par.MapReduce; opts such as par.Workers,
// par.ChunkSize and par.Observe are passed on) and merging the partial
// moments with Merge.
//
// By default there are two chunks per GOMAXPROCS, far fewer than par's
// usual grain: every chunk's partial result is two whole volumes (mean and
// M2), all alive until the merge, and fresh memory is expensive (page
// faults) while the time points all cost the same, so a few large chunks
// balance as well and run faster. par.ChunkSize overrides it.
func Chunked(ctx context.Context, s *Series, opts ...par.Option) (Result, error) {
	nv := s.Voxels()
	chunks := 2 * runtime.GOMAXPROCS(0)
	auto := par.ChunkSize((s.NT + chunks - 1) / chunks)
	opts = append([]par.Option{auto}, opts...)
	st, err := par.MapReduce(ctx, s.volumes(),
		func(ctx context.Context, vols [][]float64) (Stats, error) {
			return moments(vols, nv), nil
		},
		Merge,
		append([]par.Option{par.Name("tsnr chunk")}, opts...)...)
	if err != nil {
		return Result{}, err
	}
	return st.Result(), nil
}

// MaxRelDiff returns the largest relative difference |a-b| / |b| between
// two equally long vectors, counting a difference against an exact zero as
// absolute: the measure by which Chunked is checked against Serial.
func MaxRelDiff(a, b []float64) float64 {
	worst := 0.0
	for i := range b {
		d := math.Abs(a[i] - b[i])
		if b[i] != 0 {
			d /= math.Abs(b[i])
		}
		worst = max(worst, d)
	}
	return worst
}
