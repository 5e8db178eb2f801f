package lazy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gospeedup/speedup/lazy"
	"github.com/gospeedup/speedup/par"
)

// Example is the contract program of issue 5, as written: two incs run at
// once, so z takes about 2d, not 3d; total shares x, y and z.
func Example() {
	ctx := context.Background()
	d := 200 * time.Millisecond
	inc := func(x int) int { time.Sleep(d); return x + 1 }
	add := func(x, y int) int { time.Sleep(d); return x + y }
	x := lazy.Call1(inc, lazy.Value(1))
	y := lazy.Call1(inc, lazy.Value(2))
	z := lazy.Call2(add, x, y)
	v, err := lazy.Compute(ctx, z)    // 5, nil, in ~2d, not 3d
	err = lazy.WriteDOT(os.Stdout, z) // Graphviz source of the graph
	parts := []*lazy.Node[int]{x, y, z}
	total := lazy.CallN(func(xs []int) int {
		s := 0
		for _, v := range xs {
			s += v
		}
		return s
	}, parts...)
	t, err := lazy.Compute(ctx, total, lazy.Workers(4))                                                          // 10; z's inputs computed once
	sq, err := par.Map(ctx, []int{1, 2, 3}, func(ctx context.Context, v int) (int, error) { return v * v, nil }) // [1 4 9]
	err = par.For(ctx, 100, func(ctx context.Context, i int) error { return nil }, par.Workers(2))
	fmt.Println(v, t, sq, err)
	// Output:
	// digraph lazy {
	// 	rankdir=BT;
	// 	node [fontname="Helvetica"];
	// 	n0 [label="1", shape=box];
	// 	n1 [label="Example.func1", shape=ellipse];
	// 	n2 [label="2", shape=box];
	// 	n3 [label="Example.func1", shape=ellipse];
	// 	n4 [label="Example.func2", shape=ellipse];
	// 	n0 -> n1;
	// 	n2 -> n3;
	// 	n1 -> n4;
	// 	n3 -> n4;
	// }
	// 5 10 [1 4 9] <nil>
}

func ExampleNode_Named() {
	load := func(path string) []string { return strings.Fields("3 1 2") }
	count := func(xs []string) int { return len(xs) }
	data := lazy.Call1(load, lazy.Value("data.txt")).Named("load")
	n := lazy.Call1(count, data).Named("count")
	_ = lazy.WriteDOT(os.Stdout, n)
	// Output:
	// digraph lazy {
	// 	rankdir=BT;
	// 	node [fontname="Helvetica"];
	// 	n0 [label="data.txt", shape=box];
	// 	n1 [label="load", shape=ellipse];
	// 	n2 [label="count", shape=ellipse];
	// 	n0 -> n1;
	// 	n1 -> n2;
	// }
}

func ExampleCall2E() {
	div := func(ctx context.Context, a, b int) (int, error) {
		if b == 0 {
			return 0, errors.New("division by zero")
		}
		return a / b, nil
	}
	q := lazy.Call2E(div, lazy.Value(7), lazy.Value(0)).Named("div")
	_, err := lazy.Compute(context.Background(), lazy.Call1(func(x int) int { return x + 1 }, q))
	fmt.Println(err)
	// Output: lazy: node "div": division by zero
}

func ExampleComputeAll() {
	xs := lazy.Value([]float64{1, 2, 3, 4})
	n := lazy.Call1(func(v []float64) int { return len(v) }, xs)
	mean := lazy.Call2(func(v []float64, n int) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(n)
	}, xs, n)
	// n is computed once for both results.
	res, err := lazy.ComputeAll(context.Background(), []lazy.Any{n, mean})
	fmt.Println(lazy.Get(res, n), lazy.Get(res, mean), err)
	// Output: 4 2.5 <nil>
}

func ExampleCall3() {
	clamp := func(x, lo, hi int) int { return max(lo, min(x, hi)) }
	v, err := lazy.Compute(context.Background(), lazy.Call3(clamp, lazy.Value(42), lazy.Value(0), lazy.Value(10)))
	fmt.Println(v, err)
	// Output: 10 <nil>
}

// Futures: compute graphs in the background on a par.Pool and take them as
// they complete (Dask's client.compute and as_completed).
func Example_futures() {
	ctx := context.Background()
	square := func(x int) int { return x * x }
	pool := par.NewPool(ctx, par.Workers(2))
	var futs []*par.Future[int]
	for i := 1; i <= 3; i++ {
		g := lazy.Call1(square, lazy.Value(i))
		futs = append(futs, par.Submit(pool, func(ctx context.Context) (int, error) {
			return lazy.Compute(ctx, g)
		}))
	}
	total := 0
	for f := range par.AsCompleted(futs...) {
		v, _ := f.Wait()
		total += v
	}
	fmt.Println(total, pool.Wait())
	// Output: 14 <nil>
}
