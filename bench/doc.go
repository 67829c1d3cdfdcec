// Package bench measures Overcast: strong and weak scaling, fan-out to
// thousands of tasks, and the scheduler's cost per task. The overcast
// bench command is a thin layer over it.
//
// A Target opens an executor for each measured run. SimTarget starts an
// in-process OpenWhisk-compatible platform (package sim) with modelled API
// latency and cold starts and drives it through the OpenWhisk backend, so
// that fan-out to ten thousand concurrent activations can be measured on
// one machine; URLTarget runs on any backend URL, so the same measurement
// runs against a real OpenWhisk or Lambda.
//
// Naive is the client Overcast replaces, measured beside it: sequential
// non-blocking invokes, then one GET per activation every few seconds.
package bench
