// Package atomicfile writes output files (plots, traces, reports, saved
// profiles) so that nobody ever sees half of one and nothing but the file's
// content changes:
//
//   - A regular file (or a path that does not exist yet) is written to a
//     temporary file in the same directory, which is renamed over the target
//     only once everything was written. On failure the target is untouched
//     (an earlier good file survives) and the temporary file is removed. An
//     existing file keeps its permission bits (a 0600 file stays 0600); a
//     new one gets 0644.
//   - A symbolic link is followed: its final target is written as above and
//     the link stays a link.
//   - Anything else (a FIFO, a terminal, /dev/stdout, /dev/null, a device) is
//     opened and written directly: renaming over it would replace the
//     device node or pipe by a regular file.
//
// No temporary file survives a cancelled write (WriteContext) nor an exit
// that calls Cleanup first, as the command's signal handler does.
package atomicfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// Write is WriteContext with a context that is never cancelled.
func Write(path string, write func(w io.Writer) error) error {
	return WriteContext(context.Background(), path, write)
}

// WriteFile is Write for bytes already in memory.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteContext calls write with a buffered writer to path (see the package
// documentation for how each kind of file is written). Once ctx is done,
// the writer's Write fails with ctx's error, the temporary file is removed
// and the target is left as it was.
func WriteContext(ctx context.Context, path string, write func(w io.Writer) error) error {
	t, err := resolve(path)
	if err != nil {
		return err
	}
	if !t.atomic {
		return writeDirect(ctx, path, t, write)
	}
	return writeAtomic(ctx, path, t, write)
}

// Check reports, without writing anything, why path could not be written:
// a missing or unwritable directory, a directory in place of the file, a
// symbolic link loop. The message does not repeat path, which the caller
// shows with the flag that named it ("-T out.txt: no directory out").
// Commands call it for every output path before any build or measurement,
// so that a typo costs nothing.
func Check(path string) error {
	t, err := resolve(path)
	if errors.Is(err, errIsDir) {
		return errIsDir
	}
	if err != nil {
		return err
	}
	if !t.atomic {
		// Opening a FIFO for writing would block until a reader comes: the
		// permission bits tell enough.
		if access(t.path, 2) != nil {
			return fmt.Errorf("%s is not writable", t.path)
		}
		return nil
	}
	dir := filepath.Dir(t.path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("no directory %s", dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	// The temporary file is created in dir, so dir must be writable even
	// when the file itself exists.
	if access(dir, 2|1) != nil {
		return fmt.Errorf("directory %s is not writable", dir)
	}
	return nil
}

// errIsDir is resolve's error for a directory; Write shows it with the
// path, Check without.
var errIsDir = errors.New("is a directory")

func access(path string, mode uint32) error { return syscall.Access(path, mode) }

// target is where a write to a path really goes.
type target struct {
	path   string          // the file to write: path with its symbolic links followed
	atomic bool            // a regular file, or nothing yet: write a temporary file and rename it
	exists bool            // the regular file exists (then mode is its mode)
	mode   fs.FileMode     // permission bits to give the new file
	owner  *syscall.Stat_t // the existing file's owner, kept when we may
	append bool            // write directly with O_APPEND: a /proc/self/fd link (/dev/stdout)
}

// maxLinks bounds the symbolic links followed, like the kernel's ELOOP.
const maxLinks = 40

func resolve(path string) (target, error) {
	if path == "" {
		return target{}, errors.New("empty output file name")
	}
	p := path
	for range maxLinks {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return target{path: p, atomic: true, mode: 0o644}, nil
		}
		if err != nil {
			return target{}, err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			if strings.HasPrefix(p, "/proc/") || strings.HasPrefix(p, "/dev/fd/") {
				// /dev/stdout -> /proc/self/fd/1 -> "pipe:[123]" or the
				// file the shell redirected to: only the open file
				// descriptor is the right target, and it is shared with
				// the process's own output, so append to it, never replace
				// it nor truncate it.
				return target{path: p, append: true}, nil
			}
			link, err := os.Readlink(p)
			if err != nil {
				return target{}, err
			}
			if !filepath.IsAbs(link) {
				link = filepath.Join(filepath.Dir(p), link)
			}
			p = link
		case fi.IsDir():
			return target{}, fmt.Errorf("%s %w", path, errIsDir)
		case fi.Mode().IsRegular():
			st, _ := fi.Sys().(*syscall.Stat_t)
			return target{path: p, atomic: true, exists: true, mode: fi.Mode().Perm(), owner: st}, nil
		default:
			return target{path: p}, nil
		}
	}
	return target{}, fmt.Errorf("%s: too many levels of symbolic links", path)
}

func writeDirect(ctx context.Context, name string, t target, write func(w io.Writer) error) (err error) {
	flag := os.O_WRONLY
	if t.append {
		flag |= os.O_APPEND
	}
	f, err := os.OpenFile(t.path, flag, 0)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	return writeAll(ctx, name, f, write)
}

// writeAll runs write on a buffered, cancellable writer to f and flushes it.
// Errors name the file as the user gave it, not the temporary file.
func writeAll(ctx context.Context, name string, f *os.File, write func(w io.Writer) error) error {
	bw := bufio.NewWriter(&ctxWriter{ctx: ctx, w: f})
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return &fs.PathError{Op: "write", Path: name, Err: pe.Err}
		}
		return err
	}
	return ctx.Err()
}

// ctxWriter fails every Write once ctx is done, so that a long write stops
// soon after a cancellation.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

func writeAtomic(ctx context.Context, name string, t target, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(t.path)
	if dir == "" {
		dir = "."
	}
	// The same directory keeps the rename on one file system, where it is
	// atomic.
	f, err := createTemp(dir, base)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			removeTemp(f.Name())
		}
	}()
	if err = writeAll(ctx, name, f, write); err != nil {
		return err
	}
	// CreateTemp's 0600 suits secrets, not pictures meant to be shared; an
	// existing file keeps its own bits.
	if err = f.Chmod(t.mode); err != nil {
		return err
	}
	if t.owner != nil && int(t.owner.Uid) != os.Geteuid() {
		// Root rewriting a user's file must not make it root's; anyone
		// else cannot give a file away, and the file becomes theirs.
		f.Chown(int(t.owner.Uid), int(t.owner.Gid))
	}
	if err = f.Close(); err != nil {
		return err
	}
	return commit(f.Name(), t.path)
}

// The registry of temporary files being written, so that Cleanup can remove
// them when the process is about to exit.
var (
	mu      sync.Mutex
	temps   = map[string]bool{}
	stopped bool
)

// errStopped is returned by writes that Cleanup interrupted.
var errStopped = errors.New("output stopped: the program is exiting")

func createTemp(dir, base string) (*os.File, error) {
	mu.Lock()
	defer mu.Unlock()
	if stopped {
		return nil, errStopped
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, err
	}
	temps[f.Name()] = true
	return f, nil
}

func removeTemp(name string) {
	mu.Lock()
	defer mu.Unlock()
	os.Remove(name)
	delete(temps, name)
}

// commit renames the finished temporary file over path, unless Cleanup came
// first: under the lock, so that a file is either complete at path or gone.
func commit(tmp, path string) error {
	mu.Lock()
	defer mu.Unlock()
	delete(temps, tmp)
	if stopped {
		os.Remove(tmp)
		return errStopped
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Cleanup removes every temporary file being written and makes writes in
// progress and later ones fail, leaving their targets untouched. A command
// calls it before it exits on a signal (from the signal handler's
// goroutine), so that no hidden partial file survives an interruption.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	stopped = true
	for name := range temps {
		os.Remove(name)
		delete(temps, name)
	}
}

// pending returns the temporary files being written (for tests).
func pending() []string {
	mu.Lock()
	defer mu.Unlock()
	var names []string
	for n := range temps {
		names = append(names, n)
	}
	return names
}
