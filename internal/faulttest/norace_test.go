//go:build !race

package faulttest

// workScale divides the CPU work of the pi and primes jobs (see
// race_test.go).
const workScale = 1
