package main

import (
	"os/signal"
	"syscall"
)

// dieWithParent makes the worker receive SIGKILL when distboot dies.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// reapChildren makes the kernel reap the children that exit, which then
// never linger as zombies.
func reapChildren() { signal.Ignore(syscall.SIGCHLD) }
