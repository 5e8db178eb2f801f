package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"
)

// fakeSocket is a Socket made of channels.
type fakeSocket struct {
	in, out chan [][]byte
	closed  chan struct{}
}

func newFake() *fakeSocket {
	return &fakeSocket{in: make(chan [][]byte, 64), out: make(chan [][]byte, 256), closed: make(chan struct{})}
}

func (f *fakeSocket) Send(frames [][]byte) error {
	select {
	case f.out <- frames:
		return nil
	case <-f.closed:
		return errors.New("closed")
	}
}

func (f *fakeSocket) Recv() ([][]byte, error) {
	select {
	case m := <-f.in:
		return m, nil
	case <-f.closed:
		return nil, errors.New("closed")
	}
}

func (f *fakeSocket) Close() error {
	select {
	case <-f.closed:
	default:
		close(f.closed)
	}
	return nil
}

// fakeEngine runs "cells" by name.
type fakeEngine struct{ closed atomic.Bool }

func (e *fakeEngine) Execute(ctx context.Context, code string, count int, out Output) (map[string]any, error) {
	switch code {
	case "sleep":
		<-ctx.Done()
		return nil, ctx.Err()
	case "error":
		return nil, &CellError{Name: "panic", Value: "cell1:1: boom"}
	case "bug":
		panic("engine bug")
	}
	out.Stream("stdout", "out:"+code+"\n")
	return map[string]any{"text/plain": code}, nil
}
func (e *fakeEngine) IsComplete(code string) (string, string)   { return IsComplete(code) }
func (e *fakeEngine) Complete(string, int) ([]string, int, int) { return []string{"append"}, 0, 3 }
func (e *fakeEngine) Inspect(string, int) (string, bool)        { return "doc", true }
func (e *fakeEngine) Close() error                              { e.closed.Store(true); return nil }

type harness struct {
	t                                *testing.T
	s                                *Server
	shell, control, stdin, iopub, hb *fakeSocket
	engine                           *fakeEngine
	served                           chan error
}

const testKey = "k3y"

func startServer(t *testing.T) *harness {
	h := &harness{t: t, shell: newFake(), control: newFake(), stdin: newFake(), iopub: newFake(), hb: newFake(),
		engine: &fakeEngine{}, served: make(chan error, 1)}
	h.s = newServer(&ConnectionInfo{Key: testKey}, h.engine, io.Discard)
	h.s.shell, h.s.control, h.s.stdin, h.s.iopub, h.s.hb = h.shell, h.control, h.stdin, h.iopub, h.hb
	go func() { h.served <- h.s.Serve(context.Background()) }()
	h.iopubMsg("status") // starting
	return h
}

// request sends a request on sock and returns its msg_id.
func (h *harness) request(sock *fakeSocket, msgType string, content any) string {
	m := &Message{Identities: [][]byte{[]byte("client")}, Header: newHeader(msgType, "test")}
	m.Content, _ = json.Marshal(content)
	frames, err := m.Encode([]byte(testKey))
	if err != nil {
		h.t.Fatal(err)
	}
	sock.in <- frames
	return m.Header.MsgID
}

func (h *harness) next(sock *fakeSocket) *Message {
	h.t.Helper()
	select {
	case f := <-sock.out:
		m, err := Decode(f, []byte(testKey))
		if err != nil {
			h.t.Fatalf("kernel sent an undecodable message: %v", err)
		}
		return m
	case <-time.After(10 * time.Second):
		h.t.Fatal("no message from the kernel")
	}
	return nil
}

func (h *harness) iopubMsg(want string) map[string]any {
	h.t.Helper()
	m := h.next(h.iopub)
	if m.Header.MsgType != want {
		h.t.Fatalf("iopub: got %s %s, want %s", m.Header.MsgType, m.Content, want)
	}
	var c map[string]any
	json.Unmarshal(m.Content, &c)
	return c
}

func (h *harness) reply(sock *fakeSocket, id, want string) map[string]any {
	h.t.Helper()
	m := h.next(sock)
	var parent Header
	json.Unmarshal(m.Parent, &parent)
	if m.Header.MsgType != want || parent.MsgID != id || string(m.Identities[0]) != "client" {
		h.t.Fatalf("got %s (parent %s), want %s to %s", m.Header.MsgType, parent.MsgID, want, id)
	}
	var c map[string]any
	json.Unmarshal(m.Content, &c)
	return c
}

func TestServerExecute(t *testing.T) {
	h := startServer(t)
	id := h.request(h.shell, "execute_request", map[string]any{"code": "x"})
	if c := h.iopubMsg("status"); c["execution_state"] != "busy" {
		t.Fatal(c)
	}
	if c := h.iopubMsg("execute_input"); c["code"] != "x" || c["execution_count"] != 1.0 {
		t.Error(c)
	}
	if c := h.iopubMsg("stream"); c["text"] != "out:x\n" {
		t.Error(c)
	}
	if c := h.iopubMsg("execute_result"); c["execution_count"] != 1.0 {
		t.Error(c)
	}
	if c := h.reply(h.shell, id, "execute_reply"); c["status"] != "ok" || c["execution_count"] != 1.0 {
		t.Error(c)
	}
	if c := h.iopubMsg("status"); c["execution_state"] != "idle" {
		t.Fatal(c)
	}

	// Silent: no output, no count.
	id = h.request(h.shell, "execute_request", map[string]any{"code": "y", "silent": true})
	h.iopubMsg("status")
	if c := h.reply(h.shell, id, "execute_reply"); c["execution_count"] != 1.0 {
		t.Error("silent execution counted:", c)
	}
	h.iopubMsg("status")

	// An engine bug is the cell's error, not the kernel's end.
	id = h.request(h.shell, "execute_request", map[string]any{"code": "bug"})
	h.iopubMsg("status")
	h.iopubMsg("execute_input")
	if c := h.iopubMsg("error"); c["ename"] != "Error" {
		t.Error(c)
	}
	h.reply(h.shell, id, "execute_reply")
	h.iopubMsg("status")

	// A wrongly signed message is dropped; the next request is answered.
	h.shell.in <- [][]byte{[]byte("client"), delimiter, []byte("00"), []byte("{}"), []byte("{}"), []byte("{}"), []byte("{}")}
	id = h.request(h.shell, "kernel_info_request", nil)
	h.iopubMsg("status")
	if c := h.reply(h.shell, id, "kernel_info_reply"); c["protocol_version"] != ProtocolVersion {
		t.Error(c)
	}
	h.iopubMsg("status")

	id = h.request(h.control, "shutdown_request", map[string]any{"restart": false})
	h.iopubMsg("status")
	h.reply(h.control, id, "shutdown_reply")
	if err := <-h.served; err != nil {
		t.Fatal(err)
	}
	if !h.engine.closed.Load() {
		t.Error("engine not closed at shutdown")
	}
}

func TestServerInterruptAndAbort(t *testing.T) {
	h := startServer(t)
	// A cell that runs until interrupted, two more queued behind it.
	id1 := h.request(h.shell, "execute_request", map[string]any{"code": "sleep"})
	h.iopubMsg("status")
	h.iopubMsg("execute_input")
	id2 := h.request(h.shell, "execute_request", map[string]any{"code": "a"})
	id3 := h.request(h.shell, "execute_request", map[string]any{"code": "b"})
	time.Sleep(50 * time.Millisecond)
	idi := h.request(h.control, "interrupt_request", nil)
	// Control answers while the cell runs.
	h.reply(h.control, idi, "interrupt_reply")
	if c := h.reply(h.shell, id1, "execute_reply"); c["status"] != "error" || c["ename"] != "KeyboardInterrupt" {
		t.Fatal(c)
	}
	// stop_on_error: the queued cells are aborted.
	for _, id := range []string{id2, id3} {
		if c := h.reply(h.shell, id, "execute_reply"); c["status"] != "aborted" {
			t.Errorf("queued cell: %v", c)
		}
	}
	// With stop_on_error false, the next cell runs; and a request sent
	// after the error's reply is not aborted.
	idE := h.request(h.shell, "execute_request", map[string]any{"code": "error", "stop_on_error": false})
	idN := h.request(h.shell, "execute_request", map[string]any{"code": "n"})
	if c := h.reply(h.shell, idE, "execute_reply"); c["status"] != "error" {
		t.Error(c)
	}
	if c := h.reply(h.shell, idN, "execute_reply"); c["status"] != "ok" {
		t.Error(c)
	}
	h.s.Shutdown()
	<-h.served
}
