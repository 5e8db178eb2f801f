// Command nthproc panics from its Nth run on: it counts its runs in the
// file named by its first argument (one byte per run, by appending), so
// that lprun's counted run succeeds and a later run, in a timing process,
// fails. Its second argument is N.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	f, err := os.OpenFile(os.Args[1], os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	f.Write([]byte{'.'})
	f.Close()
	fi, _ := os.Stat(os.Args[1])
	if int(fi.Size()) >= n {
		panic(fmt.Sprintf("nthproc: run %d", fi.Size()))
	}
	fmt.Println(work(1000))
}

func work(n int) int {
	s := 0
	for i := range n {
		s += i
	}
	return s
}
