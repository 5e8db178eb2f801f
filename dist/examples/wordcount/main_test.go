package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/gospeedup/speedup/dist"
)

func TestMain(m *testing.M) {
	flag.Parse()
	dist.Init()
	os.Exit(m.Run())
}

// serial counts the words the plain way, for comparison.
func serial(t *testing.T) (map[string]int, int) {
	files, _ := filepath.Glob("testdata/*.txt")
	counts, lines := map[string]int{}, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			lines++
			for _, w := range strings.FieldsFunc(l, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
				counts[strings.ToLower(w)]++
			}
		}
	}
	return counts, lines
}

func TestWordCount(t *testing.T) {
	want, lines := serial(t)
	total := 0
	for _, n := range want {
		total += n
	}
	for _, block := range []int64{0, 50, 300, 1 << 20} {
		var out bytes.Buffer
		if err := run(context.Background(), &out, "testdata/*.txt", "", 5, block); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		for _, line := range []string{
			"counter lines: " + strconv.Itoa(lines) + "\n",
			"counter words: " + strconv.Itoa(total) + "\n",
			strconv.Itoa(len(want)) + " distinct words; the 5 most frequent:\n",
			"      13 that\n      11 the\n      10 we\n       8 here\n       8 to\n",
		} {
			if !strings.Contains(s, line) {
				t.Errorf("block %d: output lacks %q:\n%s", block, line, s)
			}
		}
		if !regexp.MustCompile(`^dist: \S*countWords on prism: \d+ items in \d+ chunks, \d+ shards, [0-9.]+ s\n`).MatchString(s) {
			t.Errorf("report line:\n%s", s)
		}
	}
}

func TestWordCountOutput(t *testing.T) {
	want, _ := serial(t)
	prefix := filepath.Join(t.TempDir(), "counts")
	if err := run(context.Background(), new(bytes.Buffer), "testdata/*.txt", prefix, 5, 100); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(prefix + "-00000-of-00001")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for _, l := range lines {
		w, n, _ := strings.Cut(l, "\t")
		if strconv.Itoa(want[w]) != n {
			t.Errorf("%q: %s, want %d", w, n, want[w])
		}
	}
}

func TestWordCountErrors(t *testing.T) {
	if err := run(context.Background(), new(bytes.Buffer), "", "", 5, 0); err == nil {
		t.Error("no --input: no error")
	}
	err := run(context.Background(), new(bytes.Buffer), "testdata/*.none", "", 5, 0)
	if err == nil || !strings.Contains(err.Error(), "no such files") {
		t.Errorf("no match: %v", err)
	}
}
