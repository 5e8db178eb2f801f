//go:build !unix

package gorun

import "os/exec"

// killGroupOnCancel leaves cmd as it is: without process groups the
// context's cancellation kills the child alone.
func killGroupOnCancel(cmd *exec.Cmd) {}

// foreground does nothing without process groups.
func foreground(cmd *exec.Cmd) {}
