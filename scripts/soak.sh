#!/usr/bin/env bash
# The long soak of the allocator (io.tslab.Soak, in tslab-core's test sources): worker threads
# allocating by every route, freeing their own and each other's objects, replaying stale handles,
# while one thread advances and closes epochs, one checks snapshots, one reads the stats file, and
# madvise failures are injected; every object is claimed and stamped, and every checkpoint walks
# every slab. Ends with "errors: 0" and exit code 0 when nothing was found.
#
#   scripts/soak.sh                         # 5 minutes, 4 workers
#   scripts/soak.sh --minutes 60 --threads 8
#   scripts/soak.sh --seconds 30 --epochs 2 --seed 42
# Other options go to io.tslab.Soak: --epochs E, --reserve-mib M, --seed S, --checkpoint-seconds C,
# --max-owned K, --quiet. Environment: JAVA_HOME (a JDK 25+), SOAK_JAVA_OPTS (extra JVM options).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

args=("$@")
if [ "${#args[@]}" -eq 0 ]; then
    args=(--minutes 5 --threads 4)
fi

find_java() {
    local candidate
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*25* /usr/lib/jvm/*; do
        [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
        if "$candidate/bin/java" -XshowSettings:properties -version 2>&1 \
                | grep -Eq '^ *java\.specification\.version = (2[5-9]|[3-9][0-9])$'; then
            echo "$candidate/bin/java"
            return 0
        fi
    done
    return 1
}
java_bin="$(find_java)" || { echo "soak: no JDK 25 or newer found (set JAVA_HOME)" >&2; exit 2; }

echo "soak: building tslab-core and its tests..." >&2
mvn -q -B -ntp -Dstyle.color=never -pl tslab-core -am test-compile
classpath_file="$(mktemp)"
trap 'rm -f "$classpath_file"' EXIT
mvn -q -B -ntp -Dstyle.color=never -pl tslab-core dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$classpath_file" >/dev/null
classpath="tslab-core/target/test-classes:tslab-core/target/classes:$(cat "$classpath_file")"

# shellcheck disable=SC2086
exec "$java_bin" --enable-native-access=ALL-UNNAMED -Xshare:auto -XX:+UseParallelGC -Xmx2g \
    -Dtslab.statsFile.intervalMs=100 ${SOAK_JAVA_OPTS:-} -cp "$classpath" io.tslab.Soak "${args[@]}"
