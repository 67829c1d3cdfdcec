package shuffle

import (
	"bufio"
	"io"
	"runtime"
)

// freeList keeps values between the tasks of one process, up to one per
// CPU, as many as the local backend runs at once. Unlike a sync.Pool,
// which every garbage collection empties (and a shuffle makes garbage),
// it keeps them for the life of the process: a grown buffer costs more
// to grow again, task after task, than to keep.
type freeList[T any] chan T

func newFreeList[T any]() freeList[T] { return make(freeList[T], runtime.GOMAXPROCS(0)) }

// get returns a kept value, or false when there is none.
func (l freeList[T]) get() (T, bool) {
	select {
	case v := <-l:
		return v, true
	default:
		var zero T
		return zero, false
	}
}

// put keeps v unless the list is full.
func (l freeList[T]) put(v T) {
	select {
	case l <- v:
	default:
	}
}

// writers keeps the buffered writers of intermediate objects.
var writers = newFreeList[*bufio.Writer]()

// getWriter returns a writer of 1 MiB buffer onto w.
func getWriter(w io.Writer) *bufio.Writer {
	if bw, ok := writers.get(); ok {
		bw.Reset(w)
		return bw
	}
	return bufio.NewWriterSize(w, 1<<20)
}

// putWriter keeps bw, which no longer writes to its writer.
func putWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	writers.put(bw)
}
