package lazy

import (
	"fmt"
	"runtime"
	"testing"
)

func TestNewConfig(t *testing.T) {
	for _, tc := range []struct {
		opts    []Option
		workers int
		labels  bool
	}{
		{nil, runtime.GOMAXPROCS(0), true},
		{[]Option{nil, Workers(3)}, 3, true},
		{[]Option{Workers(-1), Labels(false)}, runtime.GOMAXPROCS(0), false},
	} {
		c := newConfig(tc.opts)
		if c.workers != tc.workers || c.labels != tc.labels {
			t.Errorf("newConfig(%d options) = workers %d, labels %v; want %d, %v", len(tc.opts), c.workers, c.labels, tc.workers, tc.labels)
		}
	}
}

func TestNewExec(t *testing.T) {
	inc := func(x int) int { return x + 1 }
	add := func(x, y int) int { return x + y }
	// Post-order: one(0) a(1) b(2) two(3) c(4) sum(5). a and c are ready
	// at once (their only inputs are values), b waits for a, sum for b
	// and c.
	one := Value(1)
	a := Call1(inc, one)
	b := Call1(inc, a)
	c := Call2(add, Value(2), one)
	sum := Call2(add, b, c)
	g := build([]*node{sum.lazyNode(), a.lazyNode()})
	e := newExec(g, config{workers: 2})

	idx := func(n Any) int32 { return n.lazyNode().idx }
	pos := map[int32]string{idx(one): "one", idx(a): "a", idx(b): "b", idx(c): "c", idx(sum): "sum"}
	got := func(f func(i int32) string) string {
		var s []string
		for i := range g.nodes {
			if name, ok := pos[int32(i)]; ok {
				s = append(s, name+"="+f(int32(i)))
			}
		}
		return fmt.Sprint(s)
	}
	for _, tc := range []struct {
		what, got, want string
	}{
		{"pending", got(func(i int32) string { return fmt.Sprint(e.pending[i]) }), "[one=0 a=0 b=1 c=0 sum=2]"},
		{"refs", got(func(i int32) string { return fmt.Sprint(e.refs[i]) }), "[one=2 a=1 b=1 c=1 sum=0]"},
		{"keep", got(func(i int32) string { return fmt.Sprint(e.keep[i]) }), "[one=false a=true b=false c=false sum=true]"},
		{"results", got(func(i int32) string { return fmt.Sprint(e.results[i]) }), "[one=1 a=<nil> b=<nil> c=<nil> sum=<nil>]"},
		{"ready", fmt.Sprint(e.ready), fmt.Sprint([]int32{idx(c), idx(a)})},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %s, want %s", tc.what, tc.got, tc.want)
		}
	}
	if g.calls != 4 {
		t.Errorf("calls = %d, want 4", g.calls)
	}
}
