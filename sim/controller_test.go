package sim

import (
	"net/http"
	"testing"
	"time"
)

func TestControllerUnlimitedByDefault(t *testing.T) {
	if newController(0) != nil {
		t.Fatal("a zero rate made a limiting controller")
	}
}

func TestControllerBurstIsTenMilliseconds(t *testing.T) {
	c := newController(1000)
	for range 10 {
		if d := c.lim.Reserve().Delay(); d > 0 {
			t.Fatalf("a request of the first 10 waited %v", d)
		}
	}
	if d := c.lim.Reserve().Delay(); d <= 0 {
		t.Fatal("the 11th request at once did not wait")
	}
}

// A controller of 20 requests a second answers 5 requests one after
// another in no less than 4 intervals of 50 ms: a lower bound, which load
// cannot break.
func TestRequestRateQueuesRequests(t *testing.T) {
	s := newServer(t, &Options{RequestRate: 20})
	start := time.Now()
	for range 5 {
		if code, body, _ := call(t, s, http.MethodGet, "/namespaces/_/limits", nil); code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("5 requests at 20/s took %v, want at least 200ms", d)
	}
}

func TestRequestRateMustNotBeNegative(t *testing.T) {
	if _, err := New(&Options{RequestRate: -1}); err == nil {
		t.Fatal("a negative request rate was accepted")
	}
}
