// Package docexample reads the commands documented in Markdown files, with
// their documented output, for the tests that run them. It is apart from
// package golden because golden defines an -update flag, which clashes
// with Beam's own in the dist module's tests.
package docexample

import (
	"bufio"
	"bytes"
	"strings"
)

// Example is one documented command in a Markdown file: a line of a fenced
// block that starts with the prompt, and the lines below it up to the next
// prompt or the end of the block (trailing blank lines dropped), which are
// its documented output.
type Example struct {
	File string
	Line int // 1-based line of the command in File
	Cmd  string
	Want []string
}

// Examples returns the examples of one Markdown document whose commands
// start with prompt ("$ " for the core's docs test, which runs them; the
// dist module's docs use "% " so that the core's test leaves them alone).
func Examples(file string, data []byte, prompt string) []Example {
	var (
		out     []Example
		inBlock bool
		cur     *Example
	)
	flush := func() {
		if cur != nil {
			for len(cur.Want) > 0 && strings.TrimSpace(cur.Want[len(cur.Want)-1]) == "" {
				cur.Want = cur.Want[:len(cur.Want)-1]
			}
			out = append(out, *cur)
			cur = nil
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			if inBlock {
				flush()
			}
			inBlock = !inBlock
			continue
		}
		if !inBlock {
			continue
		}
		if strings.HasPrefix(line, prompt) {
			flush()
			cur = &Example{File: file, Line: n, Cmd: strings.TrimPrefix(line, prompt)}
			continue
		}
		if cur != nil {
			cur.Want = append(cur.Want, line)
		}
	}
	flush()
	return out
}
