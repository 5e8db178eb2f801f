package diag

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
)

// writeFileAtomic writes what wt produces to path through a temporary file
// in the same directory and a rename, so that a reader (or a crash) never
// sees a half-written trace or picture, and an earlier good file is left
// alone when writing fails.
func writeFileAtomic(path string, wt io.WriterTo) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriter(f)
	if _, err = wt.WriteTo(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	// CreateTemp makes the file private (0600); an output meant to be opened
	// in a browser or shared should get the usual permissions.
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// countWriter counts the bytes written through it and keeps the first
// error, so that WriteTo methods can write piecemeal and check once.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
