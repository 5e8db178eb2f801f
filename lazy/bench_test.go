package lazy_test

import (
	"context"
	"testing"

	"github.com/gospeedup/speedup/lazy"
)

func wideGraph(n int) *lazy.Node[int] {
	leaves := make([]*lazy.Node[int], n)
	for i := range leaves {
		leaves[i] = lazy.Call1(inc, lazy.Value(i))
	}
	return lazy.CallN(sum, leaves...)
}

func chainGraph(n int) *lazy.Node[int] {
	x := lazy.Value(0)
	for range n {
		x = lazy.Call1(inc, x)
	}
	return x
}

// benchCompute reports the cost of computing a graph of 100,000 trivial
// calls, per call (the target is at most 1 µs).
func benchCompute(b *testing.B, g *lazy.Node[int], opts ...lazy.Option) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := lazy.Compute(ctx, g, opts...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100_000, "ns/task")
}

func BenchmarkComputeWide(b *testing.B)         { benchCompute(b, wideGraph(100_000)) }
func BenchmarkComputeWideWorkers1(b *testing.B) { benchCompute(b, wideGraph(100_000), lazy.Workers(1)) }
func BenchmarkComputeChain(b *testing.B)        { benchCompute(b, chainGraph(100_000)) }
func BenchmarkComputeChainLabels(b *testing.B) {
	benchCompute(b, chainGraph(100_000), lazy.Labels(true))
}

func BenchmarkBuildChain(b *testing.B) {
	for b.Loop() {
		chainGraph(100_000)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100_000, "ns/task")
}
