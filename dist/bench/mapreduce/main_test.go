package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

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
		"dist / par: ", " ns per element", "CPU-bound map, Shards(1):",
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

func TestSpeedupInvalid(t *testing.T) {
	if s := speedup(300, 100, 2); !strings.Contains(s, "INVALID") {
		t.Errorf("3x on 2 cores: %q", s)
	}
	if s := speedup(200, 100, 2); s != "2.00x" {
		t.Errorf("2x on 2 cores: %q", s)
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
