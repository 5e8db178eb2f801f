package session

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/lineprof"
)

// wants reads the "// want N" annotations of a fixture file.
func wants(t *testing.T, path string) map[int]int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`// want (\d+)$`)
	w := map[int]int64{}
	for i, l := range strings.Split(string(b), "\n") {
		if m := re.FindStringSubmatch(l); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			w[i+1] = n
		}
	}
	return w
}

// hitsByLine flattens a profile's hits for one file.
func hitsByLine(p *lineprof.Profile, file string) map[int]int64 {
	h := map[int]int64{}
	for _, f := range p.Funcs {
		if f.File != file {
			continue
		}
		for _, l := range f.Lines {
			if l.Hits != 0 {
				h[l.Line] += l.Hits
			}
		}
	}
	return h
}

// TestHitsPerStatementKind checks every line of the fixture against its
// annotation: for/range/if/else/switch/case/select/goto/labels, defer and
// recover, early return, Goexit, panics, closures, multi-line statements,
// recursion, sleeps and goroutines.
func TestHitsPerStatementKind(t *testing.T) {
	dir, _ := filepath.Abs("../testdata/kinds")
	file := filepath.Join(dir, "kinds.go")
	before, _ := os.ReadFile(file)
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Dir: dir, Pkgs: []string{"."}, Stmt: "Run()", MaxTime: 20 * time.Millisecond, Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Panic != nil {
		t.Fatalf("panic: %v", res.Panic)
	}
	want := wants(t, file)
	got := hitsByLine(res.Profile, file)
	for l, w := range want {
		if got[l] != w {
			t.Errorf("kinds.go:%d: hits %d, want %d", l, got[l], w)
		}
	}
	for l, g := range got {
		if _, ok := want[l]; !ok {
			t.Errorf("kinds.go:%d: hits %d, want none", l, g)
		}
	}
	after, _ := os.ReadFile(file)
	if !bytes.Equal(before, after) {
		t.Errorf("kinds.go changed")
	}
}

// TestHitsEightGoroutinesRace runs a profiled function on 8 goroutines at
// once in a -race build: the counts must be exact and the counting code
// free of data races (the race detector makes the program fail).
func TestHitsEightGoroutinesRace(t *testing.T) {
	if testing.Short() {
		t.Skip("race build is slow")
	}
	dir, _ := filepath.Abs("../testdata/kinds")
	file := filepath.Join(dir, "kinds.go")
	stmt := `var wg sync.WaitGroup
for range 8 {
	wg.Add(1)
	go func() { defer wg.Done(); Work(1000) }()
}
wg.Wait()`
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"Work"}, Stmt: stmt, Race: true, MaxTime: 20 * time.Millisecond, Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "DATA RACE") {
		t.Fatalf("data race:\n%s", out.String())
	}
	got := hitsByLine(res.Profile, file)
	var line int
	for _, f := range res.Profile.Funcs {
		line = f.Line
	}
	want := map[int]int64{line + 1: 8, line + 2: 8 * 1001, line + 3: 8 * 1000, line + 5: 8}
	for l, w := range want {
		if got[l] != w {
			t.Errorf("kinds.go:%d: hits %d, want %d", l, got[l], w)
		}
	}
}
