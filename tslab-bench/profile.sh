#!/usr/bin/env bash
# Profiles a JMH benchmark at the instruction level: JMH's perfasm profiler on Linux perf, with
# the JIT's code disassembled by a small HotSpot disassembler plugin built here on capstone.
#
#   tslab-bench/profile.sh 'TslabFastPathBenchmark.pairNoAccess' [more JMH options]
#
# Needs perf, gcc and libcapstone-dev (Debian: apt-get install linux-perf gcc libcapstone-dev).
# Uses the cpu-clock event, so it also works in VMs without hardware counters (expect some skid:
# the cost of an instruction often shows on the one after it).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ $# -ge 1 ]] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
for tool in perf gcc; do
  command -v "$tool" > /dev/null || { echo "profile.sh: '$tool' is missing" >&2; exit 1; }
done
[[ -f /usr/include/capstone/capstone.h ]] || { echo "profile.sh: capstone headers missing (libcapstone-dev)" >&2; exit 1; }
jar="$here/target/tslab-benchmarks.jar"
[[ -f "$jar" ]] || { echo "profile.sh: $jar is missing (run tslab-bench/run.sh once, or mvn -pl tslab-bench -am package)" >&2; exit 1; }
lib="$here/target/hsdis"
if [[ ! -f "$lib/hsdis-amd64.so" || "$here/tools/hsdis.c" -nt "$lib/hsdis-amd64.so" ]]; then
  mkdir -p "$lib"
  gcc -O2 -shared -fPIC -o "$lib/hsdis-amd64.so" "$here/tools/hsdis.c" -lcapstone
fi
java=$("$here/find-java.sh")
bench=$1; shift
LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$java" --sun-misc-unsafe-memory-access=allow -jar "$jar" \
  "$bench" -f 1 -wi 2 -w 1s -i 3 -r 2s -bm avgt -tu ns -prof 'perfasm:events=cpu-clock;top=10' "$@"
