package shuffle

import (
	"cmp"
	"slices"
)

// Splitters picks reducers-1 splitters from a sample of keys, at its
// quantiles, for range partitioning (Config.Splitters): with a sample
// drawn evenly from the input, each reducer gets about as many keys.
func Splitters[K cmp.Ordered](sample []K, reducers int) []K {
	if reducers < 2 || len(sample) == 0 {
		return nil
	}
	s := slices.Sorted(slices.Values(sample))
	out := make([]K, reducers-1)
	for i := range out {
		out[i] = s[(i+1)*len(s)/reducers]
	}
	return out
}
