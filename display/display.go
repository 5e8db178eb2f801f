// Package display shows rich output (HTML, images, Markdown, graphs) in a
// Jupyter notebook from Go code run by the speedup kernel (speedup kernel,
// docs/kernel.md), like IPython.display.
//
// Each function shows its output at once, as a display_data message, and
// returns an *Output whose Update replaces it in place (Jupyter's display
// ids): a progress bar, a plot redrawn as a computation goes.
//
// Outside the kernel (the environment variable SPEEDUP_DISPLAY unset), the
// text/plain form is printed on standard output instead, so that code
// using display still runs as a plain program or test.
//
// The kernel is reached over a Unix socket named by SPEEDUP_DISPLAY, not
// over a file descriptor: descriptors 3 and 4 of a timed program belong to
// speedup's timer.
package display

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
)

// Bundle is one output in several forms, by MIME type ("text/html",
// "image/png" as base64, "text/plain"); front-ends show the richest they
// can. Every bundle should include text/plain.
type Bundle map[string]any

// Output is an output shown in the notebook, which Update can replace.
type Output struct {
	id string
}

// ID returns the output's display id.
func (o *Output) ID() string { return o.id }

// Show shows b and returns its Output.
func Show(b Bundle) *Output {
	o := &Output{id: newID()}
	send(b, o.id, false)
	return o
}

// Update replaces the output with b, wherever it is shown.
func (o *Output) Update(b Bundle) { send(b, o.id, true) }

// HTMLData returns an HTML bundle, for Show or Update.
func HTMLData(html string) Bundle {
	return Bundle{"text/html": html, "text/plain": "<HTML>"}
}

// SVGData returns an SVG image bundle.
func SVGData(svg string) Bundle {
	return Bundle{"image/svg+xml": svg, "text/plain": "<SVG image>"}
}

// PNGData returns a PNG image bundle from encoded PNG bytes.
func PNGData(png []byte) Bundle {
	return Bundle{"image/png": base64.StdEncoding.EncodeToString(png), "text/plain": "<PNG image>"}
}

// MarkdownData returns a Markdown bundle; its text/plain form is the
// Markdown source.
func MarkdownData(md string) Bundle {
	return Bundle{"text/markdown": md, "text/plain": md}
}

// ImageData returns img encoded as PNG.
func ImageData(img image.Image) (Bundle, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	bd := PNGData(b.Bytes())
	r := img.Bounds()
	bd["text/plain"] = fmt.Sprintf("<image %dx%d>", r.Dx(), r.Dy())
	return bd, nil
}

// DOTData returns a Graphviz graph (such as lazy.WriteDOT writes) rendered
// as SVG by Graphviz's dot command when it is installed, and as its DOT
// source otherwise.
func DOTData(dot string) Bundle {
	if path, err := exec.LookPath("dot"); err == nil {
		cmd := exec.Command(path, "-Tsvg")
		cmd.Stdin = strings.NewReader(dot)
		if svg, err := cmd.Output(); err == nil {
			return Bundle{"image/svg+xml": string(svg), "text/plain": dot}
		}
	}
	return Bundle{"text/plain": dot}
}

// HTML shows an HTML fragment.
func HTML(html string) *Output { return Show(HTMLData(html)) }

// SVG shows an SVG image.
func SVG(svg string) *Output { return Show(SVGData(svg)) }

// PNG shows an encoded PNG image.
func PNG(png []byte) *Output { return Show(PNGData(png)) }

// Markdown shows Markdown text.
func Markdown(md string) *Output { return Show(MarkdownData(md)) }

// Image shows img as a PNG image. An image that cannot be encoded shows
// the error as text.
func Image(img image.Image) *Output {
	b, err := ImageData(img)
	if err != nil {
		return Show(Bundle{"text/plain": "display.Image: " + err.Error()})
	}
	return Show(b)
}

// DOT shows a Graphviz graph, as SVG when Graphviz is installed (see
// DOTData).
func DOT(dot string) *Output { return Show(DOTData(dot)) }

var (
	mu       sync.Mutex
	conn     *os.File
	dialed   bool
	noKernel bool
)

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// send writes one display message to the kernel, or the text form to
// standard output when there is no kernel.
func send(b Bundle, id string, update bool) {
	mu.Lock()
	defer mu.Unlock()
	if !dialed {
		dialed = true
		if path := os.Getenv("SPEEDUP_DISPLAY"); path != "" {
			conn = dial(path)
		}
		noKernel = conn == nil
	}
	if noKernel {
		if t, ok := b["text/plain"].(string); ok {
			fmt.Fprintln(os.Stdout, t)
		}
		return
	}
	msg, err := json.Marshal(map[string]any{"type": "display", "data": b, "id": id, "update": update})
	if err != nil {
		fmt.Fprintln(os.Stderr, "display:", err)
		return
	}
	conn.Write(append(msg, '\n'))
}

// dial connects to the kernel with a blocking socket, outside Go's
// network poller: a program with a descriptor in the poller is never
// reported as deadlocked, and a deadlocked cell would hang instead of
// failing with "all goroutines are asleep".
func dial(path string) *os.File {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil
	}
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return nil
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "speedup-display")
}
