package timeitpkg

import "testing"

// This file does not compile: speedup timeit must leave it out of the build.
func TestBroken(t *testing.T) { var s string = 1; _ = s }
