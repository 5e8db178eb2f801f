package dist

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every line of every file comes out exactly once, in order, whatever the
// block size, with long lines, blank lines, CRLF and no final newline.
func TestTextBlocks(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("x", 70<<10) // longer than the reader's buffer
	files := map[string]string{
		"a.txt": "one\ntwo\n\nthree\r\nfour",
		"b.txt": "single line\n",
		"c.txt": "",
		"d.txt": long + "\nafter long\n" + long,
		"e.log": "not matched\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		glob  string
		names []string
		sizes []int64
	}{
		{"[abc].txt", []string{"a.txt", "b.txt"}, []int64{0, 1, 2, 3, 5, 7, 100}},
		{"*.txt", []string{"a.txt", "b.txt", "d.txt"}, []int64{0, 1000, 65536 + 7, 1 << 20}},
	} {
		var want []string
		for _, name := range tc.names {
			text := strings.ReplaceAll(files[name], "\r\n", "\n")
			want = append(want, strings.Split(strings.TrimSuffix(text, "\n"), "\n")...)
		}
		for _, size := range tc.sizes {
			blocks, err := TextBlocks(ctx, filepath.Join(dir, tc.glob), size)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range blocks {
				if err := b.Lines(ctx, func(l string) error { got = append(got, l); return nil }); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s, block size %d: %d lines, want %d", tc.glob, size, len(got), len(want))
			}
		}
	}
	if _, err := TextBlocks(ctx, filepath.Join(dir, "*.csv"), 0); err == nil || !strings.Contains(err.Error(), "no such files") {
		t.Errorf("no match: %v", err)
	}
}

func countBlock(ctx context.Context, b Block, emit func(string, int)) error {
	return b.Lines(ctx, func(l string) error {
		for _, w := range strings.Fields(l) {
			emit(w, 1)
		}
		return nil
	})
}

func init() { RegisterMapPerKey(countBlock) }

// The workers read the files themselves: only the blocks travel.
func TestWordCountFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "1.txt"), []byte("the cat\nthe dog\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "2.txt"), []byte("a cat and the cat\n"), 0o644)
	blocks, err := TextBlocks(context.Background(), filepath.Join(dir, "*.txt"), 4)
	if err != nil {
		t.Fatal(err)
	}
	got, err := MapReducePerKey(context.Background(), blocks, countBlock, add)
	if err != nil {
		t.Fatal(err)
	}
	if got["the"] != 3 || got["cat"] != 3 || got["dog"] != 1 || got["a"] != 1 || got["and"] != 1 || len(got) != 5 {
		t.Errorf("counts %v", got)
	}
}

// Whatever the text and the block size, the blocks give every line once.
func FuzzBlockLines(f *testing.F) {
	f.Add([]byte("a\nbb\n\nccc"), uint8(1))
	f.Add([]byte("x\r\ny\r\n"), uint8(2))
	f.Add([]byte("\n\n\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		path := filepath.Join(t.TempDir(), "f.txt")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var want []string
		if len(data) > 0 {
			for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
				want = append(want, strings.TrimSuffix(l, "\r"))
			}
		}
		ctx := context.Background()
		blocks, err := TextBlocks(ctx, path, int64(size))
		if len(data) == 0 {
			if err != nil || len(blocks) != 0 {
				t.Fatalf("empty file: %v, %v", blocks, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range blocks {
			if err := b.Lines(ctx, func(l string) error { got = append(got, l); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("block size %d: got %q, want %q", size, got, want)
		}
	})
}
