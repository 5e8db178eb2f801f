package distance

import (
	"context"
	"errors"
	"testing"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/par"
)

func TestPairwiseParallelIdentical(t *testing.T) {
	ctx := context.Background()
	for _, shape := range [][2]int{{0, 0}, {1, 3}, {7, 5}, {100, 100}, {257, 31}} {
		X := randMatrix(shape[0], shape[1])
		want := Pairwise(X)
		for _, w := range []int{1, 2, 3, 8} {
			got, err := PairwiseParallel(ctx, X, par.Workers(w))
			if err != nil {
				t.Fatal(err)
			}
			if !got.EqualBits(want) {
				t.Errorf("%dx%d, %d workers: parallel result differs from serial", shape[0], shape[1], w)
			}
		}
	}
}

func TestPairwiseParallelObserved(t *testing.T) {
	r := diag.NewRecorder()
	X := randMatrix(50, 10)
	if _, err := PairwiseParallel(context.Background(), X, par.Workers(2), par.Observe(r)); err != nil {
		t.Fatal(err)
	}
	tasks := r.Tasks()
	if len(tasks) == 0 {
		t.Fatal("no tasks observed")
	}
	for _, task := range tasks {
		if task.Name != "distance row" {
			t.Errorf("task named %q", task.Name)
		}
	}
}

func TestPairwiseParallelCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := PairwiseParallel(ctx, randMatrix(10, 10)); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// The pair of benchmarks compares serial and parallel on the tutorial's
// 1000x1000 size; bench/distpar runs them side by side with a summary.
func BenchmarkPairwise1000(b *testing.B) {
	X := randMatrix(1000, 1000)
	for b.Loop() {
		Pairwise(X)
	}
}

func BenchmarkPairwiseParallel1000(b *testing.B) {
	X := randMatrix(1000, 1000)
	ctx := context.Background()
	for b.Loop() {
		if _, err := PairwiseParallel(ctx, X); err != nil {
			b.Fatal(err)
		}
	}
}
