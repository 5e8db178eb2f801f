//go:build !linux

package child

import _speedup_time "time"

// _speedup_nanosleep sleeps (where the syscall package has no Nanosleep).
func _speedup_nanosleep(d _speedup_time.Duration) { _speedup_time.Sleep(d) }

// _speedup_cloexec does nothing here.
func _speedup_cloexec(fd int) {}
