package bench

import (
	"context"
	"testing"
	"time"
)

func TestLoopbackRate(t *testing.T) {
	r, err := LoopbackRate(context.Background(), LoopbackOptions{Clients: 8, Requests: 400})
	if err != nil {
		t.Fatal(err)
	}
	env, err := TaskEnvelope(10000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if r.RequestsPerSecond <= 0 || r.Requests != 400 || r.Clients != 8 || r.BodyBytes != len(env) || r.DurationSeconds <= 0 {
		t.Fatalf("result %+v (envelope %d bytes)", r, len(env))
	}
}

func TestLoopbackRateForDuration(t *testing.T) {
	r, err := LoopbackRate(context.Background(), LoopbackOptions{BodyBytes: 64, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.RequestsPerSecond <= 0 || r.Requests <= 0 || r.Clients != 256 || r.BodyBytes != 64 {
		t.Fatalf("result %+v", r)
	}
}

func TestLoopbackRejectsNegativeOptions(t *testing.T) {
	for _, o := range []LoopbackOptions{{Clients: -1}, {BodyBytes: -1}, {Duration: -1}, {Requests: -1}} {
		if _, err := LoopbackRate(context.Background(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestTaskEnvelopeIsWhatFanoutPosts(t *testing.T) {
	// The size measured on the wire of a 10,000-task bench fanout: the
	// indexes 1,000 to 9,999 post 115 bytes on their first attempt.
	env, err := TaskEnvelope(10000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(env) != 115 {
		t.Fatalf("envelope %s is %d bytes, want 115", env, len(env))
	}
}

// BenchmarkLoopback reports the machine's raw loopback HTTP rate with 256
// keep-alive clients posting a task envelope.
func BenchmarkLoopback(b *testing.B) {
	for b.Loop() {
		r, err := LoopbackRate(context.Background(), LoopbackOptions{Duration: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.RequestsPerSecond, "req/s")
	}
}
