package dist

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
)

// Block is a part of a text file: the lines that start at a byte offset in
// [Offset, Offset+Size). Blocks are the items of a job over files: the
// driver lists the files and cuts them into blocks (TextBlocks), only the
// blocks' names travel, and each worker reads its own blocks where the
// files are (a local path, gs://..., any of Beam's file systems), as
// Hadoop's and Dask's read_text do.
type Block struct {
	File         string
	Offset, Size int64
}

// TextBlocks expands glob with Beam's file systems and cuts every file into
// blocks of about blockSize bytes (0: one block per file). An empty file
// gives no block. A glob matching nothing is an error.
func TextBlocks(ctx context.Context, glob string, blockSize int64) ([]Block, error) {
	if blockSize < 0 {
		return nil, fmt.Errorf("dist: TextBlocks: negative block size %d", blockSize)
	}
	fs, err := filesystem.New(ctx, glob)
	if err != nil {
		return nil, fmt.Errorf("dist: %s: %v", glob, err)
	}
	defer fs.Close()
	names, err := fs.List(ctx, glob)
	if err != nil {
		return nil, fmt.Errorf("dist: %s: %v", glob, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("dist: %s: no such files", glob)
	}
	sort.Strings(names)
	var out []Block
	for _, n := range names {
		size, err := fs.Size(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("dist: %s: %v", n, err)
		}
		step := blockSize
		if step == 0 {
			step = max(size, 1)
		}
		for off := int64(0); off < size; off += step {
			out = append(out, Block{File: n, Offset: off, Size: min(step, size-off)})
		}
	}
	return out, nil
}

// Lines calls fn with every line of the block, without its line ending
// ("\n" or "\r\n"). A line belongs to the block it starts in, so that the
// blocks of a file together give each of its lines exactly once; the last
// line of a block is read past the block's end.
func (b Block) Lines(ctx context.Context, fn func(line string) error) error {
	fs, err := filesystem.New(ctx, b.File)
	if err != nil {
		return err
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, b.File)
	if err != nil {
		return err
	}
	defer r.Close()
	// Start one byte early: if that byte ends a line, the block's first
	// line starts exactly at Offset; otherwise the partial line belongs to
	// the previous block.
	pos := int64(0)
	if b.Offset > 0 {
		pos = b.Offset - 1
		if s, ok := r.(io.Seeker); ok {
			if _, err := s.Seek(pos, io.SeekStart); err != nil {
				return err
			}
		} else if _, err := io.CopyN(io.Discard, r, pos); err != nil {
			return err
		}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if b.Offset > 0 {
		skipped, err := br.ReadSlice('\n')
		for err == bufio.ErrBufferFull {
			pos += int64(len(skipped))
			skipped, err = br.ReadSlice('\n')
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		pos += int64(len(skipped))
	}
	end := b.Offset + b.Size
	var line []byte
	for pos < end {
		if err := ctx.Err(); err != nil {
			return err
		}
		line = line[:0]
		chunk, err := br.ReadSlice('\n')
		for err == bufio.ErrBufferFull {
			line = append(line, chunk...)
			chunk, err = br.ReadSlice('\n')
		}
		line = append(line, chunk...)
		pos += int64(len(line))
		if err != nil && err != io.EOF {
			return err
		}
		if len(line) == 0 && err == io.EOF {
			return nil
		}
		text := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if ferr := fn(string(text)); ferr != nil {
			return ferr
		}
		if err == io.EOF {
			return nil
		}
	}
	return nil
}
