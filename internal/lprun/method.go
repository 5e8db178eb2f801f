package lprun

import (
	"fmt"
	"math"
	"strings"
)

// method describes how the numbers were measured and their error, for the
// report's header. what names what ran ("the statement", "the program").
func method(what string, r *Result, st stats, goexit bool, active int64, stray int) []string {
	hits := "Hits: exact counts of one run of " + what + " (instrumented build"
	if r.InstrumentedNS > 0 {
		hits += ", " + fmtDur(r.InstrumentedNS)
	}
	hits += ")."
	if goexit {
		hits += " The statement ended in runtime.Goexit."
	}
	hits += strayText(stray, active)
	m := float64(max(r.CPUSamples, 1))
	runs := fmt.Sprintf("mean of %d runs (%s each)", r.Runs, fmtDur(r.PlainNS))
	if r.Runs == 1 {
		runs = fmt.Sprintf("one run (%s)", fmtDur(r.PlainNS))
	}
	timeLine := fmt.Sprintf("Time: wall clock per run of the uninstrumented build, %s: "+
		"%d CPU profile samples place the time on CPU, %d stack snapshots measure it and the time off CPU",
		runs, r.CPUSamples, r.Samples)
	if r.CPUSamples > 0 || st.totalErr > 0 {
		timeLine += fmt.Sprintf("; error (1 s.e.) about ±%.1f%% of Total time, ±%.1f points of %% Time.", 100*st.totalErr, 50/math.Sqrt(m))
	} else {
		timeLine += "."
	}
	if len(st.unresolved) > 0 {
		// Saying nothing here would present a 0 as a measurement.
		its := "their"
		if len(st.unresolved) == 1 {
			its = "its"
		}
		timeLine += fmt.Sprintf(" No sample fell in %s: %s time per run is below the resolution of about %s and shows as 0 (raise --max-time to resolve it).",
			strings.Join(st.unresolved, ", "), its, fmtDur(int64(math.Ceil(st.resolutionNS))))
	}
	return []string{hits, timeLine}
}

// strayText says which hits a run that left goroutines running did not
// count: stray goroutines that it started were still running a second
// after it returned, with active profiled activations in progress.
func strayText(stray int, active int64) string {
	switch {
	case stray > 0 && active > 0:
		return fmt.Sprintf(" %d goroutine%s that the statement started without waiting for %s still running 1 s after it returned: %s %d activation%s of profiled functions in progress and any later ones are not counted.",
			stray, plural(stray), one(stray, "was", "were"), one(stray, "its", "their"), active, plural(int(active)))
	case stray > 0:
		return fmt.Sprintf(" %d goroutine%s that the statement started without waiting for %s still running 1 s after it returned: hits %s make%s later are not counted.",
			stray, plural(stray), one(stray, "was", "were"), one(stray, "it", "they"), one(stray, "s", ""))
	case active > 0:
		return fmt.Sprintf(" %d activation%s of profiled functions still running 1 s after the end (goroutines not waited for) %s not counted.", active, plural(int(active)), isAre(int(active)))
	}
	return ""
}

// one returns singular for n == 1, else plural.
func one(n int, singular, plural string) string {
	if n == 1 {
		return singular
	}
	return plural
}

// exactMethod is method for --exact-time.
func exactMethod(what string, instrumentedNS, active int64, stray int) []string {
	hits := "Hits: exact counts of one run of " + what + " (instrumented build, " + fmtDur(instrumentedNS) + ")."
	hits += strayText(stray, active)
	return []string{hits, "Time: --exact-time: every line event of that run timed with the runtime's clock, whose cost (tens of ns per event) is counted in the times, as line_profiler does."}
}
