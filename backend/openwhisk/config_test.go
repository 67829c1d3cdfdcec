package openwhisk

import (
	"path/filepath"
	"strings"
	"testing"
)

const testdataKey = "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP"

func TestLoadConfigChain(t *testing.T) {
	file, _ := filepath.Abs("testdata/wskprops")
	tests := []struct {
		name                 string
		env                  map[string]string
		host, ns, auth, base string
	}{
		{"file", map[string]string{"WSK_CONFIG_FILE": file},
			"openwhisk.example.com:8443", "guest", "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:" + testdataKey, "https://openwhisk.example.com:8443/api/v1"},
		{"env overrides", map[string]string{"WSK_CONFIG_FILE": file, "WHISK_APIHOST": "http://127.0.0.1:3233", "WHISK_AUTH": "u:k", "WHISK_NAMESPACE": "other"},
			"http://127.0.0.1:3233", "other", "u:k", "http://127.0.0.1:3233/api/v1"},
		{"home file missing", map[string]string{"HOME": t.TempDir(), "WHISK_APIHOST": "ow.example.org"},
			"ow.example.org", "_", "", "https://ow.example.org/api/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			base, err := c.BaseURL()
			if err != nil {
				t.Fatal(err)
			}
			if c.APIHost != tt.host || c.namespace() != tt.ns || c.Auth != tt.auth || base.String() != tt.base {
				t.Errorf("config = %+v (auth %q), base %s", c, c.Auth, base)
			}
			if strings.Contains(c.String(), "123zO3") || strings.Contains(c.String(), "u:k") {
				t.Errorf("String() = %q shows the credentials", c.String())
			}
		})
	}
}

func TestLoadConfigMissingNamedFile(t *testing.T) {
	if _, err := LoadConfig(func(k string) string {
		return map[string]string{"WSK_CONFIG_FILE": filepath.Join(t.TempDir(), "nope")}[k]
	}); err == nil {
		t.Error("a WSK_CONFIG_FILE that does not exist should be an error")
	}
}

func TestParsePropsSkipsOddLines(t *testing.T) {
	p := ParseProps([]byte("A=1\nB=2=3\nC\n D = 4 \n"))
	if len(p) != 2 || p["A"] != "1" || p["D"] != "4" {
		t.Errorf("ParseProps = %v, want A and D only", p)
	}
}

func TestBaseURLErrors(t *testing.T) {
	for _, host := range []string{"", "ftp://x", "https://user:pw@host", "http://"} {
		if _, err := (&Config{APIHost: host}).BaseURL(); err == nil {
			t.Errorf("BaseURL(%q) succeeded", host)
		} else if strings.Contains(err.Error(), "pw@") {
			t.Errorf("BaseURL error %q repeats credentials", err)
		}
	}
}
