package tsnr

import (
	"context"
	"math"
	"testing"

	"github.com/gospeedup/speedup/par"
)

func small(t *testing.T) *Series {
	t.Helper()
	s, err := Synthetic(context.Background(), 9, 7, 5, 53, 42)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Chunked agrees with the two-pass Serial to 1e-12 relative, whatever the
// chunking and the number of workers.
func TestChunkedMatchesSerial(t *testing.T) {
	s := small(t)
	want := Serial(s)
	ctx := context.Background()
	for _, chunk := range []int{0, 1, 2, 7, 52, 53, 100} {
		for _, w := range []int{1, 2, 4} {
			got, err := Chunked(ctx, s, par.ChunkSize(chunk), par.Workers(w))
			if err != nil {
				t.Fatal(err)
			}
			for name, pair := range map[string][2][]float64{
				"mean": {got.Mean, want.Mean}, "std": {got.Std, want.Std}, "tsnr": {got.TSNR, want.TSNR},
			} {
				if d := MaxRelDiff(pair[0], pair[1]); d > 1e-12 {
					t.Errorf("chunk %d, %d workers: %s differs by %g", chunk, w, name, d)
				}
			}
		}
	}
}

// Serial itself against a direct computation in the textbook form, on one
// voxel.
func TestSerialByHand(t *testing.T) {
	s := &Series{NX: 1, NY: 1, NZ: 2, NT: 4, Data: []float64{
		1, 10,
		2, 10,
		3, 10,
		4, 10,
	}}
	r := Serial(s)
	// Voxel 0: mean 2.5, deviations ±0.5, ±1.5: variance 5/4.
	if r.Mean[0] != 2.5 || r.Std[0] != math.Sqrt(1.25) || r.TSNR[0] != 2.5/math.Sqrt(1.25) {
		t.Errorf("voxel 0: %v %v %v", r.Mean[0], r.Std[0], r.TSNR[0])
	}
	// Voxel 1 is constant: std 0 and tSNR 0 by convention, not +Inf.
	if r.Mean[1] != 10 || r.Std[1] != 0 || r.TSNR[1] != 0 {
		t.Errorf("voxel 1: %v %v %v", r.Mean[1], r.Std[1], r.TSNR[1])
	}
}

// The merge is exact on data where the naive one-pass formula
// (sum x² - n·mean²) loses everything: a huge mean and a tiny spread.
func TestMergeStableWithLargeMean(t *testing.T) {
	const base = 1e9
	xs := []float64{base + 4, base + 7, base + 13, base + 16}
	vols := make([][]float64, len(xs))
	for i, x := range xs {
		vols[i] = []float64{x}
	}
	a := moments(vols[:1], 1)
	for _, v := range vols[1:] {
		a = Merge(a, moments([][]float64{v}, 1))
	}
	// Mean base+10, deviations -6, -3, 3, 6: M2 = 90.
	if a.N != 4 || a.Mean[0] != base+10 || a.M2[0] != 90 {
		t.Errorf("merged: n %d mean %v M2 %v, want 4, %v, 90", a.N, a.Mean[0], a.M2[0], base+10.0)
	}
	var sum, sumsq float64
	for _, x := range xs {
		sum += x
		sumsq += x * x
	}
	// The point of the exercise: the one-pass formula keeps no correct
	// digit here (it even goes negative), so the data do show the
	// cancellation that Merge avoids.
	if naive := sumsq - sum*sum/4; math.Abs(naive-90) < 90 {
		t.Errorf("the naive formula gives %v, near the true 90: the test data do not show the cancellation", naive)
	}
	if m := Merge(Stats{}, a); m.N != 4 {
		t.Error("merging an empty Stats changed the result")
	}
}

// Synthetic data depend on the seed only, not on the number of workers.
func TestSyntheticDeterministic(t *testing.T) {
	ctx := context.Background()
	a, err := Synthetic(ctx, 4, 4, 3, 10, 7, par.Workers(1))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Synthetic(ctx, 4, 4, 3, 10, 7, par.Workers(3))
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatalf("data differ at %d", i)
		}
	}
	if _, err := Synthetic(ctx, 0, 1, 1, 1, 1); err == nil {
		t.Error("an empty shape should fail")
	}
}

func TestChunkedCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Chunked(ctx, small(t)); err == nil {
		t.Error("a cancelled context should fail")
	}
}

func BenchmarkSerial(b *testing.B) {
	s, _ := Synthetic(context.Background(), 64, 64, 32, 100, 1)
	for b.Loop() {
		Serial(s)
	}
}

func BenchmarkChunked(b *testing.B) {
	s, _ := Synthetic(context.Background(), 64, 64, 32, 100, 1)
	ctx := context.Background()
	for b.Loop() {
		if _, err := Chunked(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}
