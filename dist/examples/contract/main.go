// Command contract is the program of issue 11, as written: it squares
// 0..9999 with dist.Map and sums the squares with dist.MapReduce, on prism
// in this process by default, or on any Beam runner chosen with Beam's
// flags (--runner universal --endpoint localhost:8073, ...). It prints
// [0 1 4] 333283335000.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"

	"github.com/gospeedup/speedup/dist"
)

func square(ctx context.Context, v int) (int, error) { return v * v, nil }
func add(a, b int) int                               { return a + b }

func init() {
	dist.RegisterMap(square) // remote workers find functions by name, as Beam requires
	dist.RegisterReduce(add)
}

func main() {
	flag.Parse()
	dist.Init() // becomes a worker when a runner starts this binary as one, like beam.Init
	ctx := context.Background()
	xs := make([]int, 10000)
	for i := range xs {
		xs[i] = i
	}
	sq, err := dist.Map(ctx, xs, square) // results in input order, like par.Map
	if err != nil {
		log.Fatal(err)
	}
	total, err := dist.MapReduce(ctx, xs, square, add)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sq[:3], total)
}
