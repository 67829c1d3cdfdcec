// Package transfer is a workload that moves bytes: each task gets an input
// of random bytes and answers with its SHA-256 and as many bytes as asked,
// derived from that hash. The driver checks both directions of every task,
// so the check cannot pass by accident. It exercises payload limits and
// the storage that carries payloads over them (see package storage), and
// measures how fast a backend moves data.
package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/overcast-sc/overcast"
)

// TaskName is the registered name of the task.
const TaskName = "overcast/transfer"

func init() { overcast.Register(TaskName, Move) }

// Input is one task's data and the size of the answer it asks for.
type Input struct {
	Data []byte `json:"data"`
	Out  int    `json:"out"`
}

// Output is the SHA-256 of the input's data and Input.Out bytes derived
// from it (Fill).
type Output struct {
	InputSHA256 [32]byte `json:"input_sha256"`
	Data        []byte   `json:"data"`
}

// Move is the task: it hashes its input and answers with bytes from the hash.
func Move(ctx context.Context, in Input) (Output, error) {
	if in.Out < 0 {
		return Output{}, fmt.Errorf("output size %d is negative", in.Out)
	}
	sum := sha256.Sum256(in.Data)
	return Output{InputSHA256: sum, Data: Fill(sum, in.Out)}, nil
}

// Fill returns n pseudo-random bytes seeded by seed.
func Fill(seed [32]byte, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8(seed).Read(b)
	return b
}

// maxTaskBytes bounds one task's input or output: the driver holds every
// input in memory.
const maxTaskBytes = 256 << 20

// Plan returns the inputs of a job of tasks tasks, each with in bytes of
// input asking for out bytes of output, from a seed.
func Plan(in, out, tasks int, seed uint64) ([]Input, error) {
	switch {
	case tasks < 1:
		return nil, fmt.Errorf("tasks must be at least 1, got %d", tasks)
	case in < 0 || in > maxTaskBytes:
		return nil, fmt.Errorf("input bytes must be between 0 and %d, got %d", maxTaskBytes, in)
	case out < 0 || out > maxTaskBytes:
		return nil, fmt.Errorf("output bytes must be between 0 and %d, got %d", maxTaskBytes, out)
	case int64(in)*int64(tasks) > 4<<30:
		return nil, fmt.Errorf("%d tasks of %d input bytes are over 4 GiB in the driver's memory", tasks, in)
	}
	ins := make([]Input, tasks)
	for i := range ins {
		ins[i] = Input{Data: Fill(taskSeed(seed, i), in), Out: out}
	}
	return ins, nil
}

func taskSeed(seed uint64, i int) [32]byte {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	binary.LittleEndian.PutUint64(s[8:], uint64(i))
	return s
}

// Result is what a transfer job moved and whether every byte arrived.
type Result struct {
	Tasks int `json:"tasks"`
	// BytesIn and BytesOut count the bytes of the tasks that came back right.
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
	// Bad counts tasks whose hash or output differs from the expected.
	Bad int `json:"bad"`
}

// Check compares each task's output with what its input must give; tasks
// without an output (failed) count as bad.
func Check(ins []Input, outs []Output) *Result {
	r := &Result{Tasks: len(ins)}
	for i, in := range ins {
		want, _ := Move(context.Background(), in)
		if i >= len(outs) || outs[i].InputSHA256 != want.InputSHA256 || string(outs[i].Data) != string(want.Data) {
			r.Bad++
			continue
		}
		r.BytesIn += int64(len(in.Data))
		r.BytesOut += int64(len(outs[i].Data))
	}
	return r
}

// Run runs a transfer job and checks it.
func Run(ctx context.Context, ex *overcast.Executor, in, out, tasks int, seed uint64) (*Result, *overcast.Report, error) {
	ins, err := Plan(in, out, tasks, seed)
	if err != nil {
		return nil, nil, err
	}
	f := overcast.Map[Input, Output](ctx, ex, TaskName, ins)
	outs, err := f.Wait(context.WithoutCancel(ctx))
	return Check(ins, outs), f.Report(), err
}
