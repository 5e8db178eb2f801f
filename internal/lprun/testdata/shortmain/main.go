// Command shortmain is a program of a few milliseconds in three phases
// whose work is in the proportions 3 : 1 : 0.04 (74.3%, 24.8%, 1.0% of
// the time): lprun --run must find them, however short the program.
package main

import (
	"os"
	"sync"
)

var sink uint64

// mix does n steps of a dependent chain: its time is proportional to n.
func mix(n int) uint64 {
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// Spread runs mix(n) on g goroutines at once and waits for them.
func Spread(g, n int) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := mix(n)
			mu.Lock()
			sink += v
			mu.Unlock()
		}()
	}
	wg.Wait()
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "exit" {
		os.Exit(4)
	}
	sink += mix(3_000_000)
	sink += mix(1_000_000)
	sink += mix(40_000)
}
