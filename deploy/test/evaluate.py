#!/usr/bin/env python3
"""Evaluates every dashboard and rule expression against a running Prometheus (HTTP API).

    python3 deploy/test/evaluate.py --prometheus http://127.0.0.1:PORT --jobs app,tslab-serve,node \
        --allocator demo --rules-file /abs/path/temporal-slab.rules.yml --alert TemporalSlabEpochRefcountLeak

Steps (each fails the run with a list of what went wrong):
  1. wait until every job's targets are up and have --min-samples scrapes, and every rule was
     evaluated at least once;
  2. resolve the dashboard's query variables through /api/v1/label/<name>/values (label_values):
     `job` must offer every job of --jobs, `allocator` the --allocator;
  3. for every job, evaluate every panel query of the dashboard with the variables substituted
     ($job = that job, $allocator = --allocator, $__rate_interval, $__interval, $__range given below);
  4. evaluate the expression of every rule Prometheus loaded (from /api/v1/rules: what Prometheus
     itself parsed, production file and test-sized copy), and check each rule's health is "ok";
  5. wait until --alert is pending or firing (/api/v1/alerts).

"Returns data": an expression must evaluate without error and give at least one series. A condition
that is false on a healthy workload (an alert, a "leaks only" table) gives none, by design; for those
the same expression is evaluated once more with every comparison made a `bool` comparison
(`a > 300` becomes `a > bool 300`): this keeps every series of the operands, so it still proves the
metric names exist, the label matchers select the target and the binary operators' label matching
joins, while the condition itself is not required to hold. Such expressions are reported as
"condition false"; an expression that gives nothing even then fails.
"""
import argparse
import importlib.util
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("check_dashboard", os.path.join(HERE, "check-dashboard.py"))
cd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cd)


class Prom:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def get(self, path, **params):
        url = self.base + path
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        try:
            with urllib.request.urlopen(url, timeout=20) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            try:
                return json.load(e)
            except ValueError:
                return {"status": "error", "error": f"HTTP {e.code}"}

    def query(self, expr):
        return self.get("/api/v1/query", query=expr)


COMPARISON = re.compile(r"==|!=|>=|<=|>|<")


def relax(expr):
    """Makes every comparison outside label matchers, ranges and strings a `bool` comparison."""
    out, i, braces, brackets, quote = [], 0, 0, 0, None
    while i < len(expr):
        c = expr[i]
        if quote:
            out.append(c)
            if c == "\\" and i + 1 < len(expr):
                out.append(expr[i + 1]); i += 2; continue
            if c == quote:
                quote = None
            i += 1
            continue
        if c in "\"'`":
            quote = c
        elif c == "{":
            braces += 1
        elif c == "}":
            braces -= 1
        elif c == "[":
            brackets += 1
        elif c == "]":
            brackets -= 1
        elif braces == 0 and brackets == 0:
            m = COMPARISON.match(expr, i)
            if m:
                op = m.group(0)
                out.append(op)
                i += len(op)
                if not re.match(r"\s*bool\b", expr[i:]):
                    out.append(" bool")
                continue
        out.append(c)
        i += 1
    return "".join(out)


class Run:
    def __init__(self, prom):
        self.prom = prom
        self.failures = []
        self.count = 0
        self.condition_false = []

    def evaluate(self, where, expr):
        """Evaluates one expression; returns a short status. Records failures."""
        self.count += 1
        r = self.prom.query(expr)
        if r.get("status") != "success":
            self.failures.append(f"{where}: {r.get('errorType', 'error')}: {r.get('error')}\n      {expr}")
            return "ERROR"
        n = len(r["data"]["result"]) if r["data"]["resultType"] in ("vector", "matrix") else 1
        if n > 0:
            return f"{n} series"
        relaxed = relax(expr)
        if relaxed != expr:
            r2 = self.prom.query(relaxed)
            if r2.get("status") == "success" and len(r2["data"]["result"]) > 0:
                self.condition_false.append(where)
                return f"condition false: 0 series, {len(r2['data']['result'])} relaxed"
            err = r2.get("error") if r2.get("status") != "success" else "no series either"
            self.failures.append(f"{where}: no series; relaxed ({relaxed}): {err}\n      {expr}")
            return "NO DATA"
        self.failures.append(f"{where}: no series\n      {expr}")
        return "NO DATA"


def wait(what, timeout, check, interval=1.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        ok, last = check()
        if ok:
            return True, last
        time.sleep(interval)
    return False, last


def main():
    ap = argparse.ArgumentParser(description="Evaluates every dashboard and rule expression.")
    ap.add_argument("--prometheus", required=True)
    ap.add_argument("--dashboard", default=os.path.join(cd.ROOT, "deploy/grafana/temporal-slab.json"))
    ap.add_argument("--rules-file", required=True, help="the production rules file as Prometheus loaded it")
    ap.add_argument("--jobs", required=True, help="comma-separated jobs to evaluate the dashboard for")
    ap.add_argument("--allocator", required=True)
    ap.add_argument("--rate-interval", default="1m")
    ap.add_argument("--interval", default="15s")
    ap.add_argument("--range", default="5m")
    ap.add_argument("--min-samples", type=int, default=5)
    ap.add_argument("--alert", default="TemporalSlabEpochRefcountLeak")
    ap.add_argument("--alert-label", default="testsized=true", help="NAME=VALUE the awaited alert carries")
    ap.add_argument("--timeout", type=float, default=90)
    ap.add_argument("--verbose", action="store_true", help="print every expression")
    args = ap.parse_args()

    prom = Prom(args.prometheus)
    run = Run(prom)
    jobs = args.jobs.split(",")
    dash = json.load(open(args.dashboard, encoding="utf-8"))

    # 1. targets up with enough samples, rules evaluated
    def targets_ready():
        states = {}
        for job in jobs:
            r = prom.query(f'count_over_time(up{{job="{job}"}}[5m]) and on (job, instance) (up{{job="{job}"}} == 1)')
            res = r.get("data", {}).get("result", []) if r.get("status") == "success" else []
            states[job] = int(float(res[0]["value"][1])) if res else 0
        return all(v >= args.min_samples for v in states.values()), states
    ok, states = wait("targets", args.timeout, targets_ready)
    print(f"targets: scrapes so far per job: {states}")
    if not ok:
        print(f"FAIL targets not up with {args.min_samples} scrapes within {args.timeout:.0f}s: {states}")
        print(json.dumps(prom.get("/api/v1/targets").get("data", {}).get("activeTargets", []), indent=1)[:4000])
        return 1

    def rules_evaluated():
        groups = prom.get("/api/v1/rules").get("data", {}).get("groups", [])
        pending = [r["name"] for g in groups for r in g["rules"] if r.get("lastEvaluation", "").startswith("0001")]
        return bool(groups) and not pending, groups
    ok, groups = wait("rules", args.timeout, rules_evaluated)
    if not ok:
        print("FAIL rules not all evaluated yet")
        return 1
    files = sorted({g["file"] for g in groups})
    if os.path.abspath(args.rules_file) not in files:
        print(f"FAIL Prometheus did not load {args.rules_file} (loaded: {files})")
        return 1

    # 2. variables
    values = {"__rate_interval": args.rate_interval, "__interval": args.interval, "__range": args.range,
              "__range_s": str(_seconds(args.range)), "__range_ms": str(_seconds(args.range) * 1000),
              "__interval_ms": str(_seconds(args.interval) * 1000)}
    want = {"job": set(jobs), "allocator": {args.allocator}}
    resolve_values = {"job": "|".join(re.escape(j) for j in jobs), "allocator": re.escape(args.allocator)}
    n_vars = 0
    for v in cd.variables(dash):
        if v.get("type") != "query":
            continue
        n_vars += 1
        q = cd.substitute(cd.variable_query(v), {**values, **resolve_values})
        m = cd.LABEL_VALUES.match(q)
        params = {"match[]": m.group(1)} if m.group(1) else {}
        r = prom.get(f"/api/v1/label/{m.group(2)}/values", **params)
        run.count += 1
        got = set(r.get("data") or [])
        missing = want.get(v["name"], set()) - got
        status = "ok" if r.get("status") == "success" and got and not missing else "FAIL"
        print(f"variable {v['name']}: {q} -> {sorted(got)} {status}")
        if status != "ok":
            run.failures.append(f"variable {v['name']}: {q} gave {sorted(got)}, missing {sorted(missing)}")

    # 3. panels, for every job
    targets = cd.panel_targets(dash)
    panels = {p["id"] for p, _ in targets}
    for job in jobs:
        subst = dict(values, job=re.escape(job), allocator=re.escape(args.allocator))
        print(f"\n--- dashboard, job={job}: {len(panels)} panels, {len(targets)} queries")
        for p, t in targets:
            expr = cd.substitute(t["expr"], subst)
            where = f"[{job}] panel {p['id']} {p['title']!r} {t['refId']}"
            status = run.evaluate(where, expr)
            if args.verbose or not status.endswith("series"):
                print(f"  {status:>36}  panel {p['id']:>2} {t['refId']} {p['title']}")
        print(f"  all {len(targets)} queries evaluated")

    # 4. rules, as Prometheus loaded them
    n_rules = 0
    n_prod = 0
    n_prod_alerts = 0
    print(f"\n--- rules: {', '.join(files)}")
    for g in groups:
        for r in g["rules"]:
            n_rules += 1
            prod = g["file"] == os.path.abspath(args.rules_file)
            n_prod += prod
            n_prod_alerts += prod and r.get("type") == "alerting"
            where = f"rule {g['name']}/{r['name']}"
            if r.get("health") != "ok":
                run.failures.append(f"{where}: health {r.get('health')}: {r.get('lastError')}")
            status = run.evaluate(where, r["query"])
            state = f" [{r.get('state')}]" if r.get("type") == "alerting" else ""
            print(f"  {status:>36}  {g['name']}: {r['name']}{state}")

    # 5. the alert the demo's leaking worker must raise
    name, _, value = args.alert_label.partition("=")
    def alert_active():
        alerts = prom.get("/api/v1/alerts").get("data", {}).get("alerts", [])
        mine = [a for a in alerts if a["labels"].get("alertname") == args.alert
                and (not name or a["labels"].get(name) == value) and a["state"] in ("pending", "firing")]
        return bool(mine), (mine, alerts)
    ok, (mine, alerts) = wait("alert", args.timeout, alert_active)
    print(f"\n--- alerts now: " + (", ".join(sorted({f"{a['labels']['alertname']}"
          f"{'(test-sized)' if a['labels'].get('testsized') else ''}={a['state']}" for a in alerts})) or "none"))
    if ok:
        for a in mine:
            l = a["labels"]
            print(f"{args.alert} {a['state']}: job={l.get('job')} allocator={l.get('allocator')} epoch={l.get('epoch')} "
                  f"label={l.get('label')!r} age={float(a['value']):.1f}s; summary: {a['annotations'].get('summary')}")
    else:
        run.failures.append(f"alert {args.alert} ({args.alert_label}) never went pending or firing")

    n_panel_queries = len(targets) * len(jobs)
    print(f"\ncounts: {len(panels)} panels, {len(targets)} panel queries x {len(jobs)} jobs = {n_panel_queries}; "
          f"{n_vars} query variables; {n_rules} rules ({n_prod} production: {n_prod_alerts} alerts, "
          f"{n_prod - n_prod_alerts} recording; {n_rules - n_prod} test-sized alerts); "
          f"{run.count} expressions evaluated, {len(run.condition_false)} of them conditions false on the demo "
          f"(checked with comparisons relaxed to bool)")
    if run.failures:
        print(f"\nFAIL {len(run.failures)} problem(s):")
        for f in run.failures:
            print(f"  {f}")
        return 1
    print("evaluate: OK")
    return 0


def _seconds(d):
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d)", d)
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


if __name__ == "__main__":
    sys.exit(main())
