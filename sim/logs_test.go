package sim

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLogLine(t *testing.T) {
	tests := []struct {
		t            time.Time
		stream, text string
		want         string
	}{
		{time.Date(2026, 11, 29, 23, 59, 59, 123456789, time.UTC), "stdout", "text", "2026-11-29T23:59:59.123456789Z stdout: text"},
		{time.Date(2026, 11, 30, 1, 2, 3, 0, time.FixedZone("x", 3600)), "stderr", "a b\r\n", "2026-11-30T00:02:03.000000000Z stderr: a b"},
	}
	for _, tt := range tests {
		if got := logLine(tt.t, tt.stream, tt.text); got != tt.want {
			t.Errorf("logLine = %q, want %q", got, tt.want)
		}
	}
}

func TestLogCollector(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	stamp := at.Format(logTimeLayout)
	tests := []struct {
		name  string
		limit int
		in    []streamText
		want  []string
	}{
		{"lines", 100, []streamText{{"stdout", "a\nb\n"}, {"stderr", "c"}},
			[]string{stamp + " stdout: a", stamp + " stdout: b", stamp + " stderr: c"}},
		{"sentinels dropped", 100, []streamText{{"stdout", "a\n" + sentinel + "\n"}, {"stderr", sentinel + "\n"}},
			[]string{stamp + " stdout: a"}},
		{"cut at the limit", 3, []streamText{{"stdout", "ab\ncd\n"}, {"stderr", "e\n"}},
			[]string{stamp + " stdout: ab", stamp + " stderr: " + msgTruncateLogs(3)}},
		{"limit zero", 0, []streamText{{"stderr", "x"}},
			[]string{stamp + " stderr: " + msgTruncateLogs(0)}},
	}
	for _, tt := range tests {
		c := logCollector{limit: tt.limit}
		for _, st := range tt.in {
			c.add(at, st.stream, st.text)
		}
		if !reflect.DeepEqual(c.lines, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, c.lines, tt.want)
		}
	}
}

// TestProcessLogs checks that an activation keeps what its process wrote
// to stdout and stderr, as a controller does, bounded by the action's log
// limit, with the controller's notice on a developer error.
func TestProcessLogs(t *testing.T) {
	s := processServer(t, &Options{PayloadLimit: 4 << 20})
	putAction(t, s, "quiet", loopCode(t), map[string]int{"timeout": 2000, "logs": 0})
	putAction(t, s, "small", loopCode(t), map[string]int{"timeout": 2000, "logs": 1})
	big := strings.Repeat("y", 1<<20+1)
	tests := []struct {
		action, params string
		want           []string // the lines after the timestamp
	}{
		{"loop", `{"log":"hello"}`, []string{"stdout: hello", "stderr: err: hello"}},
		{"loop", `{}`, nil},
		{"loop", `{"log":"` + sentinel + `"}`, []string{"stderr: err: " + sentinel}},
		{"loop", `{"log":"bye","exit":3}`, []string{"stdout: bye", "stderr: err: bye", "stderr: " + msgLogWarningDeveloperError}},
		{"quiet", `{"log":"x"}`, []string{"stderr: " + msgTruncateLogs(0)}},
		{"small", `{"log":"` + big + `"}`, []string{"stderr: " + msgTruncateLogs(1<<20)}},
		{"small", `{"log":"z"}`, []string{"stdout: z", "stderr: err: z"}},
	}
	for _, tt := range tests {
		_, b, _ := call(t, s, "POST", "/namespaces/_/actions/"+tt.action+"?blocking=true", []byte(tt.params))
		a := decode[activation](t, b)
		logs := decode[struct{ Logs []string }](t, mustCall(t, s, 200, "GET", "/namespaces/_/activations/"+a.ActivationID+"/logs", nil)).Logs
		if !reflect.DeepEqual(logs, a.Logs) && !(len(logs) == 0 && len(a.Logs) == 0) {
			t.Errorf("%s %.40s: /logs %.300q, record %.300q", tt.action, tt.params, logs, a.Logs)
		}
		var got []string
		for _, l := range logs {
			if !logLineRE.MatchString(l) {
				t.Errorf("%s %.40s: line %.100q is not timestamped", tt.action, tt.params, l)
				continue
			}
			got = append(got, l[31:])
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %.40s: logs %.300q, want %q", tt.action, tt.params, got, tt.want)
		}
	}
}
