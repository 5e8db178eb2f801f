package footer

// _lpNS_ID is the number of the file's counters; the instrumenter
// declares it in each instrumented file.
const _lpNS_ID = 4
