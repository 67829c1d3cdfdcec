package httpfn_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
)

// headerRecorder answers every invocation after noting its credential
// headers.
type headerRecorder struct {
	mu   sync.Mutex
	seen []http.Header
}

func (h *headerRecorder) before(w http.ResponseWriter, r *http.Request) bool {
	h.mu.Lock()
	h.seen = append(h.seen, http.Header{"Authorization": r.Header.Values("Authorization"),
		"X-Functions-Key": r.Header.Values("X-Functions-Key"), "X-Overcast-Token": r.Header.Values("X-Overcast-Token")})
	h.mu.Unlock()
	return false
}

// TestAuthModesSendTheirCredential opens the backend in each auth mode,
// with the credential from the environment or a file, and checks what
// the worker received.
func TestAuthModesSendTheirCredential(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ada:s3cret:x"))
	tests := []struct {
		name, settings string
		env            map[string]string
		header, value  string // what the worker must get
		about          string
	}{
		{"none", "", nil, "Authorization", "", "no credentials"},
		{"bearer from env", "", map[string]string{"OVERCAST_TOKEN": "tok-env"}, "Authorization", "Bearer tok-env", "bearer token from OVERCAST_TOKEN"},
		{"bearer from file", "&token-file=" + file("tok", " tok-file\n"), nil, "Authorization", "Bearer tok-file", "bearer token from " + dir},
		{"explicit none", "&auth=none", map[string]string{"OVERCAST_TOKEN": "unused"}, "Authorization", "", "no credentials"},
		{"azure from env", "&auth=azure", map[string]string{"OVERCAST_AZURE_KEY": "key-env"}, "X-Functions-Key", "key-env", "Azure function key from OVERCAST_AZURE_KEY"},
		{"azure from file", "&auth=azure&token-file=" + file("key", "key-file"), nil, "X-Functions-Key", "key-file", "Azure function key from " + dir},
		{"basic", "&auth=basic", map[string]string{"OVERCAST_BASIC_AUTH": "ada:s3cret:x"}, "Authorization", basic, "basic auth as ada"},
		{"azure and the workers' token", "&auth=azure", map[string]string{"OVERCAST_AZURE_KEY": "key-env", "OVERCAST_TOKEN": "wt"},
			"X-Overcast-Token", "wt", "Azure function key from OVERCAST_AZURE_KEY and the workers' token from OVERCAST_TOKEN"},
		{"basic and the workers' token", "&auth=basic", map[string]string{"OVERCAST_BASIC_AUTH": "ada:s3cret:x", "OVERCAST_TOKEN": "wt"},
			"Authorization", basic, "and the workers' token from OVERCAST_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"OVERCAST_TOKEN", "OVERCAST_AZURE_KEY", "OVERCAST_BASIC_AUTH"} {
				t.Setenv(k, tt.env[k])
			}
			rec := &headerRecorder{}
			b := open(t, []string{serve(t, &standIn{before: rec.before})}, tt.settings)
			echo(t, executor(b, nil), numbered(3))
			for _, h := range rec.seen {
				if got := strings.Join(h.Values(tt.header), ","); got != tt.value {
					t.Fatalf("%s = %q, want %q", tt.header, got, tt.value)
				}
			}
			if len(rec.seen) != 3 {
				t.Fatalf("the worker saw %d requests, want 3", len(rec.seen))
			}
			if about := b.Driver().(interface{ Auth() string }).Auth(); !strings.Contains(about, tt.about) {
				t.Errorf("Auth() = %q, want it to say %q", about, tt.about)
			}
		})
	}
}

// TestMissingCredentialsFailToOpen checks the one-line errors of auth
// modes without their credential.
func TestMissingCredentialsFailToOpen(t *testing.T) {
	for _, k := range []string{"OVERCAST_TOKEN", "OVERCAST_AZURE_KEY", "OVERCAST_BASIC_AUTH"} {
		t.Setenv(k, "")
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	tests := map[string]string{
		"&auth=bearer":                     "auth bearer: no credential: set OVERCAST_TOKEN or --token-file",
		"&auth=azure":                      "auth azure: no credential: set OVERCAST_AZURE_KEY or --token-file",
		"&auth=basic":                      "auth basic: no credential: set OVERCAST_BASIC_AUTH",
		"&auth=bearer&token-file=" + empty: "is empty",
		"&token-file=/nonexistent/tok":     "token file: open /nonexistent/tok",
		"&auth=kerberos":                   "auth must be none, bearer, google, azure or basic",
	}
	for settings, want := range tests {
		_, err := backend.Open(context.Background(), "http://?endpoint=http://127.0.0.1:1"+settings)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line with %q", settings, err, want)
		}
	}
	t.Setenv("OVERCAST_BASIC_AUTH", "nocolon")
	if _, err := backend.Open(context.Background(), "http://?auth=basic&endpoint=http://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "must be user:pass") {
		t.Errorf("basic without a colon: %v", err)
	}
}

// TestRefusedCredentialsRunNothing runs a job against a worker that wants
// a token, without one and with a wrong one: every task fails at once
// with permission denied, naming the auth mode, and the worker runs
// nothing.
func TestRefusedCredentialsRunNothing(t *testing.T) {
	srv := &standIn{token: "the-right-token"}
	url := serve(t, srv)
	for _, token := range []string{"", "a-wrong-token"} {
		t.Setenv("OVERCAST_TOKEN", token)
		b := open(t, []string{url}, "")
		ctx := context.Background()
		_, err := overcast.Map[selftest.Input, selftest.Output](ctx, executor(b, nil), selftest.Echo, numbered(4)).Wait(ctx)
		var je *overcast.JobError
		if !errors.As(err, &je) || len(je.Failed) != 4 {
			t.Fatalf("token %q: error %v, want all 4 tasks failed", token, err)
		}
		for _, f := range je.Failed {
			if f.Code != backend.PermissionDenied || f.Attempts != 1 || strings.Contains(f.Err.Error(), "\n") {
				t.Errorf("token %q: task %d: %v (code %v, %d attempts), want permission denied once", token, f.Index, f.Err, f.Code, f.Attempts)
			}
		}
		if mode := map[string]string{"": "no credentials", "a-wrong-token": "a bearer token from OVERCAST_TOKEN"}[token]; !strings.Contains(je.Failed[0].Err.Error(), mode) {
			t.Errorf("token %q: %v does not name the auth mode (%s)", token, je.Failed[0].Err, mode)
		}
	}
	if srv.ran.Load() != 0 || srv.refused.Load() != 8 {
		t.Errorf("the worker ran %d tasks and refused %d requests; want none run, 8 refused", srv.ran.Load(), srv.refused.Load())
	}
}

// TestCredentialsAreRedacted has a worker echo the credential it was sent
// in its refusal: the error shows it redacted.
func TestCredentialsAreRedacted(t *testing.T) {
	for _, tt := range []struct{ settings, env, value string }{
		{"", "OVERCAST_TOKEN", "sekret-token-123"},
		{"&auth=azure", "OVERCAST_AZURE_KEY", "sekret-key-456"},
		{"&auth=basic", "OVERCAST_BASIC_AUTH", "ada:sekret-pass-789"},
	} {
		t.Setenv(tt.env, tt.value)
		srv := &standIn{before: func(w http.ResponseWriter, r *http.Request) bool {
			http.Error(w, "refused "+r.Header.Get("Authorization")+r.Header.Get("X-Functions-Key")+" "+tt.value, http.StatusForbidden)
			return true
		}}
		b := open(t, []string{serve(t, srv)}, tt.settings)
		_, err := b.Invoke(context.Background(), &driver.Invocation{Task: selftest.Echo, Payload: envelope(t, 1)})
		secret := tt.value[strings.Index(tt.value, ":")+1:]
		if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "[redacted]") || backend.Code(err) != backend.PermissionDenied {
			t.Errorf("%s: error %v (code %v); want permission denied with the credential redacted", tt.env, err, backend.Code(err))
		}
		t.Setenv(tt.env, "")
	}
}

// googleTokenServer stands in for Google's OAuth token endpoint: it takes
// a service account's signed JWT and answers an ID token for the
// audience the JWT asks for.
type googleTokenServer struct {
	mu        sync.Mutex
	audiences []string
}

func (g *googleTokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.FormValue("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		http.Error(w, "bad grant", http.StatusBadRequest)
		return
	}
	parts := strings.Split(r.FormValue("assertion"), ".")
	var claims struct {
		Audience string `json:"target_audience"`
	}
	if len(parts) != 3 {
		http.Error(w, "bad assertion", http.StatusBadRequest)
		return
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	json.Unmarshal(raw, &claims)
	g.mu.Lock()
	g.audiences = append(g.audiences, claims.Audience)
	g.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]string{"id_token": idToken(claims.Audience)})
}

// idToken is an unsigned stand-in of a Google ID token for aud.
func idToken(aud string) string {
	enc := base64.RawURLEncoding.EncodeToString
	claims, _ := json.Marshal(map[string]any{"aud": aud, "exp": time.Now().Add(time.Hour).Unix()})
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc(claims) + ".c2ln"
}

// serviceAccountKey writes a service account key whose token endpoint is
// tokenURL and returns its path.
func serviceAccountKey(t *testing.T, tokenURL string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	sa, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": "p", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "overcast@p.iam.gserviceaccount.com", "client_id": "1", "token_uri": tokenURL})
	p := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(p, sa, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGoogleIDTokens runs a job with --auth google over two services, one
// of them with two endpoints: each request carries an ID token that
// google.golang.org/api/idtoken got, with the service account key, for
// the endpoint's service URL.
func TestGoogleIDTokens(t *testing.T) {
	tokens := &googleTokenServer{}
	ts := httptest.NewServer(tokens)
	defer ts.Close()
	key := serviceAccountKey(t, ts.URL+"/token")
	t.Setenv("OVERCAST_TOKEN", "workers-token")
	rec := &headerRecorder{}
	a, c := serve(t, &standIn{token: "workers-token", before: rec.before}), serve(t, &standIn{token: "workers-token", before: rec.before})
	eps := []string{a, a + "/invoke", c}
	b := open(t, eps, "&auth=google&token-file="+key)
	echo(t, executor(b, nil), numbered(12))
	want := map[string]bool{"Bearer " + idToken(a): true, "Bearer " + idToken(c): true}
	for _, h := range rec.seen {
		if got := h.Get("Authorization"); !want[got] || h.Get("X-Overcast-Token") != "workers-token" {
			t.Fatalf("Authorization %q, X-Overcast-Token %q; want an ID token for %s or %s, and the workers' token", got, h.Get("X-Overcast-Token"), a, c)
		}
	}
	tokens.mu.Lock()
	defer tokens.mu.Unlock()
	if len(tokens.audiences) != 2 || tokens.audiences[0] != a || tokens.audiences[1] != c {
		t.Errorf("tokens asked for audiences %v, want [%s %s] once each", tokens.audiences, a, c)
	}
	if about := b.Driver().(interface{ Auth() string }).Auth(); about != "a Google ID token from the service account key "+key+" and the workers' token from OVERCAST_TOKEN" {
		t.Errorf("Auth() = %q", about)
	}
}

// TestGoogleRefusedKey checks the error of a key Google refuses.
func TestGoogleRefusedKey(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
	}))
	defer ts.Close()
	key := serviceAccountKey(t, ts.URL+"/token")
	_, err := backend.Open(context.Background(), "http://?auth=google&token-file="+key+"&endpoint=http://127.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "auth google: check the service account key "+key) ||
		strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %v; want auth google naming the key", err)
	}
}
