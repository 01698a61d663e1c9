// Package benchline writes the one machine-readable line per measurement
// that `make bench` collects into its table and bench.json. Benchmarks print
// their human-readable report as before and add a line such as
//
//	HUIMIN-BENCH {"id":"media-upload","unit":"ms","ours":{...},"peer":"vipsthumbnail","theirs":{...}}
//
// The collector (bench/table) knows each id's target, goal and direction;
// a benchmark only says what it measured. Standard library only, and only
// test files import it.
package benchline

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// Prefix starts every line the collector reads.
const Prefix = "HUIMIN-BENCH "

// Figure summarises repeated measurements of one side.
type Figure struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

// Row is one measurement: ours against a peer, or ours alone when the
// target is absolute (Theirs nil). Missing, when set, says why the row
// could not be measured (a peer that could not be installed).
type Row struct {
	ID      string  `json:"id"`
	Unit    string  `json:"unit,omitempty"`
	Ours    *Figure `json:"ours,omitempty"`
	Peer    string  `json:"peer,omitempty"`
	Theirs  *Figure `json:"theirs,omitempty"`
	Note    string  `json:"note,omitempty"`
	Missing string  `json:"missing,omitempty"`
}

// Millis summarises durations in milliseconds.
func Millis(ds []time.Duration) *Figure {
	vs := make([]float64, len(ds))
	for i, d := range ds {
		vs[i] = float64(d) / float64(time.Millisecond)
	}
	return Values(vs)
}

// Values summarises plain values; nil for none.
func Values(vs []float64) *Figure {
	if len(vs) == 0 {
		return nil
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	return &Figure{Median: s[len(s)/2], Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// One is a single measurement.
func One(v float64) *Figure { return &Figure{Median: v, Min: v, Max: v, N: 1} }

// Out is where lines go; benchmark output reaches go test's stdout.
var Out io.Writer = os.Stdout

// Emit prints r as one line.
func Emit(r Row) {
	b, err := json.Marshal(r)
	if err != nil { // only NaN or ±Inf can fail; say so rather than drop the row
		b, _ = json.Marshal(Row{ID: r.ID, Missing: "unprintable figure: " + err.Error()})
	}
	fmt.Fprintf(Out, "%s%s\n", Prefix, b)
}

// NotMeasured prints a row for id that could not be measured, and why.
func NotMeasured(id, peer, reason string) {
	Emit(Row{ID: id, Peer: peer, Missing: reason})
}
