package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gospeedup/speedup/dist"
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
