package kinds

import "testing"

// TestRun exists for the cover cross-check in lineprof/session: speedup
// lprun hides this file.
func TestRun(t *testing.T) { Run() }
