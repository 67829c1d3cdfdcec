package sortbench

import (
	"context"
	"testing"

	"github.com/overcast-sc/overcast/shuffle"
	"github.com/overcast-sc/overcast/storage"
)

// TestDataSetReadsTheManifest: a losing copy's part object written after
// the job ended is not part of the output its manifest names.
func TestDataSetReadsTheManifest(t *testing.T) {
	ctx := context.Background()
	b, err := storage.Open(ctx, "mem://sortbench-manifest")
	if err != nil {
		t.Fatal(err)
	}
	rec := make([]byte, RecordSize)
	for _, k := range []string{"out/part-00000-a2-x", "out/part-00000-a1-stray", "out/part-00001-a1-y"} {
		if err := b.Put(ctx, k, rec); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := OpenDataSet(ctx, "mem://sortbench-manifest/out/")
	if err != nil || len(ds.Objects) != 3 {
		t.Fatalf("without a manifest: %v objects, %v; want all 3", ds, err)
	}
	if err := b.Put(ctx, "out/"+shuffle.ManifestName, []byte("out/part-00000-a2-x\nout/part-00001-a1-y\n")); err != nil {
		t.Fatal(err)
	}
	ds, err = OpenDataSet(ctx, "mem://sortbench-manifest/out/")
	if err != nil || len(ds.Objects) != 2 || ds.Objects[0].Key != "out/part-00000-a2-x" || ds.Objects[1].Key != "out/part-00001-a1-y" {
		t.Fatalf("with a manifest: %+v, %v; want the 2 objects it names", ds, err)
	}
}
