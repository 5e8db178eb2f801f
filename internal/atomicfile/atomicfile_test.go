package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.svg")
	if err := WriteFile(path, []byte("first")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, "half of the sec")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write returned %v, want the writer's error", err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "first" {
		t.Fatalf("after a failed write the file holds %q (%v), want the earlier good one", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
}

func TestWriteMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "x.json")
	if err := WriteFile(path, []byte("x")); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}

func TestWriteDirectory(t *testing.T) {
	dir := t.TempDir()
	err := WriteFile(dir, []byte("x"))
	if err == nil || err.Error() != dir+" is a directory" {
		t.Fatalf("writing to a directory: %v, want %q", err, dir+" is a directory")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left in the directory: %v", entries)
	}
}

func TestWriteKeepsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o600) // whatever the umask
	if err := WriteFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after rewrite: %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("content %q", b)
	}
}

func TestWriteFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	real := filepath.Join(sub, "real.txt")
	if err := os.WriteFile(real, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(real, 0o640)
	// A relative link, through a second link: both stay links.
	link1 := filepath.Join(dir, "out.txt")
	link2 := filepath.Join(dir, "hop.txt")
	if err := os.Symlink("sub/real.txt", link2); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("hop.txt", link1); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link1, []byte("new")); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{link1, link2} {
		fi, err := os.Lstat(l)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symbolic link (%v, %v)", l, fi.Mode(), err)
		}
	}
	fi, _ := os.Stat(real)
	if b, _ := os.ReadFile(real); string(b) != "new" || fi.Mode().Perm() != 0o640 {
		t.Errorf("target holds %q with mode %v, want %q with 0640", b, fi.Mode().Perm(), "new")
	}
	// A dangling link creates its target.
	dangling := filepath.Join(dir, "dangling.txt")
	os.Symlink("sub/made.txt", dangling)
	if err := WriteFile(dangling, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(sub, "made.txt")); err != nil || string(b) != "x" {
		t.Errorf("dangling link target: %q, %v", b, err)
	}
	if fi, _ := os.Lstat(dangling); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("dangling link replaced by a file")
	}
	loop := filepath.Join(dir, "loop")
	os.Symlink("loop", loop)
	if err := WriteFile(loop, []byte("x")); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("symlink loop: %v", err)
	}
	assertNoTemps(t, dir, sub)
}

func TestWriteFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if err := WriteFile(fifo, []byte("through the pipe")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Errorf("reader got %q", s)
	}
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO became %v (%v)", fi.Mode(), err)
	}
	assertNoTemps(t, dir)
}

// A device is written in place and its errors reported: /dev/full must
// give "no space left on device", never be replaced by a regular file. The
// test writes to its own copy of the device node when it may create one,
// so that a regression cannot replace the system's /dev/full.
func TestWriteDevice(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	if err := syscall.Mknod(full, syscall.S_IFCHR|0o666, mkdev(1, 7)); err != nil {
		t.Skip("cannot create a device node:", err)
	}
	err := WriteFile(full, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), full) {
		t.Errorf("writing to a full device: %v", err)
	}
	fi, err := os.Lstat(full)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("the device node became %v (%v)", fi.Mode(), err)
	}
	null := filepath.Join(dir, "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, mkdev(1, 3)); err == nil {
		if err := WriteFile(null, []byte("x")); err != nil {
			t.Errorf("writing to a null device: %v", err)
		}
	}
	assertNoTemps(t, dir)
}

// /dev/stdout is a link into /proc: it is written through the open file
// descriptor, appended (the process's own output may be in the same file).
func TestWriteDevStdout(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd/1"); err != nil {
		t.Skip("no /proc")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "stdout.txt")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("report\n")
	path := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	if err := WriteFile(path, []byte("copy\n")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "report\ncopy\n" {
		t.Errorf("file behind the descriptor holds %q", b)
	}
	assertNoTemps(t, dir)
}

func TestWriteCancelled(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.txt")
	os.WriteFile(path, []byte("earlier"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	err := WriteContext(ctx, path, func(w io.Writer) error {
		for i := 0; ; i++ {
			if i == 100 {
				cancel()
			}
			if _, err := w.Write(make([]byte, 1<<16)); err != nil {
				return err
			}
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "earlier" {
		t.Errorf("target changed by a cancelled write: %d bytes", len(b))
	}
	assertNoTemps(t, dir)
}

// Cleanup, called by a signal handler while a write is in progress, removes
// the temporary file at once and the write then fails without renaming.
func TestCleanupDuringWrite(t *testing.T) {
	defer func() { mu.Lock(); stopped = false; mu.Unlock() }()
	dir := t.TempDir()
	path := filepath.Join(dir, "report.txt")
	inside := make(chan struct{})
	resume := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- Write(path, func(w io.Writer) error {
			w.Write(make([]byte, 1<<20))
			close(inside)
			<-resume
			_, err := w.Write([]byte("end"))
			return err
		})
	}()
	<-inside
	if len(pending()) != 1 {
		t.Fatalf("pending temporary files: %v", pending())
	}
	Cleanup()
	assertNoTemps(t, dir)
	close(resume)
	if err := <-done; err == nil {
		t.Error("a write interrupted by Cleanup succeeded")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("target created after Cleanup: %v", err)
	}
	if err := WriteFile(path, []byte("x")); err == nil {
		t.Error("a write after Cleanup succeeded")
	}
	assertNoTemps(t, dir)
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	if err := Check(filepath.Join(dir, "new.txt")); err != nil {
		t.Errorf("new file in a writable directory: %v", err)
	}
	if err := Check(filepath.Join(dir, "no", "x.txt")); err == nil || !strings.Contains(err.Error(), "no directory") {
		t.Errorf("missing directory: %v", err)
	}
	if err := Check(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if err := Check(filepath.Join(ro, "x.txt")); err == nil || !strings.Contains(err.Error(), "not writable") {
			t.Errorf("read-only directory: %v", err)
		}
	}
}

func assertNoTemps(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Errorf("temporary file left behind: %s", filepath.Join(d, e.Name()))
			}
		}
	}
}

// mkdev is Linux's device number for small major and minor numbers.
func mkdev(major, minor int) int { return major<<8 | minor }

// Root rewriting another user's file keeps its owner.
func TestWriteKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to own a file as another user")
	}
	path := filepath.Join(t.TempDir(), "theirs.txt")
	os.WriteFile(path, []byte("old"), 0o644)
	if err := os.Chown(path, 1234, 5678); err != nil {
		t.Skip(err)
	}
	if err := WriteFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 1234 || st.Gid != 5678 {
		t.Errorf("owner %d:%d, want 1234:5678", st.Uid, st.Gid)
	}
}
