package openwhisk

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// FuzzParseProps checks that ParseProps never panics, that every key and
// value it returns is trimmed and free of "=" and line breaks, and that
// writing the properties back as KEY=VALUE lines parses to the same map.
func FuzzParseProps(f *testing.F) {
	for _, s := range []string{
		"APIHOST=openwhisk.example.com:8443\nAUTH=u:k\nNAMESPACE=guest\n",
		"A=1\nB=2=3\nC\n D = 4 \n",
		"\r\nAPIHOST = http://127.0.0.1:3233 \r\n# comment\n=\n==\n",
		"KEY=\xff\xfe\nAUTH=\u00a0spaced\u00a0\n",
		strings.Repeat("A", 5000) + "=1\nB=2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		props := ParseProps(data)
		keys := make([]string, 0, len(props))
		for k, v := range props {
			for _, s := range []string{k, v} {
				if s != strings.TrimSpace(s) || strings.ContainsAny(s, "=\n") {
					t.Fatalf("ParseProps(%q) gave %q=%q: not trimmed, or holds '=' or a newline", data, k, v)
				}
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			b.WriteString(k + "=" + props[k] + "\n")
		}
		again := ParseProps([]byte(b.String()))
		if len(again) != len(props) {
			t.Fatalf("round trip of %q: %d properties, want %d", b.String(), len(again), len(props))
		}
		for k, v := range props {
			if w, ok := again[k]; !ok || w != v {
				t.Fatalf("round trip: %q=%q became %q (present %v)", k, v, w, ok)
			}
		}
	})
}

// FuzzLoadConfig drives the whole configuration chain (a wskprops file
// named by WSK_CONFIG_FILE, then the WHISK_ variables) and checks that the
// environment overrides the file field by field, that String never shows
// the credentials, and that BaseURL and NewClient either fail without
// repeating the key or give a usable http(s) base URL.
func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte("APIHOST=openwhisk.example.com:8443\nAUTH=23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPk\nNAMESPACE=guest\n"), "", "", "", "")
	f.Add([]byte("APIHOST=ow.example.org\n"), "http://127.0.0.1:3233", "uuid:theSecretKey1", "other", "v2")
	f.Add([]byte(""), "https://user:theSecretKey1@host", "uuid:theSecretKey1", "", "")
	f.Add([]byte("APIHOST=ftp://x\nAUTH=nocolon\n"), "", "", "", "")
	f.Add([]byte("APIHOST=[::1]:99999\nAUTH=a:b\nAPIVERSION=../../x\n"), "", "", "_", "")
	f.Add([]byte("AUTH=u:theSecretKey1\n"), "http://%zz", "", "", "")
	path := filepath.Join(f.TempDir(), "wskprops")
	f.Fuzz(func(t *testing.T, file []byte, host, auth, ns, version string) {
		if err := os.WriteFile(path, file, 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"WSK_CONFIG_FILE": path, "WHISK_APIHOST": host, "WHISK_AUTH": auth,
			"WHISK_NAMESPACE": ns, "WHISK_APIVERSION": version}
		c, err := LoadConfig(func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("LoadConfig with a readable file: %v", err)
		}
		props := ParseProps(file)
		for _, w := range []struct{ got, env, key string }{
			{c.APIHost, host, "APIHOST"}, {c.Auth, auth, "AUTH"}, {c.Namespace, ns, "NAMESPACE"}, {c.APIVersion, version, "APIVERSION"},
		} {
			want := w.env
			if want == "" {
				want = props[w.key]
			}
			if w.got != want {
				t.Fatalf("%s = %q, want %q (environment %q, file %q)", w.key, w.got, want, w.env, props[w.key])
			}
		}
		shown := "none"
		if c.Auth != "" {
			shown = "set"
		}
		if s, want := c.String(), "apihost="+c.APIHost+" namespace="+c.namespace()+" auth="+shown; s != want {
			t.Fatalf("String() = %q, want %q", s, want)
		}
		checkBaseURL(t, c)
		c.Cert, c.Key = "", "" // file paths: the fuzzer must not make the test read arbitrary files
		if cl, err := NewClient(c); err == nil {
			cl.Close()
		} else if leaks(err.Error(), c) {
			t.Fatalf("NewClient error %q repeats the key of %q", err, c.Auth)
		}
	})
}

func checkBaseURL(t *testing.T, c *Config) {
	t.Helper()
	u, err := c.BaseURL()
	if err != nil {
		if leaks(err.Error(), c) {
			t.Fatalf("BaseURL error %q repeats the key of %q", err, c.Auth)
		}
		return
	}
	v := c.APIVersion
	if v == "" {
		v = "v1"
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || !strings.HasSuffix(u.Path, "/api/"+v) {
		t.Fatalf("BaseURL() = %s for host %q: want http(s)://host/.../api/%s without user info", u, c.APIHost, v)
	}
}

// leaks reports whether msg shows the key part of c.Auth where the
// message's other inputs (host, version) do not explain it.
func leaks(msg string, c *Config) bool {
	_, key, _ := strings.Cut(c.Auth, ":")
	if len(key) < 6 || strings.Contains(c.APIHost+c.APIVersion+c.Namespace, key) {
		return false
	}
	return strings.Contains(msg, key)
}
