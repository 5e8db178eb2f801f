package main

import (
	"testing"

	"github.com/gospeedup/speedup/examples/tsnr/tsnr"
)

func TestRunSmall(t *testing.T) {
	if err := run("8x8x4x40", 2, 0, 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := run("8x8x4x40", 2, 3, 1, 1); err != nil {
		t.Fatal(err)
	}
}

func TestParseShape(t *testing.T) {
	if d, err := tsnr.ParseShape("2x3x4x5"); err != nil || d != [4]int{2, 3, 4, 5} {
		t.Errorf("parseShape = %v, %v", d, err)
	}
	for _, bad := range []string{"", "2x3x4", "2x3x4x0", "ax3x4x5", "2x3x4x5x6", "2.5x3x4x5"} {
		if _, err := tsnr.ParseShape(bad); err == nil {
			t.Errorf("tsnr.ParseShape(%q) succeeded", bad)
		}
	}
}
