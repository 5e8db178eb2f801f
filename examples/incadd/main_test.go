package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	dot := filepath.Join(dir, "g.dot")
	trace := filepath.Join(dir, "t.json")
	svg := filepath.Join(dir, "t.svg")
	var out bytes.Buffer
	err := run([]string{"-sleep", "5ms", "-workers", "2", "-dot", dot, "-trace", trace, "-timeline", svg}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^serial: add\(inc\(1\), inc\(2\)\) = 5 in [0-9.]+ s
graph:  add\(inc\(1\), inc\(2\)\) = 5 in [0-9.]+ s with Workers\(2\), [0-9.]+x faster
$`)
	if !want.Match(out.Bytes()) {
		t.Errorf("output:\n%s", out.String())
	}
	g, _ := os.ReadFile(dot)
	if !strings.Contains(string(g), `label="inc"`) || strings.Count(string(g), "->") != 4 {
		t.Errorf("DOT:\n%s", g)
	}
	tr, _ := os.ReadFile(trace)
	if !json.Valid(tr) || !strings.Contains(string(tr), `"name":"add"`) {
		t.Errorf("trace:\n%s", tr)
	}
	s, _ := os.ReadFile(svg)
	if !strings.HasPrefix(string(s), "<svg") || !strings.Contains(string(s), "inc ×2") {
		t.Errorf("timeline:\n%s", s)
	}
	// An output that cannot be written is found before the work.
	start := time.Now()
	err = run([]string{"-sleep", "1h", "-trace", filepath.Join(dir, "nope", "t.json")}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-trace") || time.Since(start) > time.Minute {
		t.Errorf("-trace in a missing directory: %v after %v", err, time.Since(start))
	}
	// Graphviz, when installed, must accept the DOT file.
	if path, err := exec.LookPath("dot"); err == nil {
		if b, err := exec.Command(path, "-Tsvg", dot).CombinedOutput(); err != nil {
			t.Errorf("dot -Tsvg: %v\n%s", err, b)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-sleep", "-1s"}, {"extra"}, {"-nope"}} {
		if err := run(args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
