package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"

	"github.com/gospeedup/speedup/dist"
	"github.com/gospeedup/speedup/dist/internal/prismtest"
	"github.com/gospeedup/speedup/examples/tsnr/tsnr"
)

func TestMain(m *testing.M) {
	flag.Parse()
	dist.Init()
	os.Exit(m.Run())
}

// run fails unless dist's result is identical to par's and to
// tsnr.Chunked's; here it must succeed and say so.
func TestRunSmall(t *testing.T) {
	for _, size := range []int{0, 1, 7, 40} {
		var out bytes.Buffer
		if err := run(context.Background(), &out, "8x8x4x40", size, 1, 3); err != nil {
			t.Fatalf("span %d: %v\n%s", size, err, out.String())
		}
		s := out.String()
		if !strings.Contains(s, "results: identical, bit for bit, in all four versions and in tsnr.Chunked") {
			t.Errorf("span %d: output:\n%s", size, s)
		}
		if !regexp.MustCompile(`(?m)^dist on prism, Shards\(\d+\): +best [0-9.]+ s, median [0-9.]+ s$`).MatchString(s) {
			t.Errorf("span %d: no dist timing line:\n%s", size, s)
		}
	}
}

// The same numbers, bit for bit, when dist's workers are processes of their
// own, started by a prism job server from a copy of this test binary.
func TestRunProcessWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a job server and worker processes")
	}
	boot := prismtest.Boot(t)
	endpoint := prismtest.Start(t)
	ep, env, cfg := *jobopts.Endpoint, *jobopts.EnvironmentType, *jobopts.EnvironmentConfig
	defer func() { *jobopts.Endpoint, *jobopts.EnvironmentType, *jobopts.EnvironmentConfig = ep, env, cfg }()
	*jobopts.Endpoint, *jobopts.EnvironmentType, *jobopts.EnvironmentConfig = endpoint, "PROCESS", prismtest.ProcessConfig(boot)
	var out bytes.Buffer
	if err := run(context.Background(), &out, "8x8x4x40", 7, 1, 3); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if s := out.String(); !strings.Contains(s, "results: identical, bit for bit, in all four versions and in tsnr.Chunked") {
		t.Errorf("output:\n%s", s)
	}
}

func TestBadInput(t *testing.T) {
	for _, shape := range []string{"", "8x8x4", "8x8x4x0", "ax8x4x4"} {
		if err := run(context.Background(), new(bytes.Buffer), shape, 0, 1, 1); err == nil {
			t.Errorf("shape %q: no error", shape)
		}
	}
	if err := run(context.Background(), new(bytes.Buffer), "2x2x2x2", 0, 0, 1); err == nil {
		t.Error("reps 0: no error")
	}
}

func TestSpeedup(t *testing.T) {
	ms := func(ds ...int) []time.Duration {
		var out []time.Duration
		for _, d := range ds {
			out = append(out, time.Duration(d)*time.Millisecond)
		}
		return out
	}
	for _, tc := range []struct {
		a, b  []time.Duration
		cores int
		want  string
	}{
		{ms(300, 200), ms(100, 150), 2, "2.00x"},
		{ms(100), ms(100), 1, "1.00x"},
		{ms(300), ms(100), 2, "3.00x (INVALID: above the number of cores; the machine's load changed during the runs)"},
		{ms(205), ms(100), 2, "2.05x"},
	} {
		if got := speedup(tc.a, tc.b, tc.cores); got != tc.want {
			t.Errorf("speedup(%v, %v, %d) = %q, want %q", tc.a, tc.b, tc.cores, got, tc.want)
		}
	}
}

func TestByMean(t *testing.T) {
	r := tsnr.Result{Mean: []float64{600, 10, 500, 501}, TSNR: []float64{1, 2, 3, 4}}
	above, below := byMean(r, 500)
	if !slices.Equal(above, []float64{1, 4}) || !slices.Equal(below, []float64{2, 3}) {
		t.Errorf("byMean = %v, %v; want [1 4], [2 3]", above, below)
	}
}
