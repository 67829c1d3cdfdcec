package retryafter

import (
	"net/http"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"1.5", 0},
		{"99999999999", Max},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(time.Hour).Format(http.TimeFormat), Max},
	} {
		if got := Parse(tt.v, now); got != tt.want {
			t.Errorf("Parse(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
	h := http.Header{}
	if Of(h, now) != 0 || Of(nil, now) != 0 {
		t.Error("no header must mean no wait")
	}
	h.Set("Retry-After", "7")
	if got := Of(h, now); got != 7*time.Second {
		t.Errorf("Of = %v, want 7s", got)
	}
}
