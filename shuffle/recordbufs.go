package shuffle

import "sync"

// bufs keeps the large buffers of record tasks (a chunk, its records
// grouped, a partition) between the tasks of one process, so that a
// worker that runs task after task, as the local backend's do, neither
// zeroes nor collects buffers of a chunk's size for each.
var bufs sync.Pool // of *[]byte

// getBuf returns a buffer of n bytes, of unspecified content.
func getBuf(n int) []byte {
	if p, ok := bufs.Get().(*[]byte); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]byte, n)
}

// putBuf hands b back for a later getBuf; the caller no longer uses it.
func putBuf(b []byte) {
	if cap(b) > 0 {
		bufs.Put(&b)
	}
}
