package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/dist"
	"github.com/gospeedup/speedup/examples/tsnr/tsnr"
)

func TestMain(m *testing.M) {
	flag.Parse()
	dist.Init()
	os.Exit(m.Run())
}

// A small run: the output's structure, and equal results (run fails
// otherwise). Times are not checked: the machine is shared.
func TestRunSmall(t *testing.T) {
	// A temporary directory of the test's own, to see what is left in it.
	t.Setenv("TMPDIR", t.TempDir())
	var out bytes.Buffer
	if err := run(context.Background(), &out, 1000, 1, "8x8x4x16"); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, s := range []string{
		"sum of squares of 1000 integers (equal results: 332833500):",
		"dist / par: ", " per element (par: ", "CPU-bound map, Shards(1):",
		"Beam alone: Impulse:", "Beam alone: Create(1 elem)→ParDo0:", "dist's fixed cost (1 item) / Beam's floor: ",
		"within 10x of par: ",
		"tSNR of 8x8x4x16 in ", "results identical, bit for bit, with par", "chunks running at once: ",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
	if left, _ := os.ReadDir(os.TempDir()); len(left) > 0 {
		t.Errorf("%d files left in the temporary directory, such as %s", len(left), left[0].Name())
	}
	if err := run(context.Background(), &out, 0, 1, "8x8x4x16"); err == nil {
		t.Error("-n 0: no error")
	}
}

func TestVerdict10x(t *testing.T) {
	ms := time.Millisecond
	for _, tt := range []struct {
		par, dist, floor time.Duration
		want             string
	}{
		{ms, 9 * ms, 5 * ms, "met (10x of par is 10.00 ms)"},
		{300 * time.Microsecond, 30 * ms, 4 * ms, "missed: 10x of par is 3.00 ms; Beam's emptiest pipeline alone takes 4.00 ms here: the target is below Beam's floor"},
		{ms, 30 * ms, 4 * ms, "missed: 10x of par is 10.00 ms; Beam's emptiest pipeline alone takes 4.00 ms here, which leaves 6.00 ms (60% of the target) to all of dist's work; dist takes 30.00 ms"},
	} {
		if got := verdict10x(tt.par, tt.dist, tt.floor); got != tt.want {
			t.Errorf("verdict10x(%v, %v, %v) = %q, want %q", tt.par, tt.dist, tt.floor, got, tt.want)
		}
	}
}

func TestSpeedup(t *testing.T) {
	for _, tt := range []struct {
		a, b        time.Duration
		cores, runs int
		want        string
	}{
		{300, 100, 2, 5, "3.00x INVALID (above the number of cores: the machine's load changed during the runs)"},
		{200, 100, 2, 5, "2.00x"},
		{200, 100, 2, 3, "2.00x"},
		{200, 100, 2, 2, "2.00x (too short: 2 runs, a verdict needs 3)"},
		{300, 100, 2, 1, "3.00x INVALID (above the number of cores: the machine's load changed during the runs)"},
		{200, 0, 2, 5, "n/a (a time of 0)"},
		{0, 100, 2, 5, "n/a (a time of 0)"},
	} {
		if got := speedup(tt.a, tt.b, tt.cores, tt.runs); got != tt.want {
			t.Errorf("speedup(%d, %d, %d, %d) = %q, want %q", tt.a, tt.b, tt.cores, tt.runs, got, tt.want)
		}
	}
}

// Few runs, identical runs and zero times give figures or an explicit
// n/a, never NaN or Inf.
func TestStatisticsOfFewRuns(t *testing.T) {
	for _, tt := range []struct {
		ts     []time.Duration
		median time.Duration
		spread string
	}{
		{[]time.Duration{7}, 7, "n/a (1 runs)"},
		{[]time.Duration{4, 8}, 6, "n/a (2 runs)"},
		{[]time.Duration{8, 4, 6}, 6, "67%"},
		{[]time.Duration{5, 5, 5, 5}, 5, "0%"},
		{[]time.Duration{1, 2, 4, 100}, 3, "3300%"},
		{[]time.Duration{0, 0, 0}, 0, "n/a (median 0)"},
	} {
		tm := &timing{ts: tt.ts}
		if got := tm.median(); got != tt.median {
			t.Errorf("median(%v) = %v, want %v", tt.ts, got, tt.median)
		}
		if got := tm.spread(); got != tt.spread {
			t.Errorf("spread(%v) = %q, want %q", tt.ts, got, tt.spread)
		}
	}
	if got := ratio("%.2f", 5, 0); got != "n/a (a time of 0)" {
		t.Errorf("ratio over 0 = %q", got)
	}
	if got := perElement(10*time.Millisecond, 11*time.Millisecond, 1000); !strings.HasPrefix(got, "n/a (the 1-item run was slower") {
		t.Errorf("perElement with a slower 1-item run = %q", got)
	}
	if got := perElement(20*time.Millisecond, 10*time.Millisecond, 1_000_000); got != "10.0 ns" {
		t.Errorf("perElement = %q, want 10.0 ns", got)
	}
}

func TestInFlight(t *testing.T) {
	at := time.Unix(1000, 0)
	for _, tt := range []struct {
		spans [][2]time.Duration // start, end after at
		want  string
	}{
		{nil, "n/a (no chunk observed)"},
		{[][2]time.Duration{{0, 0}}, "n/a (the chunks' span is below the clock's resolution)"},
		{[][2]time.Duration{{0, 10}, {0, 10}}, "2.00"},
		{[][2]time.Duration{{0, 10}, {10, 20}}, "1.00"},
	} {
		rec := diag.NewRecorder()
		rec.Begin(len(tt.spans), 2)
		for i, sp := range tt.spans {
			task := diag.Task{ID: int64(i), Name: "chunk", Start: at.Add(sp[0]), End: at.Add(sp[1])}
			rec.TaskStart(task)
			rec.TaskEnd(task)
		}
		rec.End()
		if got := (&timing{rec: rec}).inFlight(); got != tt.want {
			t.Errorf("inFlight(%v) = %q, want %q", tt.spans, got, tt.want)
		}
	}
}

func TestParseShape(t *testing.T) {
	for _, tc := range []struct {
		shape string
		want  [4]int
		err   string
	}{
		{"8x8x4x16", [4]int{8, 8, 4, 16}, ""},
		{"1x2x3x4", [4]int{1, 2, 3, 4}, ""},
		{"8x8x4", [4]int{}, `shape "8x8x4": want XxYxZxT`},
		{"8x8x4x16x2", [4]int{}, `shape "8x8x4x16x2": want XxYxZxT`},
		{"8x0x4x16", [4]int{}, `shape "8x0x4x16": bad size "0"`},
		{"8xax4x16", [4]int{}, `shape "8xax4x16": bad size "a"`},
		{"", [4]int{}, `shape "": want XxYxZxT`},
	} {
		d, err := tsnr.ParseShape(tc.shape)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err || (err == nil && d != tc.want) {
			t.Errorf("tsnr.ParseShape(%q) = %v, %q; want %v, %q", tc.shape, d, got, tc.want, tc.err)
		}
	}
}
