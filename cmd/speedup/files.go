package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/gospeedup/speedup/internal/atomicfile"
)

// readStdin reads the statements given as "-": a cell. A UTF-8 byte order
// mark, which some editors and Windows tools put first, is dropped: the Go
// compiler rejects one anywhere but at the start of a file, and the cell
// is pasted after other code.
func readStdin(stdin io.Reader) (string, error) {
	b, err := io.ReadAll(stdin)
	if err != nil {
		return "", fmt.Errorf("reading the statements from stdin: %v", err)
	}
	return string(bytes.TrimPrefix(b, []byte("\uFEFF"))), nil
}

// checkOutput checks an output path given with a flag (--plot, -D, -T)
// before any build or measurement, so that a typo costs nothing; an empty
// path (the flag not given) is fine.
func checkOutput(path string) error {
	if path == "" {
		return nil
	}
	return atomicfile.Check(path)
}
