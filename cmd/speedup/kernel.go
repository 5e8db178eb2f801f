package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gospeedup/speedup/internal/atomicfile"
	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/internal/kernel"
)

const kernelUsage = `usage: speedup kernel install [--user | --sys-prefix | --prefix DIR] [--name NAME] [-C DIR]
       speedup kernel -f CONNECTION_FILE [-C DIR]

Kernel is a Jupyter kernel for Go: cells are compiled Go, declarations and
variables carry over from cell to cell, and the magics %timeit, %%timeit,
%lprun, %scaling, %load_ext line_profiler, %go get, %who, %rm and %reset
work as in IPython. See docs/kernel.md.

"speedup kernel install" writes the kernelspec NAME (default "speedup")
where Jupyter looks for it: for the user ($JUPYTER_DATA_DIR/kernels or
~/.local/share/jupyter/kernels, the default), in Python's prefix
(--sys-prefix, asking /usr/bin/python3), or under DIR/share/jupyter/kernels
(--prefix). With -C DIR the cells run inside the Go package in DIR, whose
unexported names they can use; without it they run in a module of their
own, which can import the packages of the module around the notebook.

"speedup kernel -f FILE" is what Jupyter runs: it serves the connection
file's five sockets until shut down, or until its parent process dies.

Examples:

	speedup kernel install
	speedup kernel install --name distance -C ./examples/distance
	jupyter notebook docs/tutorial.ipynb
`

func init() {
	register(&command{
		name:  "kernel",
		short: "a Jupyter kernel for Go with %timeit, %lprun and %scaling",
		usage: kernelUsage,
		run:   runKernel,
		// SIGINT interrupts the running cell, SIGTERM and SIGHUP shut
		// the kernel down: serveKernel handles them itself.
		ownSignals: true,
	})
}

func runKernel(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := commands["kernel"]
	if len(args) > 0 && args[0] == "install" {
		return kernelInstall(c, args[1:], stdout)
	}
	fs := newFlagSet(c)
	connFile := fs.String("f", "", "")
	dir := fs.String("C", "", "")
	pos, err := parseFlags(c, fs, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("kernel: unexpected argument %q (want install, or -f CONNECTION_FILE)", pos[0])
	}
	if *connFile == "" {
		return usageError("kernel: missing -f CONNECTION_FILE (Jupyter passes it; to set the kernel up, run speedup kernel install)")
	}
	return serveKernel(*connFile, *dir, stderr)
}

func serveKernel(connFile, dir string, stderr io.Writer) error {
	conn, err := kernel.ReadConnectionFile(connFile)
	if err != nil {
		return fmt.Errorf("kernel: %v", err)
	}
	wd, _ := os.Getwd()
	sess, err := kernel.NewSession(kernel.Options{Dir: dir, WorkDir: wd})
	if err != nil {
		return fmt.Errorf("kernel: -C: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := kernel.NewServer(ctx, conn, sess, stderr)
	if err != nil {
		sess.Close()
		return fmt.Errorf("kernel: %v", err)
	}
	// SIGINT interrupts the running cell (a front-end may send it even
	// with interrupt_mode "message"); SIGTERM and SIGHUP end the kernel,
	// cleaning up like a shutdown request.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		for sig := range sigs {
			if sig == os.Interrupt {
				srv.Interrupt()
				continue
			}
			srv.Shutdown()
		}
	}()
	return srv.Serve(ctx)
}

// kernelSpec is Jupyter's kernel.json.
type kernelSpec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env,omitempty"`
	Metadata      map[string]any    `json:"metadata,omitempty"`
}

func kernelInstall(c *command, args []string, stdout io.Writer) error {
	fs := newFlagSet(c)
	user := fs.Bool("user", false, "")
	sysPrefix := fs.Bool("sys-prefix", false, "")
	prefix := fs.String("prefix", "", "")
	name := fs.String("name", "speedup", "")
	dir := fs.String("C", "", "")
	display := fs.String("display-name", "", "")
	pos, err := parseFlags(c, fs, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("kernel install: unexpected argument %q", pos[0])
	}
	n := 0
	for _, b := range []bool{*user, *sysPrefix, *prefix != ""} {
		if b {
			n++
		}
	}
	if n > 1 {
		return usageError("kernel install: --user, --sys-prefix and --prefix exclude each other")
	}
	if *name == "" || strings.ContainsAny(*name, "/\\ ") {
		return usageError("kernel install: --name %q: want a name without spaces or slashes", *name)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("kernel install: finding speedup's own path: %v", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return fmt.Errorf("kernel install: %v", err)
	}
	spec := kernelSpec{
		Argv:          []string{exe, "kernel", "-f", "{connection_file}"},
		DisplayName:   "Go (speedup)",
		Language:      "go",
		InterruptMode: "message",
	}
	if *dir != "" {
		pkg, err := gorun.ResolvePackage(*dir, "")
		if err != nil {
			return usageError("kernel install: -C: %v", err)
		}
		spec.Argv = append(spec.Argv, "-C", pkg.Dir)
		spec.DisplayName = "Go (speedup, " + pkg.Name + ")"
	}
	if *display != "" {
		spec.DisplayName = *display
	}
	base, err := kernelsDir(*prefix, *sysPrefix)
	if err != nil {
		return err
	}
	kdir := filepath.Join(base, *name)
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		return fmt.Errorf("kernel install: %v", err)
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(kdir, "kernel.json"), append(b, '\n')); err != nil {
		return fmt.Errorf("kernel install: %v", err)
	}
	fmt.Fprintf(stdout, "Installed kernelspec %s in %s\n", *name, kdir)
	return nil
}

// kernelsDir is where Jupyter looks for kernelspecs: under --prefix DIR,
// under /usr/bin/python3's prefix (--sys-prefix), or the user's data
// directory ($JUPYTER_DATA_DIR, else ~/.local/share/jupyter).
func kernelsDir(prefix string, sysPrefix bool) (string, error) {
	switch {
	case prefix != "":
		p, err := filepath.Abs(prefix)
		if err != nil {
			return "", err
		}
		return filepath.Join(p, "share", "jupyter", "kernels"), nil
	case sysPrefix:
		out, err := exec.Command("/usr/bin/python3", "-c", "import sys; print(sys.prefix)").Output()
		if err != nil {
			return "", fmt.Errorf("kernel install: --sys-prefix: asking /usr/bin/python3 for its prefix: %v", err)
		}
		return filepath.Join(strings.TrimSpace(string(out)), "share", "jupyter", "kernels"), nil
	}
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return filepath.Join(d, "kernels"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kernel install: %v", err)
	}
	return filepath.Join(home, ".local", "share", "jupyter", "kernels"), nil
}
