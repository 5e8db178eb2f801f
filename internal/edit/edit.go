// Package edit applies text edits, given by byte offsets into the
// original, to a source file: the one edit buffer of speedup's code
// generators (snippet blocks, lprun's hooks), which insert and replace
// text without moving the lines that compile errors and stack traces name.
package edit

import (
	"bytes"
	"sort"
)

// Buffer collects edits of an original text.
type Buffer struct {
	src   []byte
	edits []edit
}

type edit struct {
	start, end int // the replaced range of the original
	text       string
	seq        int
}

// New returns a Buffer editing src.
func New(src []byte) *Buffer { return &Buffer{src: src} }

// Insert inserts text at offset off of the original. Insertions at the
// same offset keep the order in which they were made.
func (b *Buffer) Insert(off int, text string) { b.Replace(off, off, text) }

// Replace replaces the original's bytes [start, end) with text.
func (b *Buffer) Replace(start, end int, text string) {
	b.edits = append(b.edits, edit{start, end, text, len(b.edits)})
}

// Bytes returns the edited text. An edit that begins inside a range that
// an earlier one replaced is dropped.
func (b *Buffer) Bytes() []byte {
	es := append([]edit(nil), b.edits...)
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].start != es[j].start {
			return es[i].start < es[j].start
		}
		return es[i].seq < es[j].seq
	})
	var out bytes.Buffer
	last := 0
	for _, e := range es {
		if e.start < last {
			continue // inside a range already replaced
		}
		out.Write(b.src[last:e.start])
		out.WriteString(e.text)
		last = max(last, e.end)
	}
	out.Write(b.src[last:])
	return out.Bytes()
}

// String returns the edited text as a string.
func (b *Buffer) String() string { return string(b.Bytes()) }
