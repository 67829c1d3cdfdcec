package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/internal/awstest"
	"github.com/overcast-sc/overcast/internal/owproxy/owproxytest"
	"github.com/overcast-sc/overcast/internal/s3test"
)

// TestStorageCredentialsOnSim moves data through a real S3 server
// (versitygw) from workers that run as processes of the sim, bare and
// under Apache's proxy, which see only what the action's deploy gave
// them: without --storage-credentials the job fails with one line naming
// the flag; with it every byte comes back, and the secret shows up in
// nothing overcast writes.
func TestStorageCredentialsOnSim(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	srv := s3test.Start(t)
	for _, mode := range []string{"process", "proxy"} {
		t.Run(mode, func(t *testing.T) {
			flags := []string{"--mode", mode}
			if mode == "proxy" {
				flags = append(flags, "--proxy", owproxytest.Binary(t))
			}
			host, simLog := startSimWith(t, "user:pass", flags...)
			dir := t.TempDir()
			props := filepath.Join(dir, "wskprops")
			os.WriteFile(props, []byte("APIHOST="+host+"\nAUTH=user:pass\n"), 0o600)
			env := append([]string{"WSK_CONFIG_FILE=" + props, "OVERCAST_HOME=" + dir}, s3test.Env()...)
			checkStorageCredentials(t, env, srv.Bucket(t), dir)
			_, secret := awstest.Keys()
			(&leakScanner{t: t, secrets: []string{secret}}).check("the sim's log", simLog())
		})
	}
}

// checkStorageCredentials runs transfer through storage without and with
// --storage-credentials.
func checkStorageCredentials(t *testing.T, env []string, bucket, home string) {
	t.Helper()
	_, secret := awstest.Keys()
	leaks := &leakScanner{t: t, secrets: []string{secret}}
	args := []string{"run", "transfer", "--in-bytes", "2e6", "--out-bytes", "2e6", "--tasks", "2", "--no-progress",
		"--backend", "openwhisk", "--storage", bucket}
	out, stderr, code := binIn(t, env, args...)
	leaks.check("run without --storage-credentials", out+stderr)
	if code == 0 || !strings.Contains(stderr, "no AWS credentials") || !strings.Contains(stderr, "--storage-credentials") {
		t.Errorf("without --storage-credentials: exit %d, stderr %q; want a failure naming the flag", code, stderr)
	}
	out, stderr, code = binIn(t, env, "deploy", "--backend", "openwhisk", "--storage-credentials")
	leaks.check("deploy --storage-credentials", out+stderr)
	if code != 0 {
		t.Fatalf("deploy --storage-credentials: exit %d: %s%s", code, out, stderr)
	}
	out, stderr, code = binIn(t, env, append(args, "--storage-credentials", "--json")...)
	leaks.check("run --storage-credentials", out+stderr)
	r := decode[transferResult](t, out, "run transfer --json")
	if code != 0 || !r.Answer || r.FailedTasks != 0 || r.Details.BytesOut != 4e6 {
		t.Fatalf("with --storage-credentials: exit %d, %+v\nstderr: %s", code, r, stderr)
	}
	leaks.checkHome(env, home)
}
