//go:build race

package faulttest

// workScale divides the CPU work of the pi and primes jobs. The race
// detector slows the tasks, which run in the test's process, about
// tenfold: smaller jobs keep them within the action's time limit and the
// runs within their deadlines, with the same faults and task counts.
const workScale = 10
