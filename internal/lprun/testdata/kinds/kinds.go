// Package kinds exercises every statement kind that speedup lprun counts.
// A "// want N" comment gives the exact hits expected on its line after one
// call of Run; lines without one must show no hits.
package kinds

import (
	"errors"
	"runtime"
	"sync"
	"time"
)

var sink int

// Run calls every function once (some several times).
func Run() {
	forLoops(3)                   // want 1
	rangeLoops([]int{1, 2, 3, 4}) // want 1
	ifElse(5)                     // want 1
	switches(4)                   // want 1
	typeSwitch(1)                 // want 1
	typeSwitch("s")               // want 1
	typeSwitch(2.5)               // want 1
	selects()                     // want 1
	gotos(3)                      // want 1
	labels()                      // want 1
	deferRecover()                // want 1
	earlyReturn(1)                // want 1
	earlyReturn(-1)               // want 1
	goexit()                      // want 1
	closures(3)                   // want 1
	multiLine()                   // want 1
	sleeps()                      // want 1
	_ = fib(5)                    // want 1
	namedBool(1)                  // want 1
	_ = endless(2)                // want 1
	_ = endlessPost()             // want 1
}

func forLoops(n int) {
	for i := 0; i < n; i++ { // want 4
		sink += i // want 3
	}
	i := 0        // want 1
	for i < 2*n { // want 7
		i++ // want 6
	}
	for { // want 2
		if i > 6 { // want 2
			break // want 1
		}
		i++ // want 1
	}
	for j := 0; ; j++ { // want 3
		if j == 2 { // want 3
			break // want 1
		}
	}
	for range 3 { // want 4
		sink++ // want 3
	}
}

func rangeLoops(xs []int) {
	for _, x := range xs { // want 5
		if x%2 == 0 { // want 4
			continue // want 2
		}
		sink += x // want 2
	}
	for i := range xs { // want 3
		if i == 1 { // want 2
			break // want 1
		}
	}
	m := map[string]int{"a": 1, "b": 2} // want 1
	for k := range m {                  // want 3
		sink += len(k) // want 2
	}
	ch := make(chan int, 3) // want 1
	ch <- 1                 // want 1
	ch <- 2                 // want 1
	close(ch)               // want 1
	for v := range ch {     // want 3
		sink += v // want 2
	}
	for v := range seq(3) { // want 4
		sink += v // want 3
	}
}

func seq(n int) func(func(int) bool) {
	return func(yield func(int) bool) { // want 1
		for i := range n { // want 4
			if !yield(i) { // want 3
				return
			}
		}
	}
}

func ifElse(n int) {
	for i := range n { // want 6
		if i == 0 { // want 5
			sink++ // want 1
		} else if i == 1 { // want 4
			sink += 2 // want 1
		} else if i < 4 { // want 3
			sink += 3 // want 2
		} else { // want 1
			sink += 4 // want 1
		}
	}
	if x := n * 2; x > 100 { // want 1
		sink = x
	}
}

func switches(n int) {
	for i := range n { // want 5
		switch i { // want 4
		case 0: // want 1
			sink++      // want 1
			fallthrough // want 1
		case 1: // want 2
			sink += 2 // want 2
		case 2, 3: // want 2
			sink += 3 // want 2
		default:
			sink = 0
		}
		switch { // want 4
		case i < 2: // want 2
			sink++ // want 2
		default: // want 2
		}
		switch j := i * 2; { // want 4
		case j > 4: // want 1
			sink++ // want 1
		}
	}
}

func typeSwitch(v any) {
	switch x := v.(type) { // want 3
	case int: // want 1
		sink += x // want 1
	case string: // want 1
		sink += len(x) // want 1
	default: // want 1
	}
}

func selects() {
	a := make(chan int, 1) // want 1
	b := make(chan int, 1) // want 1
	a <- 1                 // want 1
	for range 2 {          // want 3
		select { // want 2
		case v := <-a: // want 1
			sink += v // want 1
			b <- 2    // want 1
		case v := <-b: // want 1
			sink += v // want 1
		}
	}
L:
	select { // want 1
	case <-a:
	default: // want 1
		break L // want 1
	}
}

func gotos(n int) {
	i := 0 // want 1
again:
	i++        // want 3
	if i < n { // want 3
		goto again // want 2
	}
	sink += i // want 1
}

func labels() {
outer:
	for i := 0; i < 3; i++ { // want 3
		for j := 0; j < 3; j++ { // want 7
			if j == 2 { // want 7
				continue outer // want 2
			}
			if i == 2 { // want 5
				break outer // want 1
			}
			sink++ // want 4
		}
	}
}

func deferRecover() {
	defer func() { // want 1
		if r := recover(); r != nil { // want 1
			sink++ // want 1
		}
	}()
	panics() // want 1
	sink++
}

func panics() {
	sink++                 // want 1
	panic(errors.New("x")) // want 1
}

func earlyReturn(n int) int {
	if n < 0 { // want 2
		return -1 // want 1
	}
	return n // want 1
}

func goexit() {
	var wg sync.WaitGroup // want 1
	wg.Add(1)             // want 1
	go func() {           // want 1
		defer wg.Done()  // want 1
		sink++           // want 1
		runtime.Goexit() // want 1
		sink++
	}()
	wg.Wait() // want 1
}

func closures(n int) {
	add := func(k int) { sink += k } // want 1
	for i := range n {               // want 4
		add(i) // want 3
	}
	f := func() int { // want 1
		return n * 2 // want 1
	}
	sink += f() // want 1
}

func multiLine() {
	x := []int{ // want 1
		1,
		2,
	}
	sink += len(x) + // want 1
		3
}

func sleeps() {
	time.Sleep(time.Millisecond) // want 1
	ch := make(chan int)         // want 1
	go func() {                  // want 1
		time.Sleep(time.Millisecond) // want 1
		ch <- 1                      // want 1
	}()
	<-ch // want 1
}

func fib(n int) int {
	if n < 2 { // want 15
		return n // want 8
	}
	return fib(n-1) + fib(n-2) // want 7
}

// flag is a named boolean type: the counting code in conditions must keep
// their type.
type flag bool

func namedBool(n int) {
	var f flag = n > 0 // want 1
	if f {             // want 1
		sink++ // want 1
	}
	for f { // want 2
		f = false // want 1
	}
}

// A loop without condition can be a function's terminating statement:
// counting its iterations must keep it one.
func endless(n int) int {
	for { // want 3
		if n == 0 { // want 3
			return n // want 1
		}
		n-- // want 2
	}
}

func endlessPost() int {
	for i := 0; ; i++ { // want 2
		if i == 1 { // want 2
			return i // want 1
		}
	}
}

// Work is called from 8 goroutines by the race test, not by Run.
func Work(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i
	}
	return s
}
