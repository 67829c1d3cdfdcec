package primes

import (
	"sort"
	"sync"
	"sync/atomic"
)

// primeTable holds all primes up to limit in increasing order.
type primeTable struct {
	limit  uint64
	primes []uint32
}

var (
	table   atomic.Pointer[primeTable]
	tableMu sync.Mutex
)

// minTableLimit is the smallest limit the shared table is built for.
const minTableLimit = 1 << 17

// sievingPrimes returns the primes p <= limit in increasing order. The
// result is shared and must not be modified.
func sievingPrimes(limit uint64) []uint32 {
	t := table.Load()
	if t == nil || t.limit < limit {
		t = growTable(limit)
	}
	n := sort.Search(len(t.primes), func(i int) bool { return uint64(t.primes[i]) > limit })
	return t.primes[:n]
}

// growTable makes the shared table cover at least limit and returns it.
func growTable(limit uint64) *primeTable {
	tableMu.Lock()
	defer tableMu.Unlock()
	if t := table.Load(); t != nil && t.limit >= limit {
		return t
	}
	newLimit := max(limit, minTableLimit)
	if t := table.Load(); t != nil {
		newLimit = max(newLimit, 2*t.limit)
	}
	t := &primeTable{limit: newLimit, primes: simpleSieve(newLimit)}
	table.Store(t)
	return t
}

// simpleSieve returns the primes p <= n with a plain odd-only sieve of
// Eratosthenes.
func simpleSieve(n uint64) []uint32 {
	if n < 2 {
		return nil
	}
	composite := make([]bool, n/2+1) // composite[i] stands for 2*i+1
	primes := []uint32{2}
	for i := uint64(1); 2*i+1 <= n; i++ {
		if composite[i] {
			continue
		}
		p := 2*i + 1
		primes = append(primes, uint32(p))
		for j := p * p / 2; j < uint64(len(composite)); j += p {
			composite[j] = true
		}
	}
	return primes
}
