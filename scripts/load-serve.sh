#!/usr/bin/env bash
# Load test of `tslab serve`, on loopback only, bounded in time, cleaning up after itself:
#   1. a churning target: `tslab demo` (request workers allocating and freeing, epochs advancing and
#      closing), publishing its stats file;
#   2. `tslab serve <demo pid> --port 0`, reading that stats file at every scrape;
#   3. wrk against /metrics for --seconds (default 20) with --connections (default 4) connections:
#      requests, throughput, latency percentiles, non-2xx responses and socket errors (must be 0);
#   4. slow clients: 1, then --slow-clients (default 8) connections that send half a request and
#      stall, or send a whole request and never read the answer, held open while a curl scrapes
#      /metrics ten times: every scrape must answer 200 within 5 s.
# Exit code 0 when every check passed, 1 when one failed (the summary says which), 2 on a setup
# problem (no wrk, no JDK, the build failed).
#
#   scripts/load-serve.sh                          # about 90 s
#   scripts/load-serve.sh --seconds 60 --connections 16 --slow-clients 32
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=20
connections=4
threads=2
slow_clients=8
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --slow-clients) slow_clients="$2"; shift 2 ;;
        *) echo "load: unknown option $1 (expected: --seconds N, --connections C, --threads T, --slow-clients K)" >&2; exit 2 ;;
    esac
done
for tool in wrk curl; do
    command -v "$tool" >/dev/null || { echo "load: $tool is needed (apt-get install -y $tool)" >&2; exit 2; }
done
[ "$connections" -ge "$threads" ] || threads="$connections"

work="$(mktemp -d)"
started=()
slow_fds=()
close_slow_clients() {
    local fd
    for fd in "${slow_fds[@]}"; do exec {fd}>&- || true; done
    slow_fds=()
}
cleanup() {
    close_slow_clients
    local pid
    for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${started[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

tslab="$root/tslab"
"$tslab" --version >/dev/null || { echo "load: ./tslab does not run (see above)" >&2; exit 2; }

# Waits (at most $2 s) for the regex $3 in file $1; prints the first match.
await_line() {
    local i
    for i in $(seq 1 $(( $2 * 10 ))); do
        if grep -Eo "$3" "$1" 2>/dev/null | head -n1 | grep .; then return 0; fi
        sleep 0.1
    done
    echo "load: timed out waiting for '$3' in $1:" >&2
    cat "$1" >&2
    return 1
}

echo "== machine: $(nproc) cpus, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg); $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2)"

demo_seconds=$(( seconds + 120 ))
"$tslab" demo --duration "${demo_seconds}s" --interval 5s --threads 2 >"$work/demo.log" 2>&1 &
demo_pid=$!
started+=("$demo_pid")
await_line "$work/demo.log" 60 'tslab demo \(pid [0-9]+\)' >/dev/null || exit 2

"$tslab" serve "$demo_pid" --port 0 >"$work/serve.log" 2>&1 &
serve_pid=$!
started+=("$serve_pid")
base="$(await_line "$work/serve.log" 60 'http://127\.0\.0\.1:[0-9]+')" || exit 2
url="$base/metrics"
for i in $(seq 1 300); do
    code="$(curl -s -o "$work/first.prom" -w '%{http_code}' --max-time 5 "$url" || true)"
    [ "$code" = 200 ] && break
    sleep 0.2
done
[ "$code" = 200 ] || { echo "load: $url never answered 200 (last: $code)" >&2; cat "$work/serve.log" >&2; exit 2; }
series=$(grep -vc '^#' "$work/first.prom" || true)
echo "== target: tslab demo, pid $demo_pid (2 request workers, a leaky worker, epochs advanced every 200 ms)"
echo "== server: tslab serve $demo_pid at $url ($(wc -c <"$work/first.prom") bytes, $series series per scrape)"

failures=()

echo "== wrk: $threads threads, $connections connections, ${seconds}s, GET /metrics"
wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 5s --latency "$url" | tee "$work/wrk.txt"
# (each grep may find nothing: wrk prints the error lines only when there are errors)
requests=$( (grep -Eo '^ *[0-9]+ requests in' "$work/wrk.txt" || true) | grep -Eo '[0-9]+' || echo 0)
rate=$( (grep -Eo 'Requests/sec: *[0-9.]+' "$work/wrk.txt" || true) | grep -Eo '[0-9.]+$' || echo 0)
non2xx=$( (grep -Eo 'Non-2xx or 3xx responses: *[0-9]+' "$work/wrk.txt" || true) | awk '{s += $NF} END {print s + 0}')
socket_errors=$( (grep -Eo 'Socket errors: .*' "$work/wrk.txt" || true) | (grep -Eo '[0-9]+' || true) | awk '{s += $1} END {print s + 0}')
p50=$(awk '/Latency Distribution/{f=1} f&&$1=="50%"{print $2}' "$work/wrk.txt")
p75=$(awk '/Latency Distribution/{f=1} f&&$1=="75%"{print $2}' "$work/wrk.txt")
p90=$(awk '/Latency Distribution/{f=1} f&&$1=="90%"{print $2}' "$work/wrk.txt")
p99=$(awk '/Latency Distribution/{f=1} f&&$1=="99%"{print $2}' "$work/wrk.txt")
max=$(awk '$1=="Latency"{print $4; exit}' "$work/wrk.txt")
[ "${non2xx:-0}" = 0 ] || failures+=("wrk: $non2xx non-2xx responses")
[ "${socket_errors:-0}" = 0 ] || failures+=("wrk: $socket_errors socket errors")
[ "${requests:-0}" -gt 0 ] || failures+=("wrk: no request completed")

# Opens $1 slow connections: even ones send half a request and stall, odd ones send a whole
# request and never read the answer.
open_slow_clients() {
    local i fd
    for i in $(seq 1 "$1"); do
        exec {fd}<>"/dev/tcp/127.0.0.1/${base##*:}"
        if [ $(( i % 2 )) = 0 ]; then
            printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n' >&"$fd"
        else
            printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&"$fd"
        fi
        slow_fds+=("$fd")
    done
    sleep 1
}

slow_report=()
for k in 1 "$slow_clients"; do
    open_slow_clients "$k"
    ok=0; worst=0; times=()
    for i in $(seq 1 10); do
        r="$(curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}' "$url" || true)"
        code="${r%% *}"; t="${r##* }"
        times+=("$t")
        [ "$code" = 200 ] && ok=$(( ok + 1 ))
        worst="$(echo "$t $worst" | awk '{print ($1 > $2) ? $1 : $2}')"
    done
    close_slow_clients
    median="$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')"
    line="$k slow client(s) connected: $ok/10 scrapes answered 200, median $(awk -v t="$median" 'BEGIN{printf "%.1f", t*1000}') ms, worst $(awk -v t="$worst" 'BEGIN{printf "%.1f", t*1000}') ms"
    echo "== $line"
    slow_report+=("$line")
    [ "$ok" = 10 ] || failures+=("$k slow client(s) held up other scrapes: only $ok/10 answered within 5 s")
done

churn="$( (grep -E '^ +[0-9.]+s ' "$work/demo.log" || true) | tail -n1 | awk '{print $3 " allocs/s, " $4 " frees/s, " $5 " live"}')"
kill -0 "$demo_pid" 2>/dev/null || failures+=("the target exited during the test")
kill -0 "$serve_pid" 2>/dev/null || failures+=("tslab serve exited during the test")

echo
echo "== summary ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "requests            ${requests:-0} in ${seconds}s over $connections connections (${rate:-0}/s)"
echo "latency             p50 $p50, p75 $p75, p90 $p90, p99 $p99, max $max"
echo "errors              non-2xx ${non2xx:-0}, socket errors ${socket_errors:-0}"
for line in "${slow_report[@]}"; do echo "slow clients        $line"; done
echo "target while loaded ${churn:-?} (last line of the demo)"
if [ ${#failures[@]} -eq 0 ]; then
    echo "result              PASS"
    exit 0
fi
for f in "${failures[@]}"; do echo "FAIL                $f"; done
exit 1
