// Command prog is lprun's --run fixture: it sums 1..n for n from its
// arguments, and exits with status 3 when asked to fail.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func work(n int) int {
	s := 0
	for i := 1; i <= n; i++ {
		s += i
	}
	return s
}

func main() {
	for _, a := range os.Args[1:] {
		if a == "fail" {
			os.Exit(3)
		}
		n, _ := strconv.Atoi(a)
		fmt.Println(work(n))
	}
}
