package diag

import (
	"io"

	"github.com/gospeedup/speedup/internal/atomicfile"
)

// writeFileAtomic writes what wt produces to path without ever leaving a
// half-written trace or picture (see internal/atomicfile).
func writeFileAtomic(path string, wt io.WriterTo) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	})
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
