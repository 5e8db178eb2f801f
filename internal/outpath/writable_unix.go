//go:build unix

package outpath

import "syscall"

// writable reports whether this process may write path (a file, or a
// directory to create files in), as the kernel would decide it.
func writable(path string) bool {
	const wOK = 2 // W_OK
	return syscall.Access(path, wOK) == nil
}
