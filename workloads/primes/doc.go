// Package primes counts primes in ranges with a segmented, wheel-packed
// sieve; it is the kernel of the primes workload.
package primes
