package scaling_test

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/gospeedup/speedup/scaling"
	"github.com/gospeedup/speedup/timeit"
)

// Analyze works on times measured any way at all; here, made-up times
// of a job that is 5% serial.
func ExampleAnalyze() {
	r, err := scaling.Analyze([]scaling.Measurement{
		{Procs: 1, Mean: 0.100, Stdev: 0.002},
		{Procs: 2, Mean: 0.0525, Stdev: 0.001},
		{Procs: 4, Mean: 0.02875, Stdev: 0.0005},
	}, 4)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(r)
	// Output:
	// P  time (mean ± std. dev.)  speedup  efficiency  Karp-Flatt
	// 1  100 ms ± 2 ms               1.00        1.00           -
	// 2  52.5 ms ± 1 ms              1.90        0.95       0.050
	// 4  28.8 ms ± 500 µs            3.48        0.87       0.050
	// Amdahl fit: serial fraction f = 0.05, max speedup 1/f = 20
}

// Sweep can also measure in process: runtime.GOMAXPROCS sets the worker
// count before each measurement (speedup scaling starts a fresh process
// per P instead, so that nothing carries over from one P to the next).
func ExampleSweep() {
	// A sum split into one chunk per worker.
	work := func() {
		n := runtime.GOMAXPROCS(0)
		partial := make([]float64, n)
		var wg sync.WaitGroup
		for w := range n {
			wg.Go(func() {
				s := 0.0
				for i := w * 1_000_000 / n; i < (w+1)*1_000_000/n; i++ {
					s += float64(i)
				}
				partial[w] = s
			})
		}
		wg.Wait()
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r, err := scaling.Sweep(scaling.DefaultProcs(runtime.NumCPU()), runtime.NumCPU(), func(p int) (*timeit.Result, error) {
		runtime.GOMAXPROCS(p)
		return timeit.Func(work, timeit.Options{Repeat: 5})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(r)
}
