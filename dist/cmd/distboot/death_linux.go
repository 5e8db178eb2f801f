package main

import "syscall"

// dieWithParent makes the worker receive SIGKILL when distboot dies.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
