package lprun

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// method describes how the numbers were measured and their error, for the
// report's header. what names what ran ("the statement", "the program").
// sep says why a program ran once per process; maxTime is --max-time.
func method(what string, r *Result, st stats, goexit bool, active int64, stray int, sep string, maxTime time.Duration) []string {
	hits := "Hits: exact counts of one run of " + what + " (instrumented build"
	if r.InstrumentedNS > 0 {
		hits += ", " + fmtDur(r.InstrumentedNS)
	}
	hits += ")."
	if goexit {
		hits += " The statement ended in runtime.Goexit."
	}
	hits += strayText(stray, active)
	runs := fmt.Sprintf("%d runs in %d batches (%s each)", r.Runs, r.Batches, fmtDur(r.PlainNS))
	if r.Runs == 1 {
		runs = fmt.Sprintf("one run (%s)", fmtDur(r.PlainNS))
	}
	switch {
	case what != "the statement" && sep == "":
		runs += ", repeated inside one process"
	case what != "the statement":
		runs += ", one process per run (" + sep + ")"
	}
	every := "every other batch"
	if r.Batches < 2 {
		every = "the run"
	}
	timeLine := fmt.Sprintf("Time: wall clock per run of the uninstrumented build, %s: "+
		"%d CPU profile samples place the time on CPU, %d stack snapshots (about every %s, in %s) measure it and the time off CPU",
		runs, r.CPUSamples, r.Samples, fmtDur(r.IntervalNS), every)
	if r.CPUSamples > 0 || st.totalErr > 0 {
		from := fmt.Sprintf("how far a repeated session may land, from the spread of %d pairs of batches", st.groups)
		if st.groups < 2 {
			from = "sampling error only: too few batches to measure their spread"
		}
		timeLine += fmt.Sprintf("; error (95%%, %s) ±%.1f%% of Total time, ±%.1f points of %% Time.", from, 100*st.totalErr, st.pctErr)
	} else {
		timeLine += "."
	}
	if st.slowPairs >= 2 {
		timeLine += fmt.Sprintf(" The snapshots slowed the runs by %+.1f%% ± %.1f%% (measured against the batches without them, whose runs give the times).",
			100*st.slowdown, 100*st.slowdownErr)
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
	out := []string{hits, timeLine}
	if len(st.short) > 0 {
		// A line of its own: whether the cap is reached depends on the
		// machine's load.
		out = append(out, fmt.Sprintf("Note: --max-time (%s) ended the runs before %d snapshot samples fell in %s: raise it for a smaller error.",
			fmtDur(int64(maxTime)), minSamples, strings.Join(st.short, ", ")))
	}
	return out
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
