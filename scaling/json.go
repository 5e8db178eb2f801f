package scaling

import (
	"encoding/json"
	"math"
)

// jsonReport is the wire form of a Report. Its shape is part of the CLI's
// contract (speedup scaling --json), so it is spelled out here rather than
// derived from the Go types.
type jsonReport struct {
	Points   []jsonPoint `json:"points"`
	Amdahl   jsonAmdahl  `json:"amdahl"`
	Warnings []string    `json:"warnings"`
}

type jsonPoint struct {
	Procs      int      `json:"procs"`
	MeanNS     float64  `json:"mean_ns"`
	StdevNS    float64  `json:"stdev_ns"`
	Speedup    float64  `json:"speedup"`
	Efficiency float64  `json:"efficiency"`
	KarpFlatt  *float64 `json:"karp_flatt"`
}

type jsonAmdahl struct {
	SerialFraction *float64 `json:"serial_fraction"`
	MaxSpeedup     *float64 `json:"max_speedup"`
}

// finite returns a pointer to x, or nil (JSON null) when x is NaN or
// infinite: JSON has no such numbers, and a sentinel such as 1e308 would be
// read as a real ceiling by whoever consumes the document.
func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// MarshalJSON encodes r as
//
//	{"points": [{"procs", "mean_ns", "stdev_ns", "speedup", "efficiency", "karp_flatt"}],
//	 "amdahl": {"serial_fraction", "max_speedup"},
//	 "warnings": [...]}
//
// Times are nanoseconds per loop (fractional: a loop may take 2.5 ns).
// karp_flatt is null at P = 1 where it is undefined; max_speedup is null
// when f = 0 (no ceiling); both Amdahl fields are null when the fit could
// not be made. warnings is always a list, possibly empty.
func (r *Report) MarshalJSON() ([]byte, error) {
	out := jsonReport{
		Points:   make([]jsonPoint, 0, len(r.Points)),
		Warnings: make([]string, 0, len(r.Warnings)),
	}
	for _, p := range r.Points {
		out.Points = append(out.Points, jsonPoint{
			Procs:      p.Procs,
			MeanNS:     p.Mean * 1e9,
			StdevNS:    p.Stdev * 1e9,
			Speedup:    p.Speedup,
			Efficiency: p.Efficiency,
			KarpFlatt:  finite(p.KarpFlatt),
		})
	}
	if r.Amdahl.Fitted {
		out.Amdahl.SerialFraction = finite(r.Amdahl.SerialFraction)
		out.Amdahl.MaxSpeedup = finite(r.Amdahl.MaxSpeedup)
	}
	for _, w := range r.Warnings {
		out.Warnings = append(out.Warnings, w.Error())
	}
	return json.Marshal(out)
}
