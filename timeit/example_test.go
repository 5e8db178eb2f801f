package timeit_test

import (
	"fmt"
	"time"

	"github.com/gospeedup/speedup/timeit"
)

func ExampleFunc() {
	data := make([]float64, 1000)
	var sum float64
	r, err := timeit.Func(func() {
		sum = 0
		for _, x := range data {
			sum += x
		}
	}, timeit.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(r) // e.g. 812 ns ± 9.3 ns per loop (mean ± std. dev. of 7 runs, 1,000,000 loops each)
	for _, w := range r.Warnings() {
		fmt.Println(w)
	}
}

func ExampleNewResult() {
	// Three runs of 1,000 loops, as a Sampler would report them.
	r, err := timeit.NewResult([]timeit.Sample{
		{Loops: 1000, Elapsed: 737710 * time.Nanosecond},
		{Loops: 1000, Elapsed: 766000 * time.Nanosecond},
		{Loops: 1000, Elapsed: 794290 * time.Nanosecond},
	}, 3)
	if err != nil {
		panic(err)
	}
	fmt.Println(r)
	fmt.Println(r.Mean, r.Best, r.Worst)
	// Output:
	// 766 ns ± 23.1 ns per loop (mean ± std. dev. of 3 runs, 1,000 loops each)
	// 766ns 738ns 794ns
}

func ExampleParseParam() {
	p, err := timeit.ParseParam("n=1e4,1e5,1e6")
	if err != nil {
		panic(err)
	}
	for _, v := range p.Values {
		fmt.Printf("%s (%T)\n", p.Format(v), v)
	}
	_, err = timeit.ParseParam("n=")
	fmt.Println(err)
	// Output:
	// n=10000 (int)
	// n=100000 (int)
	// n=1000000 (int)
	// --param n=: no values
}

func ExampleFitPower() {
	f, err := timeit.FitPower([]float64{1e4, 1e5, 1e6}, []float64{12e-6, 125e-6, 1.3e-3})
	if err != nil {
		panic(err)
	}
	f.Param = "n"
	fmt.Println(f)
	// Output:
	// time ~ n^1.02 (R² 1.000)
}
