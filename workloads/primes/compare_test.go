package primes_test

import (
	"context"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	_ "github.com/overcast-sc/overcast/backend/local"
	"github.com/overcast-sc/overcast/internal/testpeer"
	"github.com/overcast-sc/overcast/workloads/primes"
)

// BenchmarkLocalVsPrimesieve counts the primes up to 1e10 on the local
// backend (200 tasks, envelopes encoded) and with the primesieve program
// on all cores, in the same run, and reports the time ratio.
func BenchmarkLocalVsPrimesieve(b *testing.B) {
	ps, err := exec.LookPath("primesieve")
	if err != nil {
		testpeer.Skip(b, "primesieve is not installed (Debian package primesieve)")
	}
	const to = 1e10
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, "local", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ex.Close()
	threads := strconv.Itoa(runtime.GOMAXPROCS(0))
	var ours, theirs time.Duration
	for b.Loop() {
		t0 := time.Now()
		n, _, err := primes.Run(ctx, ex, to, 200)
		ours += time.Since(t0)
		if err != nil || n != primes.Known[to] {
			b.Fatalf("overcast counted %d, %v", n, err)
		}
		t0 = time.Now()
		out, err := exec.Command(ps, "1e10", "--count", "-t", threads, "--quiet").Output()
		theirs += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if got, _ := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64); got != primes.Known[to] {
			b.Fatalf("primesieve printed %q", out)
		}
	}
	b.ReportMetric(ours.Seconds()/float64(b.N), "overcast-s")
	b.ReportMetric(theirs.Seconds()/float64(b.N), "primesieve-s")
	b.ReportMetric(ours.Seconds()/theirs.Seconds(), "ratio")
}
