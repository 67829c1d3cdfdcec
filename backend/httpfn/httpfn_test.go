package httpfn_test

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/backend/httpfn"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url  string
		want *httpfn.Options
		err  string
	}{
		{url: "http://127.0.0.1:8080", want: &httpfn.Options{Endpoints: []string{"http://127.0.0.1:8080"}}},
		{url: "https://svc.example/", want: &httpfn.Options{Endpoints: []string{"https://svc.example"}}},
		{url: "https://svc.example/api?auth=azure", want: &httpfn.Options{Endpoints: []string{"https://svc.example/api"}, Auth: httpfn.Auth{Mode: httpfn.ModeAzure}}},
		{url: "http://?endpoint=http://a:1/,https://b&concurrency=5&limit=1000&auth=google&token-file=/k.json&ca=/ca.pem",
			want: &httpfn.Options{Endpoints: []string{"http://a:1", "https://b"}, Concurrency: 5, PayloadLimit: 1000,
				Auth: httpfn.Auth{Mode: httpfn.ModeGoogle, File: "/k.json"}, CAFile: "/ca.pem"}},
		{url: "http://", err: "no endpoint: give the workers' base URLs with --endpoint"},
		{url: "http://?endpoint=", err: "endpoint is empty"},
		{url: "http://?endpoint=ftp://x", err: "endpoint must be http(s)://HOST[:PORT][/PATH]"},
		{url: "http://?endpoint=http://x?y=1", err: "endpoint must be"},
		{url: "http://?endpoint=http://ada:pw@x", err: "endpoint http://ada:xxxxx@x holds credentials"},
		{url: "http://ada:pw@x", err: "the backend URL must not hold credentials"},
		{url: "http://?endpoint=http://x&concurrency=0", err: "concurrency must be a positive integer"},
		{url: "http://?endpoint=http://x&limit=big", err: "limit must be a positive integer"},
		{url: "http://?endpoint=http://x&auth=ntlm", err: "auth must be none, bearer, google, azure or basic"},
		{url: "http://?endpoint=http://x&workers=3", err: `unknown setting "workers"`},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		got, err := httpfn.ParseURL(u)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "pw@")):
			t.Errorf("%s: error %v, want %q", tt.url, err, tt.err)
		case tt.err == "" && (err != nil || !reflect.DeepEqual(got, tt.want)):
			t.Errorf("%s: %+v, %v; want %+v", tt.url, got, err, tt.want)
		}
	}
}
