package overcast_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/storage"
)

// blob is a test task's input and output: bytes that travel as base64.
type blob struct {
	Data []byte
	Out  int // bytes of output asked for
}

func init() {
	// test/blob answers with Out bytes made from its input's bytes.
	overcast.Register("test/blob", func(ctx context.Context, in blob) (blob, error) {
		return blob{Data: grow(in.Data, in.Out)}, nil
	})
}

func grow(seed []byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(i) ^ seed[i%len(seed)]
	}
	return out
}

// limitedBackend carries at most 64 KiB each way, as a remote platform
// with a small payload limit would.
const limitedBackend = "local://?payload_limit=65536"

func runBlobs(t *testing.T, storeURL string, ins []blob) ([]blob, error) {
	t.Helper()
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, limitedBackend, &overcast.Options{Storage: storeURL, JobID: "offload-test", MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	return overcast.Map[blob, blob](ctx, ex, "test/blob", ins).Wait(ctx)
}

// TestPayloadsOverTheLimitTravelThroughStorage runs tasks whose inputs,
// outputs or both are over the backend's limit, beside small ones, and
// checks every output byte and where the data went.
func TestPayloadsOverTheLimitTravelThroughStorage(t *testing.T) {
	for _, store := range []string{"mem://offload-test", "file://" + t.TempDir()} {
		t.Run(strings.SplitN(store, ":", 2)[0], func(t *testing.T) {
			big := bytes.Repeat([]byte("0123456789"), 20000) // 200 kB, 267 kB as base64
			ins := []blob{
				{Data: []byte("small"), Out: 10},
				{Data: big, Out: 10},             // input over the limit
				{Data: []byte("x"), Out: 200000}, // output over the limit
				{Data: big, Out: 200000},         // both
			}
			outs, err := runBlobs(t, store, ins)
			if err != nil {
				t.Fatal(err)
			}
			for i, in := range ins {
				if want := grow(in.Data, in.Out); !bytes.Equal(outs[i].Data, want) {
					t.Errorf("task %d: %d output bytes, want %d that match", i, len(outs[i].Data), len(want))
				}
			}
			b, err := storage.Open(context.Background(), store)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			objs, err := b.List(context.Background(), storage.JobPrefix("offload-test"))
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, o := range objs {
				keys = append(keys, o.Key)
			}
			want := "[overcast/offload-test/in/0.1 overcast/offload-test/in/0.3 overcast/offload-test/out/0.2-1 overcast/offload-test/out/0.3-1]"
			if got := fmt.Sprint(keys); got != want {
				t.Errorf("objects %v, want %s", keys, want)
			}
			if n, err := b.RemoveAll(context.Background(), storage.JobPrefix("offload-test")); err != nil || n != 4 {
				t.Errorf("cleaning removed %d objects, %v", n, err)
			}
		})
	}
}

// TestPayloadsOverTheLimitWithoutStorageFailClearly checks that a task
// whose input or output is over the limit fails with one line naming
// --storage, and the others succeed.
func TestPayloadsOverTheLimitWithoutStorageFailClearly(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 100000)
	_, err := runBlobs(t, "", []blob{{Data: []byte("s"), Out: 1}, {Data: big, Out: 1}, {Data: []byte("s"), Out: 100000}})
	je, ok := err.(*overcast.JobError)
	if !ok || len(je.Failed) != 2 || je.Failed[0].Index != 1 || je.Failed[1].Index != 2 {
		t.Fatalf("got %v, want tasks 1 and 2 to fail", err)
	}
	for _, f := range je.Failed {
		msg := f.Err.Error()
		if !strings.Contains(msg, "--storage") || !strings.Contains(msg, "payload limit") || strings.Contains(msg, "\n") {
			t.Errorf("task %d: %q, want one line naming the limit and --storage", f.Index, msg)
		}
		if f.Attempts > 1 {
			t.Errorf("task %d made %d attempts: a payload over the limit is not worth retrying", f.Index, f.Attempts)
		}
	}
}
