package kinds

import "testing"

// TestRun exists for the cover cross-check in internal/lprun: speedup
// lprun hides this file.
func TestRun(t *testing.T) { Run() }
