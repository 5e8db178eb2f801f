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
