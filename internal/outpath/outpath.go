// Package outpath checks output paths before the work whose results they
// will receive: a command that measures for minutes must not find out at
// the end that it cannot write its plot.
package outpath

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Check checks, before any build or measurement, that an output file
// (--plot, -D, -T, -trace, -timeline) can be written where it is asked
// for: an error after a run of minutes would lose its results. An existing target must not be a
// directory and, when it is not a regular file (a FIFO, /dev/stdout), must
// be writable itself; otherwise its directory must exist and be writable,
// since the file is written next to it and renamed over it.
func Check(path string) error {
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
	}
	dir := filepath.Dir(target(path))
	di, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("no directory %s to write it in", dir)
	case err != nil && errors.Is(err, syscall.ENOTDIR), err == nil && !di.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case err != nil:
		return err
	case !writable(dir):
		return fmt.Errorf("directory %s is not writable", dir)
	}
	return nil
}

// target follows path's symbolic links, even to a target that does not
// exist yet (which the write will create).
func target(path string) string {
	for range 40 { // the kernel's own limit on a chain of links
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path
		}
		to, err := os.Readlink(path)
		if err != nil {
			return path
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = to
	}
	return path
}
