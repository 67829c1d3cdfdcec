package openwhisk

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/sim"
)

// setAWSEnv gives the process test credentials and no other source.
func setAWSEnv(t *testing.T, key, secret string) {
	dir := t.TempDir()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_ACCESS_KEY_ID", key)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_REGION", "us-test-1")
}

// deployWith deploys fixed code with opts and reports whether it uploaded.
func deployWith(t *testing.T, f *fakeOW, opts Options) (bool, error) {
	t.Helper()
	d, err := f.open(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.buildArchive = func(ctx context.Context, k *kind) ([]byte, string, error) { return []byte("zip-bytes-1"), "", nil }
	info, err := d.Deploy(context.Background())
	if err != nil {
		return false, err
	}
	return info.Uploaded, nil
}

func TestDeployStorageCredentials(t *testing.T) {
	f := newFake(t)
	setAWSEnv(t, "AKIDTESTCREDS", "secret-test-value-1")
	with := Options{StorageCredentials: true}
	if up, err := deployWith(t, f, with); err != nil || !up {
		t.Fatalf("first Deploy: uploaded %v, %v", up, err)
	}
	stored := string(f.actions["overcast"])
	var a Action
	json.Unmarshal(f.actions["overcast"], &a)
	got := map[string]string{}
	for _, p := range a.Parameters {
		var v string
		json.Unmarshal(p.Value, &v)
		if !p.Init {
			t.Errorf("parameter %s is not an init parameter", p.Key)
		}
		got[p.Key] = v
	}
	if got["AWS_ACCESS_KEY_ID"] != "AKIDTESTCREDS" || got["AWS_SECRET_ACCESS_KEY"] != "secret-test-value-1" || got["AWS_REGION"] != "us-test-1" || len(got) != 3 {
		t.Errorf("init parameters %v", got)
	}
	h := annotation(a.Annotations, CredentialsAnnotation)
	if len(h) != 64 || strings.Contains(h, "secret") {
		t.Errorf("credentials annotation %q", h)
	}
	if up, err := deployWith(t, f, with); err != nil || up {
		t.Errorf("Deploy with the same credentials: uploaded %v, %v; want no upload", up, err)
	}
	setAWSEnv(t, "AKIDTESTCREDS", "secret-test-value-2")
	if up, err := deployWith(t, f, with); err != nil || !up {
		t.Errorf("Deploy with another secret: uploaded %v, %v; want an upload", up, err)
	}
	if up, err := deployWith(t, f, Options{}); err != nil || !up {
		t.Errorf("Deploy without credentials: uploaded %v, %v; want an upload", up, err)
	}
	if s := string(f.actions["overcast"]); strings.Contains(s, "secret-test") || strings.Contains(s, CredentialsAnnotation) {
		t.Errorf("action deployed without credentials still has them: %s", s)
	}
	if !strings.Contains(stored, `"init":true`) {
		t.Errorf("stored action %s", stored)
	}
	setAWSEnv(t, "", "")
	_, err := deployWith(t, f, with)
	if err == nil || !strings.Contains(err.Error(), CredentialsFlag) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Deploy with no credentials to give: %v; want one line naming %s", err, CredentialsFlag)
	}
}

// TestDeployErrorsHideStorageCredentials has the platform refuse the
// action with an answer that echoes its parameters: the error must not
// carry the secret.
func TestDeployErrorsHideStorageCredentials(t *testing.T) {
	f := newFake(t)
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "PUT" {
			f.serve(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		_, params, _ := strings.Cut(string(b), `"parameters":`)
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "refused: "+params)
	})
	setAWSEnv(t, "AKIDTESTCREDS", "secret-test-value-1")
	_, err := deployWith(t, f, Options{StorageCredentials: true})
	if err == nil || !strings.Contains(err.Error(), "AKIDTESTCREDS") {
		t.Fatalf("Deploy = %v; want the refusal, echoing the parameters", err)
	}
	if strings.Contains(err.Error(), "secret-test-value-1") {
		t.Errorf("the error shows the secret: %v", err)
	}
}

// TestDeployWithoutCredentialsClearsThemOnSim deploys with storage
// credentials and then without, to the sim, which keeps an action's
// parameters when an update leaves them out, as OpenWhisk's controller
// does: the second deploy must take them away, also when an older deploy
// left them behind with the same code.
func TestDeployWithoutCredentialsClearsThemOnSim(t *testing.T) {
	setAWSEnv(t, "AKIDTESTCREDS", "secret-test-value-1")
	_, o := startSim(t, &sim.Options{}, Options{})
	params := func(opts Options, stale bool) []KeyValue {
		t.Helper()
		d, err := Open(context.Background(), &opts)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		d.buildArchive = fakeArchive
		if stale { // what an older overcast deployed without credentials: no parameters named
			ctx := context.Background()
			k, err := d.chooseKind(ctx)
			if err != nil {
				t.Fatal(err)
			}
			zip, _, _ := fakeArchive(ctx, k)
			a := d.action(k, zip)
			a.Parameters = nil
			if err := d.c.PutAction(ctx, d.opts.Action, a); err != nil {
				t.Fatal(err)
			}
		} else if _, err := d.Deploy(context.Background()); err != nil {
			t.Fatal(err)
		}
		a, err := d.c.GetAction(context.Background(), d.opts.Action)
		if err != nil {
			t.Fatal(err)
		}
		return a.Parameters
	}
	with := o
	with.StorageCredentials = true
	if p := params(with, false); len(p) != 3 {
		t.Fatalf("deployed with credentials: parameters %v, want 3", p)
	}
	if p := params(o, false); len(p) != 0 {
		t.Errorf("deployed without credentials after a deploy with them: parameters %v, want none", p)
	}
	params(with, false)
	if p := params(o, true); len(p) != 3 {
		t.Fatalf("stale action: parameters %v, want 3", p)
	}
	if p := params(o, false); len(p) != 0 {
		t.Errorf("deployed without credentials over an action with stale ones: parameters %v, want none", p)
	}
}
