//go:build !unix

package gorun

import "os/exec"

// ownGroup leaves cmd as it is where process groups are not available:
// cancelling its context kills the program only.
func ownGroup(cmd *exec.Cmd) {}
