package kernel

import (
	"os/exec"
	"strings"
	"sync"
	"syscall"
)

// processAlive reports whether process pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

var goVersionOnce = sync.OnceValue(func() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "go")
})

func goVersion() string { return goVersionOnce() }
