package bench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where a benchmark ran.
type Machine struct {
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPU        string `json:"cpu,omitempty"`
	// Load is the 1, 5 and 15 minute load averages when the run began.
	Load string `json:"load,omitempty"`
}

// ThisMachine describes the running machine.
func ThisMachine() Machine {
	return Machine{
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		CPU:        cpuModel("/proc/cpuinfo"),
		Load:       loadAverage("/proc/loadavg"),
	}
}

// String is the machine on one line.
func (m Machine) String() string {
	s := m.CPU
	if s == "" {
		s = "unknown CPU"
	}
	s += ", " + strconv.Itoa(m.Cores) + " cores, GOMAXPROCS " + strconv.Itoa(m.GOMAXPROCS) + ", " + m.GoVersion + " " + m.OS + "/" + m.Arch
	if m.Load != "" {
		s += ", load " + m.Load
	}
	return s
}

// cpuModel reads the first "model name" of a cpuinfo file.
func cpuModel(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAverage reads the three load averages of a loadavg file.
func loadAverage(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
