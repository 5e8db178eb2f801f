//go:build unix

package outpath

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(file, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink(filepath.Join(dir, "sub", "x.txt"), link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o666); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, err string // err: "" for no error, else a part of the message
	}{
		{"", ""},
		{filepath.Join(dir, "new.svg"), ""},
		{file, ""},
		{fifo, ""},
		{os.DevNull, ""},
		{dir, "is a directory"},
		{filepath.Join(dir, "nope", "p.svg"), "no directory " + filepath.Join(dir, "nope")},
		{filepath.Join(file, "p.svg"), "is not a directory"},
		// A link to a file in a missing directory: the link's target is
		// what would be written.
		{link, "no directory " + filepath.Join(dir, "sub")},
	} {
		err := Check(tc.path)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("Check(%q) = %v, want no error", tc.path, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Check(%q) = %v, want an error with %q", tc.path, err, tc.err)
		}
	}
	if os.Getuid() != 0 { // root may write anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if err := Check(filepath.Join(ro, "p.svg")); err == nil || !strings.Contains(err.Error(), "not writable") {
			t.Errorf("read-only directory: %v", err)
		}
	}
}
