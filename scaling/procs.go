package scaling

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxProcs is the largest worker count ParseProcs accepts. The Go runtime
// allocates per-P state (run queues, caches) for every GOMAXPROCS slot, so a
// typo such as 40000 instead of 4 would cost memory and time for nothing;
// no machine a user can run this on has more cores than this.
const MaxProcs = 4096

// ParseProcs parses a comma-separated list of worker counts such as
// "1,2,4". Spaces around the numbers are allowed. It rejects an empty list,
// empty items, anything that is not a decimal integer, counts below 1 or
// above MaxProcs, and duplicates. The counts are returned in the order
// given.
func ParseProcs(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty list of worker counts")
	}
	var procs []int
	seen := map[int]bool{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("empty item in worker count list %q", s)
		}
		p, err := strconv.Atoi(item)
		if err != nil {
			return nil, fmt.Errorf("worker count %q is not an integer", item)
		}
		if p < 1 {
			return nil, fmt.Errorf("worker count %d is less than 1", p)
		}
		if p > MaxProcs {
			return nil, fmt.Errorf("worker count %d is more than %d", p, MaxProcs)
		}
		if seen[p] {
			return nil, fmt.Errorf("worker count %d is listed twice", p)
		}
		seen[p] = true
		procs = append(procs, p)
	}
	return procs, nil
}

// DefaultProcs returns the worker counts to try on a machine with numCPU
// cores: the powers of two below numCPU, then numCPU itself (1, 2, 4, 6 on
// six cores). Powers of two spread the points evenly on the log scale where
// Amdahl's curve bends, and numCPU is the point the user cares most about.
func DefaultProcs(numCPU int) []int {
	procs := []int{1}
	for p := 2; p < numCPU; p *= 2 {
		procs = append(procs, p)
	}
	if numCPU > 1 {
		procs = append(procs, numCPU)
	}
	return procs
}
