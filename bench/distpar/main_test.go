package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A small run end to end: it fails if the parallel result differs, and
// writes a timeline when asked.
func TestRunSmall(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "t.svg")
	if err := run(40, 2, 2, svg); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(svg)
	if err != nil || !strings.Contains(string(b), "distance row") {
		t.Errorf("timeline: %v\n%s", err, b)
	}
	if err := run(0, 1, 1, ""); err == nil {
		t.Error("n = 0 should fail")
	}
}
