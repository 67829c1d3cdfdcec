// Package faulttest is the fault-injection suite: jobs run through the
// OpenWhisk backend on overcast sim with seeded crashes, 5xx answers,
// throttling storms, stragglers and lost activations, and must produce
// exactly the fault-free answer, each task's output taken once. A driver
// killed mid-job resumes without re-running finished tasks. The package
// holds only tests and a benchmark; see docs/fault-results.md.
package faulttest
