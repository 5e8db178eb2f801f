package display

import (
	"bufio"
	"encoding/json"
	"image"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

func TestSendToKernel(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "d.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("SPEEDUP_DISPLAY", sock)
	mu.Lock()
	dialed, conn, noKernel = false, nil, false
	mu.Unlock()
	got := make(chan []map[string]any)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		var msgs []map[string]any
		sc := bufio.NewScanner(c)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			json.Unmarshal(sc.Bytes(), &m)
			msgs = append(msgs, m)
		}
		got <- msgs
	}()
	o := HTML("<b>0%</b>")
	o.Update(HTMLData("<b>100%</b>"))
	Image(image.NewRGBA(image.Rect(0, 0, 2, 3)))
	Markdown("# title")
	mu.Lock()
	conn.Close()
	dialed = false
	mu.Unlock()
	msgs := <-got
	if len(msgs) != 4 {
		t.Fatalf("got %d messages, want 4: %v", len(msgs), msgs)
	}
	if msgs[0]["id"] != o.ID() || msgs[1]["id"] != o.ID() || msgs[0]["update"] != false || msgs[1]["update"] != true {
		t.Errorf("update by id: %v / %v", msgs[0], msgs[1])
	}
	if d := msgs[1]["data"].(map[string]any); d["text/html"] != "<b>100%</b>" {
		t.Errorf("update data %v", d)
	}
	if d := msgs[2]["data"].(map[string]any); d["text/plain"] != "<image 2x3>" || !strings.HasPrefix(d["image/png"].(string), "iVBOR") {
		t.Errorf("image data %v", d)
	}
}

func TestDOTData(t *testing.T) {
	b := DOTData("digraph { a -> b }")
	if b["text/plain"] != "digraph { a -> b }" {
		t.Errorf("text/plain = %v", b["text/plain"])
	}
	if svg, ok := b["image/svg+xml"].(string); ok && !strings.Contains(svg, "<svg") {
		t.Errorf("not SVG: %.100s", svg)
	}
}
