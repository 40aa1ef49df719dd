#!/usr/bin/env bash
# Integration test of the monitoring assets of deploy/ against a real Prometheus.
#
#   bash deploy/test/integration.sh          (from the repository root; exits non-zero on any failure)
#
# Environment: TSLAB (the tslab launcher, default ./tslab: reuses tslab-cli/target/tslab-cli.jar,
# builds it when missing or stale), KEEP_TMP=1 (keep the temporary directory and its logs).
#
# What it does, in order (each step bounded; about a minute in all once the CLI jar exists):
#  1. installs Debian's prometheus (prometheus, promtool), prometheus-node-exporter, python3-yaml and
#     curl when missing (apt-get update only if the install fails without it);
#  2. static checks: promtool check rules (production rules and the test-sized copy), promtool test
#     rules deploy/prometheus/tests/*.yml, promtool check config (the example and the generated
#     config), the dashboard's structure (deploy/test/check-dashboard.py: shape, unique ids, grid,
#     queries, variables, metric names of docs/metrics.md only, every panel expression parsed; every
#     alert's annotations and runbook section), systemd-analyze verify of the units when available;
#  3. starts `tslab demo --serve 0 --epoch-period 2s` (an epoch every 2 s: a scope the demo's background
#     worker leaks stays referenced ~30 s, until the 16-slot ring reuses its slot), `tslab serve <demo
#     pid>`, runs the ExecStart= of deploy/systemd/tslab-textfile.service once (deploy/test/unit-exec.py
#     unescapes it as systemd does; the textfile must appear, atomically renamed) and then every 3 s
#     as the timer would, and a node_exporter reading that textfile directory;
#  4. starts Prometheus on loopback with a config generated from deploy/prometheus/prometheus.yml
#     (scrape and evaluation every 1s; job "tslab" -> tslab serve, job "node" -> node_exporter, plus
#     job "app" -> the demo's own /metrics, standing for an application's collector endpoint), the
#     production rules file, and a test-sized copy of its alerts generated from it: only `for:` (2s)
#     and the age threshold of TemporalSlabEpochRefcountLeak (300 -> 8 s) change, the expressions stay
#     identical otherwise; the copy's alerts carry testsized="true";
#  5. deploy/test/evaluate.py, after a few scrapes: resolves the dashboard's variables with
#     label_values; evaluates every panel query for each of the three jobs ($job, $allocator = demo,
#     $__rate_interval = 1m, $__interval = 15s, $__range = 5m) and every rule's expression as
#     Prometheus loaded it (/api/v1/rules, rule health must be ok); checks the test-sized
#     TemporalSlabEpochRefcountLeak is pending or firing (/api/v1/alerts); prints the counts.
#
# "Returns at least one series": every expression must evaluate without error and give a series.
# Expressions that are conditions (alerts, the "refcount leaks" table, the kernel cooperation ratio of
# a close that released nothing) are false on a healthy demo and give none, by design. For those only,
# evaluate.py evaluates the same expression with every comparison made a `bool` comparison
# (`x > 300` -> `x > bool 300`): the operands' series all come back, which still proves the metric
# names, the matchers and the label matching of every binary operator, without requiring the condition
# to hold. They are listed as "condition false"; anything empty even then fails the run.
#
# Every process started here is stopped (by its process group id) on exit, success or not.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
TSLAB="${TSLAB:-$root/tslab}"
RULES="$root/deploy/prometheus/rules/temporal-slab.rules.yml"
UNIT="$root/deploy/systemd/tslab-textfile.service"
started=$(date +%s)

log() { printf '[%3ds] %s\n' "$(( $(date +%s) - started ))" "$*"; }
die() { log "FAIL: $*"; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tslab-monitoring.XXXXXX")"
groups=()   # process group ids of what we start (each runs under setsid)

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local g
    for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
    for _ in $(seq 50); do
        local alive=0
        for g in "${groups[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
    if [ "$status" != 0 ]; then
        local f
        for f in "$tmp"/*.log; do
            [ -s "$f" ] || continue
            echo "----- last lines of $(basename "$f")"
            tail -n 15 "$f"
        done
    fi
    if [ "${KEEP_TMP:-}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
    log "$( [ "$status" = 0 ] && echo PASSED || echo "FAILED (exit $status)" )"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD...: runs CMD in its own process group, output in $tmp/NAME.log; sets $last_pid
start() {
    local name=$1; shift
    setsid "$@" >"$tmp/$name.log" 2>&1 &
    last_pid=$!
    groups+=("$last_pid")
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s
wait_for() {
    local secs=$1 what=$2; shift 2
    local deadline=$(( $(date +%s) + secs ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${secs}s waiting for $what"
        sleep 0.5
    done
}

# ---------------------------------------------------------------------------------------- 1. tools
need=()
command -v prometheus >/dev/null && command -v promtool >/dev/null || need+=(prometheus)
command -v prometheus-node-exporter >/dev/null || need+=(prometheus-node-exporter)
python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
command -v curl >/dev/null || need+=(curl)
if [ "${#need[@]}" -gt 0 ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -q --no-install-recommends "${need[@]}" >"$tmp/apt.log" 2>&1 \
        || { $sudo apt-get update -q >>"$tmp/apt.log" 2>&1 \
             && $sudo apt-get install -y -q --no-install-recommends "${need[@]}" >>"$tmp/apt.log" 2>&1; } \
        || die "apt-get install ${need[*]} failed (see apt.log)"
fi
log "$(prometheus --version 2>&1 | head -n1); $(prometheus-node-exporter --version 2>&1 | head -n1)"

# ---------------------------------------------------------------------------------------- 2. static
log "promtool check rules"
promtool check rules "$RULES"

log "test-sized copy of the alerts (for: 2s; refcount leak age > 8 s)"
python3 - "$RULES" "$tmp/temporal-slab.testsized.rules.yml" <<'EOF'
import sys, yaml
src = yaml.safe_load(open(sys.argv[1]))
out = {"groups": []}
changed = 0
for g in src["groups"]:
    rules = [r for r in g["rules"] if "alert" in r]
    if not rules:
        continue
    for r in rules:
        if r.get("for") not in (None, "0s", "0m"):
            r["for"] = "2s"
        r.setdefault("labels", {})["testsized"] = "true"
        if r["alert"] == "TemporalSlabEpochRefcountLeak":
            old = "temporal_slab_epoch_age_seconds > 300"
            if r["expr"].count(old) != 1:
                sys.exit(f"test-sized copy: '{old}' not found once in {r['expr']}")
            r["expr"] = r["expr"].replace(old, "temporal_slab_epoch_age_seconds > 8")
            changed += 1
    out["groups"].append({"name": g["name"] + ".testsized", "rules": rules})
if changed != 1:
    sys.exit("test-sized copy: TemporalSlabEpochRefcountLeak not found")
yaml.safe_dump(out, open(sys.argv[2], "w"), sort_keys=False, width=1000)
print(f"  {sum(len(g['rules']) for g in out['groups'])} alerts copied")
EOF
promtool check rules "$tmp/temporal-slab.testsized.rules.yml"

log "promtool test rules deploy/prometheus/tests/*.yml"
promtool test rules deploy/prometheus/tests/*.yml

log "promtool check config deploy/prometheus/prometheus.yml"
promtool check config deploy/prometheus/prometheus.yml

log "dashboard structure, metric names, alert annotations and runbook sections"
python3 deploy/test/check-dashboard.py

if command -v systemd-analyze >/dev/null; then
    log "systemd-analyze verify deploy/systemd/*"
    systemd-analyze verify deploy/systemd/tslab-textfile.service deploy/systemd/tslab-textfile.timer
fi

# ---------------------------------------------------------------------------------------- 3. sources
log "starting tslab demo (epoch every 2s)"
start demo "$TSLAB" demo --serve 0 --duration 10m --epoch-period 2s --threads 1
wait_for 300 "tslab demo to serve /metrics" grep -q 'serving http://' "$tmp/demo.log"
demo_pid="$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$tmp/demo.log" | head -n1)"
demo_port="$(sed -n 's|.*serving http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/demo.log" | head -n1)"
[ -n "$demo_pid" ] && [ -n "$demo_port" ] || die "could not read the demo's pid and port from demo.log"
curl -fsS "http://127.0.0.1:$demo_port/-/healthy" >/dev/null || die "demo /-/healthy"
log "demo pid $demo_pid, /metrics on 127.0.0.1:$demo_port"

log "starting tslab serve $demo_pid"
start serve "$TSLAB" serve --port 0 "$demo_pid"
wait_for 120 "tslab serve to listen" grep -q 'listening on http://' "$tmp/serve.log"
serve_port="$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$tmp/serve.log" | head -n1)"
[ -n "$serve_port" ] || die "could not read tslab serve's port from serve.log"
serve_metrics="$(curl -fsS "http://127.0.0.1:$serve_port/metrics")" || die "tslab serve /metrics"
grep -q '^temporal_slab_info{allocator="demo"' <<<"$serve_metrics" || die "tslab serve /metrics has no temporal_slab_info of the demo"
log "tslab serve on 127.0.0.1:$serve_port"

textfile_dir="$tmp/textfile"
mkdir -p "$textfile_dir"
unit_env=(TSLAB="$TSLAB" TSLAB_ARGS="$demo_pid" TEXTFILE_DIR="$textfile_dir")
log "running the ExecStart= of $(basename "$UNIT") once"
python3 deploy/test/unit-exec.py "$UNIT" "${unit_env[@]}" || die "the unit's command failed"
[ -s "$textfile_dir/temporal_slab.prom" ] || die "no $textfile_dir/temporal_slab.prom"
grep -q '^temporal_slab_info{allocator="demo"' "$textfile_dir/temporal_slab.prom" || die "textfile has no temporal_slab_info"
leftover="$(find "$textfile_dir" -type f ! -name temporal_slab.prom)"
[ -z "$leftover" ] || die "temporary files left in the textfile directory: $leftover"
log "textfile written: $(wc -l <"$textfile_dir/temporal_slab.prom") lines; rewritten every 3s from now on"
start textfile bash -c 'while sleep 3; do python3 "$0" "$@" || echo "textfile export failed: $?"; done' \
    "$root/deploy/test/unit-exec.py" "$UNIT" "${unit_env[@]}"

node_port="$(free_port)"
start node prometheus-node-exporter --web.listen-address="127.0.0.1:$node_port" \
    --collector.disable-defaults --collector.textfile --collector.textfile.directory="$textfile_dir"
wait_for 30 "node_exporter" curl -fsS "http://127.0.0.1:$node_port/metrics"
node_metrics="$(curl -fsS "http://127.0.0.1:$node_port/metrics")"
grep -q '^temporal_slab_info{allocator="demo"' <<<"$node_metrics" || die "node_exporter does not expose the textfile"
grep -q '^node_textfile_scrape_error 0' <<<"$node_metrics" || die "node_exporter reports a textfile error"
log "node_exporter on 127.0.0.1:$node_port reads the textfile"

# ---------------------------------------------------------------------------------------- 4. prometheus
prom_port="$(free_port)"
python3 - deploy/prometheus/prometheus.yml "$tmp/prometheus.yml" "$RULES" "$tmp/temporal-slab.testsized.rules.yml" \
    "127.0.0.1:$serve_port" "127.0.0.1:$node_port" "127.0.0.1:$demo_port" <<'EOF'
import sys, yaml
example, out, rules, testsized, serve, node, app = sys.argv[1:]
cfg = yaml.safe_load(open(example))
cfg["global"]["scrape_interval"] = "1s"
cfg["global"]["evaluation_interval"] = "1s"
if cfg["rule_files"] != ["rules/temporal-slab.rules.yml"]:
    sys.exit(f"the example's rule_files changed: {cfg['rule_files']}")
cfg["rule_files"] = [rules, testsized]
jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
if set(jobs) != {"tslab", "node"}:
    sys.exit(f"the example's jobs changed: {sorted(jobs)}")
jobs["tslab"]["static_configs"] = [{"targets": [serve]}]
jobs["node"]["static_configs"] = [{"targets": [node]}]
cfg["scrape_configs"].append({"job_name": "app", "static_configs": [{"targets": [app]}]})
yaml.safe_dump(cfg, open(out, "w"), sort_keys=False)
EOF
promtool check config "$tmp/prometheus.yml" >/dev/null || { promtool check config "$tmp/prometheus.yml"; die "generated config"; }
log "starting Prometheus on 127.0.0.1:$prom_port (scrape and evaluation every 1s)"
start prometheus prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$prom_port" --log.level=warn
wait_for 60 "Prometheus to be ready" curl -fsS "http://127.0.0.1:$prom_port/-/ready"

# ---------------------------------------------------------------------------------------- 5. evaluate
log "evaluating every dashboard and rule expression"
python3 deploy/test/evaluate.py --prometheus "http://127.0.0.1:$prom_port" --rules-file "$RULES" \
    --jobs app,tslab,node --allocator demo --rate-interval 1m --interval 15s --range 5m \
    --alert TemporalSlabEpochRefcountLeak --alert-label testsized=true --timeout 90

grep -q 'textfile export failed' "$tmp/textfile.log" && die "a periodic textfile export failed (textfile.log)"
kill -0 "$demo_pid" 2>/dev/null || die "the demo exited during the test"
