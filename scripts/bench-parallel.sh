#!/usr/bin/env bash
# bench-parallel.sh compares Overcast's local backend with GNU parallel
# running one worker process per task (scripts/pi-task), as a user without
# Overcast would, on the same pi kernel, in the same run:
#
#   scripts/bench-parallel.sh [TASKS SAMPLES-PER-TASK]... (default: 1000 1e7 10000 1e4)
#
# Each case runs REPEAT times (default 3) alternating the two; the best
# wall time of each counts. Both are timed from outside, process start
# included. Needs GNU parallel (Debian package parallel) and python3.
# With BENCH_JSON_DIR set, each case is also written there as
# parallel-TASKS.json, a result file BENCHMARKS.md is generated from
# (go run ./scripts/benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${REPEAT:-3}
jobs=${JOBS:-$(nproc)}
out=${TMPDIR:-/tmp}/overcast-bench-parallel
mkdir -p "$out"
go build -o "$out/overcast" ./cmd/overcast
go build -o "$out/pi-task" ./scripts/pi-task

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }
best() { printf '%s\n' "$@" | sort -g | head -1; }

if [ $# -eq 0 ]; then set -- 1000 1e7 10000 1e4; fi
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(go env GOVERSION), $(parallel --version | head -1)"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load:    $load0"
while [ $# -ge 2 ]; do
	tasks=$1
	per=$(python3 -c "print(int(float('$2')))")
	total=$((tasks * per))
	shift 2
	par=() oc=()
	for ((r = 1; r <= repeat; r++)); do
		t0=$(now)
		seq 0 $((tasks - 1)) | parallel -j"$jobs" "$out/pi-task" "$per" '{}' >"$out/parallel.txt"
		t1=$(now)
		"$out/overcast" run pi --samples "$total" --tasks "$tasks" --backend local --no-progress --json >"$out/overcast.json"
		t2=$(now)
		par+=("$(elapsed "$t0" "$t1")") oc+=("$(elapsed "$t1" "$t2")")
		# Both must have counted every sample.
		python3 - "$out/parallel.txt" "$out/overcast.json" "$tasks" "$total" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().split()
n = sum(int(x) for x in lines[1::2])
o = json.load(open(sys.argv[2]))
assert len(lines) == 2 * int(sys.argv[3]) and n == int(sys.argv[4]), "parallel counted %d samples" % n
assert o["tasks"] == int(sys.argv[3]) and o.get("failed_tasks", 0) == 0, o
PY
	done
	p=$(best "${par[@]}") o=$(best "${oc[@]}")
	echo "$tasks tasks of $per samples: parallel -j$jobs ${par[*]} s (best $p); overcast ${oc[*]} s (best $o); overcast is $(python3 -c "print(f'{$p / $o:.2f}')")x faster"
	echo "  parallel: seq 0 $((tasks - 1)) | parallel -j$jobs pi-task $per {}"
	echo "  overcast: overcast run pi --samples $total --tasks $tasks --backend local --no-progress --json"
	if [ -n "${BENCH_JSON_DIR:-}" ]; then
		python3 - "$BENCH_JSON_DIR/parallel-$tasks.json" "$tasks" "$per" "$jobs" "$load0" "$(go env GOVERSION)" "${par[*]}" "${oc[*]}" <<'PY'
import json, os, sys, time
path, tasks, per, jobs, load, gover, par, oc = sys.argv[1:]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
json.dump({"kind": "parallel", "command": "scripts/bench-parallel.sh %s %s" % (tasks, per),
           "machine": {"cores": os.cpu_count(), "go_version": gover, "cpu": cpu, "load": load},
           "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "tasks": int(tasks), "samples_per_task": float(per), "jobs": int(jobs),
           "parallel_seconds": [float(x) for x in par.split()], "overcast_seconds": [float(x) for x in oc.split()]},
          open(path, "w"), indent=2)
PY
	fi
done
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg)"
