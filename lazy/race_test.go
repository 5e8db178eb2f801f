//go:build race

package lazy_test

// raceEnabled skips the tests too big for the race detector's memory.
const raceEnabled = true
