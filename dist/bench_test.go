package dist

import (
	"context"
	"testing"
)

func BenchmarkMapReduce1e6(b *testing.B) {
	xs := ints(1_000_000)
	for b.Loop() {
		if _, err := MapReduce(context.Background(), xs, square, add); err != nil {
			b.Fatal(err)
		}
	}
}
