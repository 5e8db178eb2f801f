package distance

import (
	"math"
	"testing"
)

// TestDistanceRows checks the tutorial's faster distance (its input is
// random, so it cannot be compared with distance()'s): a distance matrix
// has a zero diagonal, is symmetric bit for bit (each pair sums the same
// squares in the same order), and its entries are finite, non-negative
// and at most sqrt(100), the diameter of the unit cube in 100 dimensions.
func TestDistanceRows(t *testing.T) {
	D := distanceRows()
	if len(D) != 100 || len(D[0]) != 100 {
		t.Fatalf("shape %dx%d, want 100x100", len(D), len(D[0]))
	}
	for i := range D {
		if D[i][i] != 0 {
			t.Errorf("D[%d][%d] = %v, want 0", i, i, D[i][i])
		}
		for j := range D[i] {
			if math.Float64bits(D[i][j]) != math.Float64bits(D[j][i]) {
				t.Fatalf("D[%d][%d] = %v but D[%d][%d] = %v", i, j, D[i][j], j, i, D[j][i])
			}
			if !(D[i][j] >= 0 && D[i][j] <= 10) {
				t.Fatalf("D[%d][%d] = %v, outside [0, 10]", i, j, D[i][j])
			}
		}
	}
}
