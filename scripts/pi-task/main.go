// Command pi-task is the plain Go pi program of the GNU parallel baseline
// (scripts/bench-parallel.sh): one process counts the points of one task,
// as a user without Overcast would write it, with the same kernel as
// Overcast's pi workload (splitmix64, two 32-bit coordinates per draw, an
// integer count).
//
//	pi-task SAMPLES TASK-INDEX
//
// prints "INSIDE SAMPLES" on one line.
package main

import (
	"fmt"
	"math/bits"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: pi-task SAMPLES TASK-INDEX")
		os.Exit(2)
	}
	n, err1 := strconv.ParseUint(os.Args[1], 10, 64)
	i, err2 := strconv.ParseUint(os.Args[2], 10, 64)
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "pi-task: SAMPLES and TASK-INDEX must be whole numbers")
		os.Exit(2)
	}
	fmt.Println(count(n, (i+1)*0x9e3779b97f4a7c15), n)
}

// count draws n points from a splitmix64 generator starting at state and
// returns how many fall inside the quarter circle of radius 2³².
func count(n, state uint64) uint64 {
	var inside uint64
	for range n {
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		x, y := z>>32, z&0xffffffff
		_, carry := bits.Add64(x*x, y*y, 0)
		inside += carry ^ 1
	}
	return inside
}
