package cli

import (
	"context"
	"os"
	"strings"

	"github.com/overcast-sc/overcast/storage"
)

// storageEnv names the environment variable that gives run's --storage
// when the flag is not set: Overcast's configuration lives in OVERCAST_
// variables (OVERCAST_HOME, OVERCAST_JOURNAL, OVERCAST_CACHE).
const storageEnv = "OVERCAST_STORAGE"

// storageURL returns the storage a run uses: the --storage flag, else
// $OVERCAST_STORAGE, else none (""). It opens the bucket once to check the
// URL, so that a bad one fails before any task runs or is journaled.
func storageURL(ctx context.Context, flag string) (string, error) {
	u, from := flag, "--storage"
	if u == "" {
		u, from = os.Getenv(storageEnv), storageEnv
	}
	if u == "" {
		return "", nil
	}
	b, err := storage.Open(ctx, u)
	if err != nil {
		return "", usagef("%s: %v", from, err)
	}
	b.Close()
	return u, nil
}

// hasFlag reports whether recorded --name=value args set the flag name.
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); n == name {
			return true
		}
	}
	return false
}
