//go:build unix

package gorun

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/term"
)

// killGroupOnCancel makes cmd the leader of a new process group and has
// the cancellation of its context kill that whole group: the go command's
// compilers and linkers, and whatever a snippet started, die with it, so
// that an interrupted speedup leaves no process behind.
//
// A child whose standard input is a terminal, known only when it starts,
// stays in speedup's group: in a group of its own it would be stopped
// (SIGTTIN) on its first read. It still gets the terminal's ^C with
// speedup, and cancellation kills it.
func killGroupOnCancel(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.Cancel = func() error {
		if !cmd.SysProcAttr.Setpgid {
			return cmd.Process.Kill()
		}
		// The negative pid names the group (its id is the leader's pid).
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}

// foreground keeps cmd in speedup's process group when its standard input
// is a terminal; call it after setting Stdin and before Start.
func foreground(cmd *exec.Cmd) {
	if f, ok := cmd.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) && cmd.SysProcAttr != nil {
		cmd.SysProcAttr.Setpgid = false
	}
}
