package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// checkOutput checks, before any build or measurement, that an output file
// (--plot, -D, -T) can be written where it is asked for: an error after a
// run of minutes would lose its results. An existing target must not be a
// directory and, when it is not a regular file (a FIFO, /dev/stdout), must
// be writable itself; otherwise its directory must exist and be writable,
// since the file is written next to it and renamed over it.
func checkOutput(path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path) // through symlinks, to what will be written
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("%s is a directory", path)
	case err == nil && !fi.Mode().IsRegular():
		if !writable(path) {
			return fmt.Errorf("%s is not writable", path)
		}
		return nil
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return err
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	dir := filepath.Dir(path)
	di, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("no directory %s to write it in", dir)
	case !di.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case !writable(dir):
		return fmt.Errorf("directory %s is not writable", dir)
	}
	return nil
}
