package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ConnectionInfo is a Jupyter connection file.
type ConnectionInfo struct {
	Transport       string `json:"transport"`
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	ControlPort     int    `json:"control_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name"`
}

// ReadConnectionFile reads and checks a connection file.
func ReadConnectionFile(path string) (*ConnectionInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c ConnectionInfo
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if c.Transport == "" {
		c.Transport = "tcp"
	}
	if c.Transport != "tcp" {
		return nil, fmt.Errorf("%s: transport %q is not supported (only tcp)", path, c.Transport)
	}
	if c.SignatureScheme != "" && c.SignatureScheme != "hmac-sha256" {
		return nil, fmt.Errorf("%s: signature scheme %q is not supported (only hmac-sha256)", path, c.SignatureScheme)
	}
	if c.IP == "" {
		return nil, fmt.Errorf("%s: no ip", path)
	}
	for _, p := range []int{c.ShellPort, c.IOPubPort, c.StdinPort, c.ControlPort, c.HBPort} {
		if p <= 0 || p > 65535 {
			return nil, fmt.Errorf("%s: bad port %d", path, p)
		}
	}
	return &c, nil
}

func (c *ConnectionInfo) endpoint(port int) string {
	return fmt.Sprintf("%s://%s:%d", c.Transport, c.IP, port)
}

// Output receives what a cell produces, as it produces it.
type Output interface {
	// Stream sends text on "stdout" or "stderr".
	Stream(name, text string)
	// Display sends a display_data message, or update_display_data when
	// update is set; id is the display id ("" for none).
	Display(data map[string]any, metadata map[string]any, id string, update bool)
}

// CellError is a cell's failure as Jupyter shows it.
type CellError struct {
	Name, Value string
	Traceback   []string
}

func (e *CellError) Error() string { return e.Name + ": " + e.Value }

// Engine runs cells. The server calls Execute for one cell at a time;
// Interrupt may be called concurrently.
type Engine interface {
	// Execute runs code. It returns the value to show as execute_result
	// (nil for none) or an error, a *CellError for the user.
	Execute(ctx context.Context, code string, count int, out Output) (map[string]any, error)
	// IsComplete returns "complete", "incomplete" (with an indent),
	// "invalid" or "unknown".
	IsComplete(code string) (status, indent string)
	// Complete returns the matches for the code at cursor (a rune offset)
	// and the rune range they replace.
	Complete(code string, cursor int) (matches []string, start, end int)
	// Inspect returns the documentation of the name at cursor.
	Inspect(code string, cursor int) (text string, found bool)
	// Close stops everything and removes the engine's temporary files.
	Close() error
}

// Server serves the Jupyter protocol for an Engine.
type Server struct {
	conn    *ConnectionInfo
	key     []byte
	session string
	engine  Engine
	log     *log.Logger

	shell, control, stdin, iopub, hb Socket

	iopubMu sync.Mutex
	sendMu  sync.Mutex // shell/control replies

	queue chan *queued

	mu        sync.Mutex
	execCount int
	cancel    context.CancelFunc // of the running cell
	done      chan struct{}
	closeOnce sync.Once
}

type queued struct {
	sock Socket
	msg  *Message
}

// NewServer binds the five sockets of conn.
func NewServer(ctx context.Context, conn *ConnectionInfo, engine Engine, logw io.Writer) (*Server, error) {
	s := newServer(conn, engine, logw)
	binds := []struct {
		dst  *Socket
		kind SocketKind
		port int
	}{
		{&s.shell, Router, conn.ShellPort}, {&s.control, Router, conn.ControlPort},
		{&s.stdin, Router, conn.StdinPort}, {&s.iopub, Pub, conn.IOPubPort}, {&s.hb, Rep, conn.HBPort},
	}
	for _, b := range binds {
		sock, err := Listen(ctx, b.kind, conn.endpoint(b.port))
		if err != nil {
			s.closeSockets()
			return nil, fmt.Errorf("binding %s: %v", conn.endpoint(b.port), err)
		}
		*b.dst = sock
	}
	return s, nil
}

// newServer returns a server without sockets.
func newServer(conn *ConnectionInfo, engine Engine, logw io.Writer) *Server {
	return &Server{
		conn: conn, key: []byte(conn.Key), session: newID(), engine: engine,
		log:   log.New(logw, "speedup kernel: ", 0),
		queue: make(chan *queued, 256),
		done:  make(chan struct{}),
	}
}

func (s *Server) closeSockets() {
	for _, sock := range []Socket{s.shell, s.control, s.stdin, s.iopub, s.hb} {
		if sock != nil {
			sock.Close()
		}
	}
}

// Serve runs until a shutdown request, the end of ctx, or the death of
// the parent process. It closes the engine before it returns.
func (s *Server) Serve(ctx context.Context) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go s.heartbeat()
	go s.recvLoop(s.shell, func(m *Message) { s.queue <- &queued{s.shell, m} })
	go s.recvLoop(s.control, func(m *Message) { s.handleControl(ctx, m) })
	go s.recvLoop(s.stdin, func(*Message) {}) // no input_request is ever sent
	workerDone := make(chan struct{})
	go func() {
		s.worker(ctx)
		close(workerDone)
	}()
	go s.watchParent(ctx)
	s.status(nil, "starting")
	select {
	case <-ctx.Done():
	case <-s.done:
	}
	s.Shutdown()
	// Stop the running cell and let it clean up (its build directory, its
	// process group) before the engine removes the rest.
	s.interrupt()
	select {
	case <-workerDone:
	case <-time.After(5 * time.Second):
	}
	err := s.engine.Close()
	// Let the last replies (shutdown_reply, the idle status) leave.
	time.Sleep(100 * time.Millisecond)
	s.closeSockets()
	return err
}

// Shutdown makes Serve return.
func (s *Server) Shutdown() { s.closeOnce.Do(func() { close(s.done) }) }

func (s *Server) heartbeat() {
	for {
		f, err := s.hb.Recv()
		if err != nil {
			if s.closed() {
				return
			}
			continue
		}
		s.hb.Send(f)
	}
}

func (s *Server) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// recvLoop decodes the messages of sock and hands them to handle. A
// message that does not decode or is wrongly signed is logged and dropped:
// it never reaches a handler, and never stops the kernel.
func (s *Server) recvLoop(sock Socket, handle func(*Message)) {
	for {
		frames, err := sock.Recv()
		if err != nil {
			if s.closed() {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		m, err := Decode(frames, s.key)
		if err != nil {
			s.log.Printf("dropped a message: %v", err)
			continue
		}
		handle(m)
	}
}

// watchParent ends the kernel when the process that started it dies: a
// killed Jupyter server must not leave kernels and their children behind.
func (s *Server) watchParent(ctx context.Context) {
	parent := os.Getppid()
	if v, err := strconv.Atoi(os.Getenv("JPY_PARENT_PID")); err == nil && v > 1 {
		parent = v
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-t.C:
		}
		if os.Getppid() != parent && !processAlive(parent) {
			s.log.Printf("parent process %d died; shutting down", parent)
			s.Shutdown()
			return
		}
	}
}

// send sends a message of type msgType on sock, in reply to parent.
func (s *Server) send(sock Socket, parent *Message, msgType string, content any) {
	m := &Message{Header: newHeader(msgType, s.session), Metadata: json.RawMessage(`{}`)}
	if parent != nil {
		m.Parent, _ = json.Marshal(parent.Header)
		if sock != s.iopub {
			m.Identities = parent.Identities
		}
	}
	if sock == s.iopub {
		m.Identities = [][]byte{[]byte("kernel." + s.session + "." + msgType)}
	}
	var err error
	if m.Content, err = json.Marshal(content); err != nil {
		s.log.Printf("encoding %s: %v", msgType, err)
		return
	}
	frames, err := m.Encode(s.key)
	if err != nil {
		return
	}
	mu := &s.sendMu
	if sock == s.iopub {
		mu = &s.iopubMu
	}
	mu.Lock()
	defer mu.Unlock()
	if err := sock.Send(frames); err != nil && !s.closed() {
		s.log.Printf("sending %s: %v", msgType, err)
	}
}

func (s *Server) status(parent *Message, state string) {
	s.send(s.iopub, parent, "status", map[string]string{"execution_state": state})
}

// worker handles the shell messages one at a time, in order.
func (s *Server) worker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case q := <-s.queue:
			s.handleShell(ctx, q.msg)
		}
	}
}

func (s *Server) kernelInfo() map[string]any {
	return map[string]any{
		"status":                 "ok",
		"protocol_version":       ProtocolVersion,
		"implementation":         "speedup",
		"implementation_version": "0.1",
		"language_info": map[string]any{
			"name":            "go",
			"version":         goVersion(),
			"mimetype":        "text/x-go",
			"file_extension":  ".go",
			"pygments_lexer":  "go",
			"codemirror_mode": "go",
		},
		"banner":     "speedup kernel: Go cells with %timeit, %%timeit, %lprun and %scaling",
		"help_links": []map[string]string{{"text": "speedup kernel", "url": "https://github.com/gospeedup/speedup/blob/main/docs/kernel.md"}},
	}
}

func (s *Server) handleShell(ctx context.Context, m *Message) {
	s.status(m, "busy")
	defer s.status(m, "idle")
	var c map[string]any
	if err := json.Unmarshal(m.Content, &c); err != nil || c == nil {
		c = map[string]any{}
	}
	str := func(k string) string { v, _ := c[k].(string); return v }
	num := func(k string) int { v, _ := c[k].(float64); return int(v) }
	reply := func(content any) {
		t := m.Header.MsgType
		if len(t) > len("_request") {
			t = t[:len(t)-len("_request")] + "_reply"
		}
		s.send(s.shell, m, t, content)
	}
	switch m.Header.MsgType {
	case "kernel_info_request":
		reply(s.kernelInfo())
	case "execute_request":
		s.execute(ctx, m, c)
	case "is_complete_request":
		st, indent := s.engine.IsComplete(str("code"))
		r := map[string]any{"status": st}
		if st == "incomplete" {
			r["indent"] = indent
		}
		reply(r)
	case "complete_request":
		matches, start, end := s.engine.Complete(str("code"), num("cursor_pos"))
		if matches == nil {
			matches = []string{}
		}
		reply(map[string]any{"status": "ok", "matches": matches, "cursor_start": start, "cursor_end": end, "metadata": map[string]any{}})
	case "inspect_request":
		text, found := s.engine.Inspect(str("code"), num("cursor_pos"))
		data := map[string]any{}
		if found {
			data["text/plain"] = text
		}
		reply(map[string]any{"status": "ok", "found": found, "data": data, "metadata": map[string]any{}})
	case "history_request":
		reply(map[string]any{"status": "ok", "history": []any{}})
	case "comm_info_request":
		reply(map[string]any{"status": "ok", "comms": map[string]any{}})
	case "comm_open":
		// No comm targets: tell the front-end the comm is closed.
		id, _ := c["comm_id"].(string)
		s.send(s.iopub, m, "comm_close", map[string]any{"comm_id": id, "data": map[string]any{}})
	case "comm_msg", "comm_close":
	case "shutdown_request":
		s.shutdown(s.shell, m, c)
	case "interrupt_request":
		s.interrupt()
		reply(map[string]any{"status": "ok"})
	default:
		s.log.Printf("ignored a %q message", m.Header.MsgType)
	}
}

func (s *Server) handleControl(ctx context.Context, m *Message) {
	var c map[string]any
	if err := json.Unmarshal(m.Content, &c); err != nil || c == nil {
		c = map[string]any{}
	}
	switch m.Header.MsgType {
	case "shutdown_request":
		s.status(m, "busy")
		s.shutdown(s.control, m, c)
		s.status(m, "idle")
	case "interrupt_request":
		s.status(m, "busy")
		s.interrupt()
		s.send(s.control, m, "interrupt_reply", map[string]any{"status": "ok"})
		s.status(m, "idle")
	case "kernel_info_request":
		s.status(m, "busy")
		s.send(s.control, m, "kernel_info_reply", s.kernelInfo())
		s.status(m, "idle")
	default:
		// Everything else belongs on shell; answering it here would race
		// with the running cell.
		s.log.Printf("ignored a %q message on control", m.Header.MsgType)
	}
}

func (s *Server) shutdown(sock Socket, m *Message, c map[string]any) {
	restart, _ := c["restart"].(bool)
	s.interrupt()
	s.send(sock, m, "shutdown_reply", map[string]any{"status": "ok", "restart": restart})
	s.Shutdown()
}

// interrupt stops the running cell, if any.
func (s *Server) interrupt() {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// iopubOutput sends a cell's output on iopub, as children of its request.
type iopubOutput struct {
	s      *Server
	parent *Message
	silent bool
}

func (o *iopubOutput) Stream(name, text string) {
	if o.silent || text == "" {
		return
	}
	o.s.send(o.s.iopub, o.parent, "stream", map[string]string{"name": name, "text": text})
}

func (o *iopubOutput) Display(data, metadata map[string]any, id string, update bool) {
	if o.silent {
		return
	}
	if metadata == nil {
		metadata = map[string]any{}
	}
	if svg, ok := data["image/svg+xml"].(string); ok {
		data["image/svg+xml"] = bareSVG(svg)
	}
	c := map[string]any{"data": data, "metadata": metadata}
	if id != "" {
		c["transient"] = map[string]any{"display_id": id}
	}
	t := "display_data"
	if update {
		t = "update_display_data"
	}
	o.s.send(o.s.iopub, o.parent, t, c)
}

func (s *Server) execute(ctx context.Context, m *Message, c map[string]any) {
	code, _ := c["code"].(string)
	silent, _ := c["silent"].(bool)
	storeHistory := true
	if v, ok := c["store_history"].(bool); ok {
		storeHistory = v
	}
	stopOnError := true
	if v, ok := c["stop_on_error"].(bool); ok {
		stopOnError = v
	}
	s.mu.Lock()
	if storeHistory && !silent {
		s.execCount++
	}
	count := s.execCount
	cellCtx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.cancel = nil
		s.mu.Unlock()
		cancel()
	}()
	if !silent {
		s.send(s.iopub, m, "execute_input", map[string]any{"code": code, "execution_count": count})
	}
	out := &iopubOutput{s: s, parent: m, silent: silent}
	value, err := s.runCell(cellCtx, code, count, out)
	if err != nil {
		var ce *CellError
		if !errors.As(err, &ce) {
			ce = &CellError{Name: "Error", Value: err.Error(), Traceback: []string{err.Error()}}
		}
		if cellCtx.Err() != nil && ctx.Err() == nil {
			ce = &CellError{Name: "KeyboardInterrupt", Value: "interrupted", Traceback: []string{"KeyboardInterrupt: the cell was interrupted"}}
		}
		if ce.Traceback == nil {
			ce.Traceback = []string{ce.Name + ": " + ce.Value}
		}
		content := map[string]any{"ename": ce.Name, "evalue": ce.Value, "traceback": ce.Traceback}
		if !silent {
			s.send(s.iopub, m, "error", content)
		}
		reply := map[string]any{"status": "error", "execution_count": count, "ename": ce.Name, "evalue": ce.Value, "traceback": ce.Traceback}
		// The requests to abort are those sent before this reply: take
		// them first, then reply, then abort them.
		var aborted []*Message
		if stopOnError {
			aborted = s.takeQueued()
		}
		s.send(s.shell, m, "execute_reply", reply)
		for _, q := range aborted {
			s.status(q, "busy")
			s.send(s.shell, q, "execute_reply", map[string]any{"status": "aborted", "execution_count": count})
			s.status(q, "idle")
		}
		return
	}
	if value != nil && !silent {
		s.send(s.iopub, m, "execute_result", map[string]any{"execution_count": count, "data": value, "metadata": map[string]any{}})
	}
	s.send(s.shell, m, "execute_reply", map[string]any{"status": "ok", "execution_count": count, "payload": []any{}, "user_expressions": map[string]any{}})
}

// runCell calls the engine and turns a panic of the engine (a bug) into
// the cell's error: the kernel goes on.
func (s *Server) runCell(ctx context.Context, code string, count int, out Output) (v map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error in the kernel: %v", r)
		}
	}()
	return s.engine.Execute(ctx, code, count, out)
}

// takeQueued removes from the queue the execute requests already waiting,
// to be answered with status "aborted" as ipykernel does after an error, so
// that "Run All" stops at the first failing cell; other requests are
// handled as usual. Requests sent just before the error's reply may still
// be in flight: the queue is watched for a few milliseconds.
func (s *Server) takeQueued() []*Message {
	var out []*Message
	deadline := time.After(20 * time.Millisecond)
	for {
		select {
		case q := <-s.queue:
			if q.msg.Header.MsgType != "execute_request" {
				s.handleShell(context.Background(), q.msg)
				continue
			}
			out = append(out, q.msg)
		case <-deadline:
			return out
		}
	}
}

// Interrupt stops the running cell, as an interrupt_request does.
func (s *Server) Interrupt() { s.interrupt() }

// bareSVG drops what precedes the <svg> element (an XML declaration, a
// DOCTYPE), as IPython's SVG display does: SVG is embedded in HTML pages,
// where nbconvert's sanitizer rejects an XML declaration.
func bareSVG(svg string) string {
	if i := strings.Index(svg, "<svg"); i > 0 {
		return svg[i:]
	}
	return svg
}
