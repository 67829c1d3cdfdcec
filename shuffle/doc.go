// Package shuffle runs MapReduce jobs whose intermediate data goes
// through object storage: M mappers read chunks of the input (see
// overcast.Partition), emit key/value pairs and write them, partitioned by
// key and sorted, into one intermediate object each, partition after
// partition; R reducers each merge their partition's region of every
// mapper's object, read with one ranged read (none for an empty region),
// and write one output object. The driver only ever holds object names
// and offsets, never the data.
//
// A job is defined once, at init time, in the binary that both drives
// and serves tasks (Define registers its map and reduce tasks):
//
//	var wordCount = shuffle.Define(shuffle.Job[string, int64]{
//		Name: "wc",
//		Map: func(ctx context.Context, in overcast.Chunk, emit func(string, int64)) error {
//			for rec, err := range in.Records(ctx) {
//				if err != nil {
//					return err
//				}
//				for _, w := range bytes.Fields(rec) {
//					emit(string(w), 1)
//				}
//			}
//			return nil
//		},
//		Combine: func(a, b int64) int64 { return a + b },
//		Reduce: func(ctx context.Context, word string, counts iter.Seq[int64], out io.Writer) error {
//			var n int64
//			for c := range counts {
//				n += c
//			}
//			_, err := fmt.Fprintf(out, "%s\t%d\n", word, n)
//			return err
//		},
//	})
//
// and run on the driver over chunks:
//
//	chunks, err := overcast.Partition(ctx, in, []string{"text/"}, 64<<20)
//	res, err := wordCount.Run(ctx, ex, chunks, shuffle.Config[string]{
//		Storage: "s3://scratch?region=eu-west-1", Output: "s3://results/wc/", Reducers: 8})
//
// Keys are partitioned by a hash of their encoding unless the job has a
// Partition function or the run gives Splitters (range partitioning, as
// sort needs; see Splitters to pick them from a sample). Each reducer
// sees its keys in increasing order, each key once with all its values;
// an Unordered job's reducer sees them in the order of a hash of their
// encoding instead, which spares mappers and reducers comparing keys.
//
// A sort of fixed-size records by a key that starts them needs none of
// the above per record: DefineRecords defines a RecordJob, whose mappers
// read their chunk into one buffer, group it by partition and write it as
// one object, and whose reducers read their partition's region of each
// such object into one buffer, sort it with a bucket sort on the key and
// write it in large blocks.
//
// A map attempt writes one object, not one per partition: M objects
// created in all instead of up to M×R, so that many fewer requests write
// to an object store (one each, unless an object is large enough to be
// uploaded in parts) and fewer files are made in a directory; the reads
// stay one per non-empty region.
//
// Intermediate objects are named overcast/<job-id>/shuffle/<hash>-..., the
// hash spreading them over many prefixes. Every attempt of a task writes
// under names of its own; the driver takes the name and partition ends the
// winning attempt of each map task returned and hands exactly those
// regions to the reducers, and
// likewise keeps one output per reducer, so retried, crashed and backup
// attempts neither lose nor duplicate records. Run deletes the
// intermediate objects and the losers' outputs when it ends.
package shuffle
