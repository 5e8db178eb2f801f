//go:build linux

package child

import (
	_speedup_syscall "syscall"
	_speedup_time "time"
)

// _speedup_nanosleep sleeps in the kernel, on the calling thread.
func _speedup_nanosleep(d _speedup_time.Duration) {
	ts := _speedup_syscall.NsecToTimespec(int64(d))
	_speedup_syscall.Nanosleep(&ts, nil)
}

// _speedup_cloexec keeps the protocol's descriptor fd from the processes
// that the program starts: one of them holding the reply pipe open would
// hide the program's end from the parent.
func _speedup_cloexec(fd int) { _speedup_syscall.CloseOnExec(fd) }
