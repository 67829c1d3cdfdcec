package lambda

import (
	"encoding/base64"
	"net/url"
	"reflect"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	yes := true
	tests := []struct {
		url  string
		want Options
	}{
		{"lambda://", Options{Function: "overcast", Arch: "arm64"}},
		{"lambda://my-fn?region=eu-west-1&profile=dev&role=arn:aws:iam::1:role/r&memory=512&timeout=60&concurrency=50",
			Options{Function: "my-fn", Region: "eu-west-1", Profile: "dev", Role: "arn:aws:iam::1:role/r", Arch: "arm64",
				MemoryMB: 512, Timeout: time.Minute, Concurrency: 50}},
		{"lambda://?function=arn:aws:lambda:us-east-1:123456789012:function:f", Options{Function: "arn:aws:lambda:us-east-1:123456789012:function:f", Arch: "arm64"}},
		{"lambda://f?arch=x86_64&timeout=15m", Options{Function: "f", Arch: "x86_64", Timeout: 15 * time.Minute}},
		{"lambda://?endpoint=http://127.0.0.1:9000,http://127.0.0.1:9001/",
			Options{Function: "function", Arch: LocalArch(), Endpoints: []string{"http://127.0.0.1:9000", "http://127.0.0.1:9001"}}},
		{"lambda://function?endpoint=http://127.0.0.1:9000&deploy=true&arch=arm64",
			Options{Function: "function", Arch: "arm64", Endpoints: []string{"http://127.0.0.1:9000"}, Deploy: &yes}},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.url)
		got, err := ParseURL(u)
		if err != nil || !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tt.url, got, err, tt.want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, s := range []string{"lambda://f/x", "lambda://?arch=mips", "lambda://?memory=64", "lambda://?memory=x",
		"lambda://?timeout=0", "lambda://?timeout=901", "lambda://?timeout=1.5s", "lambda://?deploy=maybe",
		"lambda://?concurrency=0", "lambda://?endpoint=ftp://x", "lambda://?endpoint=,", "lambda://?bogus=1",
		"lambda://?endpoint=http://ada:pw@127.0.0.1:9000", "lambda://?endpoint=http://127.0.0.1:9000%3Fx=1"} {
		u, _ := url.Parse(s)
		if o, err := ParseURL(u); err == nil {
			t.Errorf("ParseURL(%q) = %+v, want an error", s, o)
		}
	}
}

func TestDeploysByDefault(t *testing.T) {
	no := false
	tests := []struct {
		o    Options
		want bool
	}{
		{Options{}, true},
		{Options{Endpoints: []string{"http://127.0.0.1:1"}}, false},
		{Options{Deploy: &no}, false},
	}
	for _, tt := range tests {
		if got := tt.o.deploys(); got != tt.want {
			t.Errorf("%+v deploys = %v, want %v", tt.o, got, tt.want)
		}
	}
}

func TestParseReport(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		in     string
		billed time.Duration
		mem    int
		ok     bool
	}{
		{enc("REPORT RequestId: x\tDuration: 1.20 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB"), 2 * time.Millisecond, 128, true},
		{enc("REPORT RequestId: x\tInit Duration: 80.1 ms\tDuration: 1000.00 ms\tBilled Duration: 1081 ms\tMemory Size: 1769 MB"), 1081 * time.Millisecond, 1769, true},
		{enc("START RequestId: x\nEND RequestId: x\n"), 0, 0, false},
		{"not base64!", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		b, m, ok := parseReport(tt.in)
		if b != tt.billed || m != tt.mem || ok != tt.ok {
			t.Errorf("parseReport(%q) = %v, %d, %v; want %v, %d, %v", tt.in, b, m, ok, tt.billed, tt.mem, tt.ok)
		}
	}
	if got := billedFallback(1200 * time.Microsecond); got != 2*time.Millisecond {
		t.Errorf("billedFallback(1.2ms) = %v, want 2ms", got)
	}
}
