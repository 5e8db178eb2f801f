package lazy

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// maxLabel bounds a value's label: a Value holding a large slice must not
// turn the picture into a wall of numbers.
const maxLabel = 24

// WriteDOT writes the graph that computes nodes as Graphviz source, like
// Dask's visualize: values are boxes labelled with the value (or the name
// given by Named), calls are ellipses labelled with the node's name or
// function's name, and edges go from inputs to the calls that use them,
// drawn bottom to top. The output is deterministic: DOT identifiers number
// the nodes in the order a Compute would find them.
//
// Render it with Graphviz:
//
//	lazy.WriteDOT(f, z)   // then: dot -Tsvg graph.dot -o graph.svg
func WriteDOT(w io.Writer, nodes ...Any) error {
	g := build(rootsOf(nodes))
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "digraph lazy {")
	fmt.Fprintln(bw, "\trankdir=BT;")
	fmt.Fprintln(bw, "\tnode [fontname=\"Helvetica\"];")
	for i, n := range g.nodes {
		if n.call == nil {
			label := n.name
			if label == "" {
				label = truncate(fmt.Sprint(n.value))
			}
			fmt.Fprintf(bw, "\tn%d [label=%s, shape=box];\n", i, quote(label))
		} else {
			fmt.Fprintf(bw, "\tn%d [label=%s, shape=ellipse];\n", i, quote(n.shortName()))
		}
	}
	for i := range g.nodes {
		for _, d := range g.depIdx[g.depOff[i]:g.depOff[i+1]] {
			fmt.Fprintf(bw, "\tn%d -> n%d;\n", d, i)
		}
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

func truncate(s string) string {
	if r := []rune(s); len(r) > maxLabel {
		return string(r[:maxLabel-1]) + "…"
	}
	return s
}

// quote returns s as a DOT double-quoted string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r', '\t':
			b.WriteByte(' ')
		default:
			// Other control characters would make Graphviz write an SVG
			// that no XML parser reads (invalid UTF-8 is already written
			// as U+FFFD by WriteRune).
			if r < 0x20 || r == 0x7f {
				r = ' '
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
