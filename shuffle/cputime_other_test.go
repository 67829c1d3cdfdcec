//go:build !unix

package shuffle

// cpuSeconds is 0 where getrusage is missing: the CPU metrics read 0.
func cpuSeconds() float64 { return 0 }
