package footer

// _lpNS_ID is the number of the file's counters; the instrumenter
// declares it in each instrumented file.
const _lpNS_ID = 4

// The functions that instrumented code calls: uses for the tools that
// report unused code.
var _ = []any{_lpT_ID, _lpR_ID[int], _lpDT_ID, _lpKT_ID, _lpRT_ID[int]}
