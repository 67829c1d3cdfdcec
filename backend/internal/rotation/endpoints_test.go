package rotation

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseEndpoints(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"http://127.0.0.1:9000", []string{"http://127.0.0.1:9000"}},
		{" http://a:1/ ,, https://b/api/ ", []string{"http://a:1", "https://b/api"}},
	}
	for _, tt := range tests {
		got, err := ParseEndpoints(tt.in, "use the token")
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseEndpoints(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseEndpointsErrors(t *testing.T) {
	tests := []struct{ in, err string }{
		{"", "endpoint is empty"},
		{" , ", "endpoint is empty"},
		{"ftp://x", `endpoint must be http(s)://HOST[:PORT][/PATH] base URLs separated by commas, got "ftp://x"`},
		{"http://", "endpoint must be"},
		{"http://x?y=1", "endpoint must be"},
		{"http://x#f", "endpoint must be"},
		{"http://a:1,x", `got "x"`},
		{"ftp://ada:pw@x", `got "ftp://ada:xxxxx@x"`},
		{"http://ada:pw@x", "endpoint http://ada:xxxxx@x holds credentials: use the token"},
		{"http://ada@x", "endpoint http://ada@x holds credentials"},
	}
	for _, tt := range tests {
		got, err := ParseEndpoints(tt.in, "use the token")
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseEndpoints(%q) = %q, %v; want an error holding %q", tt.in, got, err, tt.err)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("ParseEndpoints(%q) error shows the password: %v", tt.in, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://x":            "http://x",
		"http://ada:pw@x/p":   "http://ada:xxxxx@x/p",
		"ht tp://ada:pw@x/p":  "[redacted]@x/p",
		"no url at all, no @": "[redacted]@",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
