package sortbench

import (
	"context"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/shuffle"
	"github.com/overcast-sc/overcast/storage"
)

// IO counts a sort's storage requests and bytes as its code issues them
// (a store may split a large write into several requests: S3 multipart
// uploads do, in parts of 5 MiB by default), for the winning attempts;
// failed and losing attempts are not counted.
type IO struct {
	Gets    int64 `json:"gets"`
	Puts    int64 `json:"puts"`
	Lists   int64 `json:"lists"`
	Deletes int64 `json:"deletes"`
	Read    int64 `json:"bytes_read"`
	Written int64 `json:"bytes_written"`
}

// Add adds o's counts to c.
func (c *IO) Add(o IO) {
	c.Gets += o.Gets
	c.Puts += o.Puts
	c.Lists += o.Lists
	c.Deletes += o.Deletes
	c.Read += o.Read
	c.Written += o.Written
}

// Requests is the total number of requests.
func (c IO) Requests() int64 { return c.Gets + c.Puts + c.Lists + c.Deletes }

// intermediate is what the shuffle left in storage: its objects' count.
type intermediate struct{ objects int64 }

// cleanIntermediate counts and deletes the job's intermediate objects.
func cleanIntermediate(ctx context.Context, storageURL, jobID string) (intermediate, error) {
	ctx = context.WithoutCancel(ctx)
	b, err := storage.Open(ctx, storageURL)
	if err != nil {
		return intermediate{}, err
	}
	defer b.Close()
	n, err := b.RemoveAll(ctx, "overcast/"+jobID+"/shuffle/")
	return intermediate{int64(n)}, err
}

// sortIO adds up the requests: the input's listing (a probe for its
// manifest and a list) or stat, the samples, one stat per input object
// (overcast.Partition), one ranged read per chunk range, one write per
// map task's intermediate object and one ranged read per region of it a
// reducer reads, one write per output, the shuffle's check that the
// output prefix is empty, its listing of the outputs to clean the losers'
// and its manifest, and the listing and deletes of the intermediate
// objects. Heads count as gets.
func sortIO(in *DataSet, chunks []overcast.Chunk, sampled IO, inter intermediate, sr *shuffle.Result) IO {
	c := sampled
	c.Lists += 1 + 1 + 1 // output check, output cleaning, intermediate listing
	c.Gets += 1 + int64(len(in.Objects))
	if in.listed {
		c.Lists++
	}
	for _, ch := range chunks {
		c.Gets += int64(len(ch.Ranges))
	}
	c.Read += in.Size
	c.Puts += sr.MapCounters["shuffle_objects"] + int64(len(sr.Outputs)) + 1
	c.Gets += sr.ReduceCounters["shuffle_reads"]
	c.Deletes += inter.objects
	c.Written += sr.MapCounters["shuffle_bytes"] + sr.ReduceCounters["output_bytes"]
	c.Read += sr.ReduceCounters["shuffle_bytes"]
	return c
}
