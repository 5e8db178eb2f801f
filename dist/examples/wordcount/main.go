// Command wordcount counts the words of text files with
// dist.MapReducePerKey (Beam's CombinePerKey): the driver cuts the files
// matched by --input into blocks, each worker reads its own blocks, and
// the counts of each word are combined on the workers. It prints the most
// frequent words and the job's counters, or, with --output, leaves all the
// counts in files on the cluster.
//
//	go run ./examples/wordcount --input 'testdata/*.txt' [--top 10] [--output /tmp/counts]
//	go run ./examples/wordcount --input 'gs://bucket/books/*' --runner dataflow ...
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode"

	"github.com/gospeedup/speedup/dist"
)

// countWords emits (word, 1) for every word of the block's lines, and
// counts lines and words as Beam metrics.
func countWords(ctx context.Context, b dist.Block, emit func(string, int)) error {
	return b.Lines(ctx, func(line string) error {
		dist.Inc(ctx, "lines", 1)
		for _, w := range strings.FieldsFunc(line, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
			emit(strings.ToLower(w), 1)
			dist.Inc(ctx, "words", 1)
		}
		return nil
	})
}

func add(a, b int) int { return a + b }

func init() {
	dist.RegisterMapPerKey(countWords)
	dist.RegisterReduce(add)
}

func main() {
	input := flag.String("input", "", "text files to count, a glob of any Beam file system (required)")
	output := flag.String("output", "", "write all counts to files named `PREFIX`-SSSSS-of-NNNNN instead of printing the top words")
	top := flag.Int("top", 10, "print the `N` most frequent words")
	block := flag.Int64("block", 1<<20, "bytes of text per work item")
	flag.Parse()
	dist.Init()
	if err := run(context.Background(), os.Stdout, *input, *output, *top, *block); err != nil {
		fmt.Fprintln(os.Stderr, "wordcount:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, input, output string, top int, block int64) error {
	if input == "" {
		return fmt.Errorf("--input is required")
	}
	blocks, err := dist.TextBlocks(ctx, input, block)
	if err != nil {
		return err
	}
	opts := []dist.Option{dist.Report(w)}
	if output != "" {
		opts = append(opts, dist.WriteTo(output))
	}
	counts, err := dist.MapReducePerKey(ctx, blocks, countWords, add, opts...)
	if err != nil || output != "" {
		return err
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if counts[words[i]] != counts[words[j]] {
			return counts[words[i]] > counts[words[j]]
		}
		return words[i] < words[j]
	})
	fmt.Fprintf(w, "%d distinct words; the %d most frequent:\n", len(words), min(top, len(words)))
	for _, word := range words[:min(top, len(words))] {
		fmt.Fprintf(w, "%8d %s\n", counts[word], word)
	}
	return nil
}
