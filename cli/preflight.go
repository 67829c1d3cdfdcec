package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/overcast-sc/overcast"
)

// What a task costs, as the 10,000,000-task benchmark measured it (see
// BENCHMARKS.md, BenchmarkTenMillionTasks) with some margin: the driver's
// memory and the journal's bytes per task, and what a driver takes
// whatever the job's size.
const (
	driverBytesPerTask  = 250
	journalBytesPerTask = 150
	driverBaseBytes     = 64 << 20
)

// resources are what the machine has for a job.
type resources struct {
	// memory is the memory available to the driver, and memoryFrom says
	// where that number comes from; zero when unknown.
	memory     uint64
	memoryFrom string
	// disk is the free space under the journal's directory; zero when
	// unknown or unjournaled.
	disk    uint64
	diskDir string
}

// checkFits refuses a job of tasks tasks that will not fit: its driver's
// memory or its journal (under journalDir, holding used bytes already when
// the job is resumed; empty when unjournaled) would exceed what the
// machine has. It errs on the side of running: what it cannot measure it
// does not check.
func checkFits(tasks int, journalDir string, used uint64) error {
	return fits(tasks, used, measureResources(journalDir))
}

func fits(tasks int, used uint64, r resources) error {
	mem := driverBaseBytes + uint64(tasks)*driverBytesPerTask
	if r.memory > 0 && mem > r.memory {
		return fmt.Errorf("%d tasks need about %s of driver memory (%d B a task) but %s is available (%s): use fewer tasks or a bigger machine",
			tasks, bytesText(mem), driverBytesPerTask, bytesText(r.memory), r.memoryFrom)
	}
	disk := uint64(tasks) * journalBytesPerTask
	if r.disk > 0 && disk > used && disk-used > r.disk {
		return fmt.Errorf("%d tasks need about %s for their journal (%d B a task) but %s holds %s free: free some space, set OVERCAST_HOME elsewhere or OVERCAST_JOURNAL=off",
			tasks, bytesText(disk-used), journalBytesPerTask, r.diskDir, bytesText(r.disk))
	}
	return nil
}

// measureResources reads the memory available (MemAvailable, and the
// cgroup's limit less its use when lower) and the free space of dir.
func measureResources(dir string) resources {
	var r resources
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kb, ok := meminfoField(b, "MemAvailable"); ok {
			r.memory, r.memoryFrom = kb*1024, "MemAvailable in /proc/meminfo"
		}
	}
	if left, ok := cgroupLeft(); ok && (r.memory == 0 || left < r.memory) {
		r.memory, r.memoryFrom = left, "the cgroup's memory limit less its use"
	}
	if dir != "" {
		d := existingParent(dir)
		if free, ok := freeSpace(d); ok {
			r.disk, r.diskDir = free, d
		}
	}
	return r
}

// meminfoField returns a /proc/meminfo field in kB.
func meminfoField(b []byte, name string) (uint64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != name {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			return 0, false
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		return n, err == nil
	}
	return 0, false
}

// cgroupLeft returns the memory this process's cgroup may still use:
// cgroup v2's memory.max less memory.current, or v1's limit less usage.
func cgroupLeft() (uint64, bool) {
	for _, p := range [][2]string{
		{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
		{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"},
	} {
		limit, ok := readUint(p[0])
		if !ok || limit >= 1<<60 {
			continue // "max", or v1's "no limit"
		}
		cur, _ := readUint(p[1])
		if cur >= limit {
			return 1, true
		}
		return limit - cur, true
	}
	return 0, false
}

func readUint(path string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil
}

// existingParent returns dir, or its nearest ancestor that exists.
func existingParent(dir string) string {
	for {
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return dir
		}
		dir = up
	}
}

// bytesText prints a size in GB, MB or bytes.
func bytesText(n uint64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%d B", n)
}

// preflight checks that a run of tasks tasks on ex fits this machine,
// counting the journal when the run is journaled (see openJournal).
func (a *app) preflight(ex *overcast.Executor, tasks int) error {
	dir, used := "", uint64(0)
	if root, err := a.jobsRoot(""); err == nil && os.Getenv("OVERCAST_JOURNAL") != "off" {
		dir = root
		if fi, err := os.Stat(filepath.Join(root, ex.JobID(), "journal.db")); err == nil {
			used = uint64(fi.Size())
		}
	}
	return checkFits(tasks, dir, used)
}
