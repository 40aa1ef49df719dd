#!/usr/bin/env bash
# Runs the tslab benchmark suite and rewrites docs/BENCHMARKS.md, docs/bench/latency.png and
# docs/bench/results/ from that one run.
#
#   tslab-bench/run.sh            reduced suite (under 15 minutes on a 2-core machine)
#   tslab-bench/run.sh --full     every size and thread count, more iterations and forks
#   options: --no-build           use the existing target/tslab-benchmarks.jar as it is
#            --out DIR            write BENCHMARKS.md and bench/ into DIR instead of <repo>/docs
#
# `./tslab bench [--full]` calls this script.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
mode=reduced
build=yes
docs="$root/docs"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --full) mode=full ;;
    --no-build) build=no ;;
    --out) docs="$2"; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (expected --full, --no-build, --out DIR)" >&2; exit 2 ;;
  esac
  shift
done

# ---- a JDK 25 or newer ----------------------------------------------------------------------
java=$("$here/find-java.sh") || exit 1

# ---- the benchmarks jar --------------------------------------------------------------------
jar="$here/target/tslab-benchmarks.jar"
if [[ $build == yes ]]; then
  if [[ ! -f "$jar" ]] || [[ -n "$(find "$here/src/main" "$here/pom.xml" "$root/tslab-core/src/main" \
        "$root/tslab-core/pom.xml" "$root/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]]; then
    echo "== building $jar"
    (cd "$root" && mvn -q -DskipTests package -pl tslab-bench -am)
  fi
fi
[[ -f "$jar" ]] || { echo "run.sh: $jar is missing (run without --no-build)" >&2; exit 1; }

# ---- the suite -------------------------------------------------------------------------------
start=$(date +%s)
results="$here/target/bench-results/$(date -u +%Y%m%d-%H%M%SZ)"
mkdir -p "$results"
echo "== results in $results ($mode suite)"

# The machine may be shared: sample the 1-minute load average during the run, for the report.
( while true; do cut -d' ' -f1 /proc/loadavg; sleep 10; done ) > "$results/load.txt" 2>/dev/null &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT

all_peers=tslab,netty-pooled,netty-adaptive,arena-confined,arena-shared-1000,malloc,malloc-critical,allocate-direct,byte-array
cross_peers=tslab,netty-pooled,netty-adaptive,arena-shared-1000,malloc,malloc-critical,allocate-direct,byte-array
if [[ $mode == full ]]; then
  jmh_time=(-f 2 -wi 3 -w 1s -i 5 -r 1s)
  pair_time=(-f 2 -wi 3 -w 1s -i 5 -r 1s)
  fast_time=(-f 2 -wi 3 -w 1s -i 5 -r 1s)
  pair_t1_sizes=64,128,512,768; pair_t2_sizes=64,128,512,768
  batch_sizes=64,128,512,768; cross_sizes=64,128,512,768; fast_sizes=64,128,512,768
  counters_args=(--sessions 5 --controls 4 --pairs 60 --burst-ms 200); snapshot_slabs=10000,100000
  latency_args=(--sizes 64,128,512,768 --threads 1,2 --ops 10000000 --warmup 2000000)
  memory_args=(--sizes 64,128,768)
else
  jmh_time=(-f 1 -wi 1 -w 1s -i 3 -r 1s)
  pair_time=(-f 1 -wi 1 -w 1s -i 2 -r 1s)   # per pass; two passes
  fast_time=(-f 1 -wi 2 -w 1s -i 5 -r 1s)   # small differences between variants need more samples
  pair_t1_sizes=64,128,512,768; pair_t2_sizes=128
  batch_sizes=128; cross_sizes=128; fast_sizes=128
  counters_args=(--sessions 3 --controls 2 --pairs 40 --burst-ms 200); snapshot_slabs=10000,100000
  latency_args=(--sizes 128 --threads 1 --ops 10000000 --warmup 2000000)
  memory_args=(--sizes 128)
fi

jmh() { # name, then JMH arguments
  local name=$1; shift
  echo "== JMH $name"
  "$java" --sun-misc-unsafe-memory-access=allow -jar "$jar" "$@" -foe true \
      -rf json -rff "$results/jmh-$name.json" > "$results/jmh-$name.log" 2>&1 \
    || { echo "run.sh: JMH $name failed, see $results/jmh-$name.log" >&2; tail -30 "$results/jmh-$name.log" >&2; exit 1; }
  grep -E '^[A-Z][A-Za-z]+Benchmark\.' "$results/jmh-$name.log" | grep -v ':gc\.' || true
}

# The headline benchmark: one JMH run per size, so that the contenders of one size run back to
# back, and two passes (sizes in opposite orders) minutes apart; the report pools their iterations.
sizes_up=${pair_t1_sizes//,/ }
sizes_down=$(echo $sizes_up | tr ' ' '\n' | sort -rn | tr '\n' ' ')
for pass in 1 2; do
  if [[ $pass == 1 ]]; then order=$sizes_up; else order=$sizes_down; fi
  for size in $order; do
    jmh "pair-t1-${size}b-pass$pass" 'PairBenchmark' "${pair_time[@]}" -t 1 -prof gc -p size=$size -p allocator=$all_peers
  done
done
jmh pair-t2 'PairBenchmark' "${jmh_time[@]}" -t 2 -prof gc -p size=$pair_t2_sizes -p allocator=$all_peers
jmh batch-t1 'BatchBenchmark' "${jmh_time[@]}" -t 1 -prof gc -p size=$batch_sizes -p allocator=$all_peers
jmh batch-t2 'BatchBenchmark' "${jmh_time[@]}" -t 2 -prof gc -p size=$batch_sizes -p allocator=$all_peers
jmh cross 'CrossThreadBenchmark' "${jmh_time[@]}" -prof gc -p size=$cross_sizes -p allocator=$cross_peers
echo "== counters on vs off (interleaved bursts in two JVMs)"
"$java" -cp "$jar" io.tslab.bench.harness.CountersHarness "${counters_args[@]}" --out "$results/counters.json"
jmh fastpath 'TslabFastPathBenchmark' "${fast_time[@]}" -t 1 -p size=$fast_sizes
jmh snapshot 'SnapshotBenchmark' "${jmh_time[@]}" -t 1 -prof gc -p slabs=$snapshot_slabs

echo "== latency harness"
"$java" -cp "$jar" io.tslab.bench.harness.LatencyHarness "${latency_args[@]}" \
    --out "$results/latency.json" > "$results/latency.md"
cat "$results/latency.md"

echo "== memory harness"
"$java" -cp "$jar" io.tslab.bench.harness.MemoryHarness --phases churn,epoch "${memory_args[@]}" \
    --out "$results/memory.json"

# ---- the report ------------------------------------------------------------------------------
elapsed=$(( $(date +%s) - start ))
kill "$sampler" 2>/dev/null || true
lscpu > "$results/lscpu.txt" 2>/dev/null || true
{
  echo "mode=$mode"
  if [[ $mode == full ]]; then echo "command=tslab-bench/run.sh --full"; else echo "command=tslab-bench/run.sh"; fi
  echo "started=$(date -u -d "@$start" +%Y-%m-%dT%H:%M:%SZ)"
  echo "elapsed=$((elapsed / 60)) min $((elapsed % 60)) s"
  echo "os=$(uname -sr)"
  echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "java=$("$java" -version 2>&1 | head -1)"
} > "$results/run.properties"

mkdir -p "$docs/bench"
rm -rf "$docs/bench/results"
mkdir -p "$docs/bench/results"
cp "$results"/*.json "$results"/lscpu.txt "$results"/run.properties "$results"/load.txt "$docs/bench/results/"
"$java" -Djava.awt.headless=true -cp "$jar" io.tslab.bench.report.ReportWriter \
    --results "$results" --out "$docs/BENCHMARKS.md" --charts "$docs/bench"
echo "== done in $((elapsed / 60)) min $((elapsed % 60)) s: $docs/BENCHMARKS.md, $docs/bench/latency.png"
