package par_test

import (
	"context"
	"runtime"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/gospeedup/speedup/par"
)

var trivial = func(ctx context.Context, v int) (int, error) { return 2*v + 1, nil }

func million() []int {
	xs := make([]int, 1_000_000)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

// BenchmarkMap is par.Map over a million trivial items; compare it with
// BenchmarkErrgroupMap (the target is at most 1.2x).
func BenchmarkMap(b *testing.B) {
	xs := million()
	for b.Loop() {
		if _, err := par.Map(context.Background(), xs, trivial); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkErrgroupMap is the hand-written loop par.Map competes with: one
// contiguous chunk per worker.
func BenchmarkErrgroupMap(b *testing.B) {
	xs := million()
	w := runtime.GOMAXPROCS(0)
	for b.Loop() {
		out := make([]int, len(xs))
		g, ctx := errgroup.WithContext(context.Background())
		size := (len(xs) + w - 1) / w
		for lo := 0; lo < len(xs); lo += size {
			hi := min(lo+size, len(xs))
			g.Go(func() error {
				for i := lo; i < hi; i++ {
					r, err := trivial(ctx, xs[i])
					if err != nil {
						return err
					}
					out[i] = r
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMapReduce(b *testing.B) {
	xs := million()
	for b.Loop() {
		_, err := par.MapReduce(context.Background(), xs, func(ctx context.Context, c []int) (int, error) {
			s := 0
			for _, v := range c {
				s += v
			}
			return s, nil
		}, func(a, b int) int { return a + b })
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPoolSubmit(b *testing.B) {
	p := par.NewPool(context.Background())
	for b.Loop() {
		par.Submit(p, func(ctx context.Context) (int, error) { return 1, nil })
	}
	if err := p.Wait(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkPoolSubmitInline(b *testing.B) {
	p := par.NewPool(context.Background(), par.Workers(1))
	for b.Loop() {
		par.Submit(p, func(ctx context.Context) (int, error) { return 1, nil })
	}
	p.Wait()
}
