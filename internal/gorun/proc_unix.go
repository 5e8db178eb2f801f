//go:build unix

package gorun

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/term"
)

// ownGroup starts cmd in a process group of its own, and makes the
// cancellation of its context kill the whole group: the program and every
// process it started (a snippet's subprocesses, a test binary's). Not when
// speedup's standard input is a terminal, which the program may read: a
// process outside the terminal's foreground group that reads it is stopped
// (SIGTTIN). There the terminal's ^C reaches the program anyway.
func ownGroup(cmd *exec.Cmd) {
	if term.IsTerminal(int(os.Stdin.Fd())) {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}
