package gorun

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/gospeedup/speedup/internal/gorun/child"
)

// ChildOptions configure a child program started by [Program.Start].
type ChildOptions struct {
	// Args are the program's arguments.
	Args []string
	// Env is added to the program's environment (after BuildOptions.Env).
	Env []string
	// Stdin, Stdout and Stderr are the program's standard streams; nil
	// means the null device.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Child is a running child program that speaks speedup's protocol (see
// package child): requests are JSON lines on its file descriptor 3,
// replies JSON lines on its descriptor 4, and descriptor 5 receives a copy
// of a crash report. It is not safe for concurrent use.
type Child struct {
	cmd     *exec.Cmd
	req     *os.File
	repFile *os.File // read end of the reply pipe, closed by Wait
	rep     *bufio.Reader
	done    chan struct{}
	waitErr error
	closed  bool
	// crashPath is the file receiving the program's crash report.
	crashPath string
}

// Start starts the program with the protocol's pipes. Cancelling ctx kills
// it and every process it started.
func (p *Program) Start(ctx context.Context, o ChildOptions) (*Child, error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, err
	}
	cmd := p.Command(ctx, o.Args...)
	cmd.Env = append(append(cmd.Env, o.Env...), "SPEEDUP_CHILD=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	cmd.ExtraFiles = []*os.File{reqR, repW} // fd 3 and fd 4 in the child
	// fd 5: the runtime's crash report. A file, not a pipe: nobody reads
	// while the child crashes.
	c := &Child{done: make(chan struct{})}
	var crash *os.File
	if p.tmp != "" {
		if crash, err = os.CreateTemp(p.tmp, "crash-*.txt"); err == nil {
			c.crashPath = crash.Name()
			cmd.ExtraFiles = append(cmd.ExtraFiles, crash)
			cmd.Env = append(cmd.Env, "SPEEDUP_CRASH_FD=5")
		}
	}
	cmd.WaitDelay = time.Second
	err = cmd.Start()
	// The child holds its own copies; ours would keep the pipes open.
	reqR.Close()
	repW.Close()
	if crash != nil {
		crash.Close()
	}
	if err != nil {
		reqW.Close()
		repR.Close()
		return nil, err
	}
	c.cmd, c.req, c.repFile, c.rep = cmd, reqW, repR, bufio.NewReader(repR)
	// The reply pipe stays open after the child exits: a reply it wrote
	// just before exiting (a panic report) is still in the pipe, and the
	// child's exit already gives our reader EOF.
	go func() {
		c.waitErr = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// Send writes one request.
func (c *Child) Send(req *child.Request) error {
	if c.closed {
		return errors.New("the child program is done")
	}
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := c.req.Write(append(b, '\n')); err != nil {
		return c.died()
	}
	return nil
}

// Receive reads one reply. When the program ends without replying, the
// error says how it ended (a *CrashError when the runtime reported a
// crash).
func (c *Child) Receive() (*child.Reply, error) {
	line, err := c.rep.ReadBytes('\n')
	if err != nil {
		return nil, c.died()
	}
	var r child.Reply
	if err := json.Unmarshal(line, &r); err != nil {
		return nil, fmt.Errorf("bad reply from the child program: %v", err)
	}
	return &r, nil
}

// Call sends req and returns the reply.
func (c *Child) Call(req *child.Request) (*child.Reply, error) {
	if err := c.Send(req); err != nil {
		return nil, err
	}
	return c.Receive()
}

// died waits for the program and explains how it ended.
func (c *Child) died() error {
	c.finish()
	if ce := c.crash(); ce != nil {
		return ce
	}
	var ee *exec.ExitError
	if errors.As(c.waitErr, &ee) {
		return fmt.Errorf("the program ended unexpectedly (%s)", ee.ProcessState.String())
	}
	if c.waitErr != nil {
		return fmt.Errorf("the program failed: %v", c.waitErr)
	}
	return errors.New("the program exited before answering (did it call os.Exit?)")
}

// crash returns the crash the runtime reported, if any.
func (c *Child) crash() *CrashError {
	if c.crashPath == "" {
		return nil
	}
	b, _ := os.ReadFile(c.crashPath)
	return parseCrash(string(b))
}

// finish closes the request pipe, waits for the program and closes the
// reply pipe.
func (c *Child) finish() {
	if c.closed {
		return
	}
	c.closed = true
	c.req.Close()
	<-c.done
	c.repFile.Close()
}

// Wait ends the requests (the child's end of file on descriptor 3), waits
// for the program and returns its exit status, or the error of a program
// that could not be waited for.
func (c *Child) Wait() (int, error) {
	c.finish()
	var ee *exec.ExitError
	if errors.As(c.waitErr, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, c.waitErr
}
