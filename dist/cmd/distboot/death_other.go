//go:build !linux

package main

import "syscall"

// dieWithParent does nothing where there is no parent-death signal: the
// worker stops when the runner closes its connections.
func dieWithParent() *syscall.SysProcAttr { return nil }

// reapChildren does nothing here: children that the worker pool does not
// wait for linger until it exits.
func reapChildren() {}
