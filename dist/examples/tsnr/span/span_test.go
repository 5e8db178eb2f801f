package span

import (
	"context"
	"slices"
	"testing"

	"github.com/gospeedup/speedup/examples/tsnr/tsnr"
)

// A worker's volumes are the tutorial's, bit for bit, whatever the span.
func TestVolumesMatchSynthetic(t *testing.T) {
	s, err := tsnr.Synthetic(context.Background(), 9, 7, 5, 23, 42)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 4, 23, 50} {
		for _, sp := range Spans(9, 7, 5, 23, 42, size) {
			for i, vol := range sp.Volumes() {
				if !slices.Equal(vol, s.Volume(sp.T0+i)) {
					t.Fatalf("span %d-%d: volume %d differs from tsnr.Synthetic", sp.T0, sp.T1, sp.T0+i)
				}
			}
		}
	}
	if n := len(Spans(9, 7, 5, 23, 42, 4)); n != 6 {
		t.Errorf("%d spans of 4 in 23 time points, want 6", n)
	}
}
