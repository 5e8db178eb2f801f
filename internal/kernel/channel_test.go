package kernel

import (
	"net"
	"path/filepath"
	"reflect"
	"testing"
)

// TestChannelDrainsBacklog: a program that connected, wrote and ended
// before its connection was accepted (the accepting goroutine had not run:
// a loaded machine) still has its messages read when the channel closes;
// they were lost, and with them a cell's value.
func TestChannelDrainsBacklog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ch.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	// No accepting goroutine: every connection stays in the backlog.
	ch := &channel{path: path, ln: ln, accepting: make(chan struct{})}
	close(ch.accepting)
	for _, msg := range []string{`{"type":"result","text":"3"}` + "\n" + `{"type":"done"}` + "\n", `{"type":"types","types":{"x":"int"}}` + "\n"} {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	msgs := ch.close()
	var types []string
	for _, m := range msgs {
		types = append(types, m.Type)
	}
	// Two connections, read concurrently: each one's messages in order.
	if len(msgs) != 3 || !reflect.DeepEqual(without(types, "types"), []string{"result", "done"}) {
		t.Errorf("messages %+v", msgs)
	}
}

func without(s []string, x string) []string {
	var out []string
	for _, v := range s {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}
