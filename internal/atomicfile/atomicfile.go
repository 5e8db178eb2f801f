// Package atomicfile writes output files (plots, traces, reports, saved
// profiles) so that nobody ever sees half of one: the bytes go to a
// temporary file in the same directory, which is renamed over the target
// only once everything was written. On failure the target is untouched (an
// earlier good file survives) and the temporary file is removed.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write calls write with a buffered writer to a temporary file next to
// path, and renames that file to path if write and every flush and close
// succeeded. The file gets mode 0644 (less the umask does not apply to
// CreateTemp, whose 0600 suits secrets, not pictures meant to be shared).
func Write(path string, write func(w io.Writer) error) (err error) {
	// Renaming over a directory fails only at the end, after the work,
	// with a message about the temporary name; say it plainly up front.
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// The same directory keeps the rename on one file system, where it is
	// atomic.
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// WriteFile is Write for bytes already in memory.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
