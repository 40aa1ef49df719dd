#!/usr/bin/env python3
"""Structural check of the Grafana dashboard, and of the metric names the monitoring assets use.

    python3 deploy/test/check-dashboard.py [--dashboard F] [--rules F] [--metrics-doc F] [--no-promtool]

Checks, offline (no Grafana, no Prometheus needed):
  * the JSON parses and has the shape Grafana imports: uid, title, schemaVersion, panels with gridPos,
    templating.list; a `datasource` variable of type datasource (prometheus) and an `allocator` query
    variable using label_values(...); every panel and target uses the datasource variable;
  * panel ids are unique; grid positions are inside the 24-column grid and never overlap; every
    non-row panel follows a row and has at least one target with an expr and a unique refId;
    at least 18 panels; the rows the issue asks for are there;
  * every variable an expression uses ($name, ${name}, [[name]]) is defined (before the variables that
    use it) or is one of Grafana's ($__rate_interval, $__interval, $__range, ...);
  * every metric name in the dashboard and the rules is a family of docs/metrics.md (the generated
    families tables, not the table of the original's names) or a series the rules record;
  * every alert of the rules has a severity, summary, description and a runbook_url into its own
    section of docs/runbooks.md;
  * with promtool installed, every panel expression (variables substituted) parses: they are written
    into a temporary rules file and `promtool check rules` reads it.

Also a library: deploy/test/evaluate.py imports panel_targets(), variables() and substitute().
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GRAFANA_BUILTINS = {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms",
                    "__from", "__to", "__dashboard", "__org", "__user", "timeFilter", "__timeFilter"}
REQUIRED_ROWS = ["Memory", "Tail-latency attribution", "Reclamation", "Epochs", "Kernel cooperation",
                 "Hotspots", "Contention", "Per-class table"]
VAR_REF = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]")
METRIC = re.compile(r"(?<![\w:.\"])(temporal_slab_\w+)(?![\w:])")
RECORDED = re.compile(r"(?<![\w:])([a-zA-Z_]\w*:\w+:\w+)(?![\w:])")
LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(.+?)\s*,\s*)?(\w+)\s*\)\s*$")

# values the checks substitute for the variables (any well-formed value does; evaluate.py uses its own)
DEFAULT_VALUES = {"job": ".+", "allocator": ".+", "__rate_interval": "1m", "__interval": "15s",
                  "__range": "1h", "__range_s": "3600", "__range_ms": "3600000", "__interval_ms": "15000"}


def variables(dash):
    return dash.get("templating", {}).get("list", [])


def variable_query(var):
    q = var.get("query")
    if isinstance(q, dict):
        q = q.get("query")
    return q or var.get("definition") or ""


def panel_targets(dash):
    """(panel, target) for every query of every non-row panel, rows' collapsed panels included."""
    out = []
    for p in dash.get("panels", []):
        inner = p.get("panels", []) if p.get("type") == "row" else [p]
        for q in inner:
            for t in q.get("targets", []) or []:
                out.append((q, t))
    return out


def substitute(text, values):
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in values:
            raise KeyError(name)
        return values[name]
    return VAR_REF.sub(repl, text)


def documented_families(path):
    text = open(path, encoding="utf-8").read()
    begin, end = text.find("<!-- families:begin"), text.find("<!-- families:end")
    if begin < 0 or end < begin:
        raise SystemExit(f"{path}: no families:begin/end markers")
    names = set(re.findall(r"^\| `(temporal_slab_\w+)` \|", text[begin:end], re.M))
    if len(names) < 40:
        raise SystemExit(f"{path}: found only {len(names)} metric families; is the families table there?")
    return names


def recorded_names(rules_path):
    text = open(rules_path, encoding="utf-8").read()
    return set(re.findall(r"^\s*-\s*record:\s*(\S+)\s*$", text, re.M))


def rule_exprs(rules_path):
    """(name, expr) of every rule, read without a YAML library (the rules keep `expr:` on one line)."""
    out, name = [], None
    for line in open(rules_path, encoding="utf-8"):
        m = re.match(r"^\s*-\s*(?:record|alert):\s*(\S+)\s*$", line)
        if m:
            name = m.group(1)
        m = re.match(r"^\s*expr:\s*(.+?)\s*$", line)
        if m:
            out.append((name, m.group(1)))
    return out


class Checker:
    def __init__(self):
        self.errors = []

    def error(self, msg):
        self.errors.append(msg)

    def check_dashboard(self, dash):
        for key in ("uid", "title", "schemaVersion", "panels", "templating"):
            if key not in dash:
                self.error(f"dashboard: no '{key}'")
        if not isinstance(dash.get("uid"), str) or not dash.get("uid") or len(dash["uid"]) > 40:
            self.error("dashboard: uid must be a non-empty string of at most 40 characters")
        if not isinstance(dash.get("schemaVersion"), int):
            self.error("dashboard: schemaVersion must be an integer")
        if dash.get("id") is not None:
            self.error("dashboard: id must be null so that the import creates the dashboard")

        # --- variables
        defined = []
        vars_by_name = {}
        for v in variables(dash):
            name = v.get("name")
            if not name or name in vars_by_name:
                self.error(f"variable {name!r}: missing or duplicate name")
                continue
            vars_by_name[name] = v
            if v.get("type") == "query":
                q = variable_query(v)
                if not LABEL_VALUES.match(q):
                    self.error(f"variable {name}: query {q!r} is not label_values(...)")
                self.check_refs(f"variable {name}", q, defined)
                ds = v.get("datasource")
                if not (isinstance(ds, dict) and ds.get("uid") == "${datasource}"):
                    self.error(f"variable {name}: datasource must be ${{datasource}}, is {ds!r}")
            defined.append(name)
        ds = vars_by_name.get("datasource")
        if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
            self.error("variables: need 'datasource' of type datasource with query prometheus")
        alloc = vars_by_name.get("allocator")
        if not alloc or alloc.get("type") != "query" or not LABEL_VALUES.match(variable_query(alloc)):
            self.error("variables: need 'allocator' of type query using label_values(...)")

        # --- panels and grid
        ids = {}
        rects = []
        seen_row = False
        row_titles = []
        last_row_y = -1
        top = dash.get("panels", [])
        flat = []
        for p in top:
            flat.append(p)
            if p.get("type") == "row":
                flat.extend(p.get("panels", []))
        for p in flat:
            pid = p.get("id")
            label = f"panel {pid} {p.get('title')!r}"
            if not isinstance(pid, int):
                self.error(f"{label}: id must be an integer")
            elif pid in ids:
                self.error(f"{label}: id already used by {ids[pid]!r}")
            else:
                ids[pid] = p.get("title")
            if not p.get("title"):
                self.error(f"{label}: no title")
            g = p.get("gridPos")
            if not isinstance(g, dict) or not all(isinstance(g.get(k), int) for k in ("h", "w", "x", "y")):
                self.error(f"{label}: gridPos needs integer h, w, x, y")
                continue
            if g["w"] < 1 or g["h"] < 1 or g["x"] < 0 or g["y"] < 0 or g["x"] + g["w"] > 24:
                self.error(f"{label}: gridPos {g} outside the 24-column grid")
            if p.get("type") == "row":
                seen_row = True
                row_titles.append(p.get("title"))
                last_row_y = g["y"]
                if g["w"] != 24 or g["h"] != 1 or g["x"] != 0:
                    self.error(f"{label}: a row spans the grid (x 0, w 24, h 1)")
            else:
                if not seen_row:
                    self.error(f"{label}: comes before the first row")
                elif p in top and g["y"] <= last_row_y:
                    self.error(f"{label}: not below its row")
                self.check_panel(p, label, defined)
            if p in top:  # collapsed rows' panels keep their own positions
                for (og, olabel) in rects:
                    if (g["x"] < og["x"] + og["w"] and og["x"] < g["x"] + g["w"]
                            and g["y"] < og["y"] + og["h"] and og["y"] < g["y"] + g["h"]):
                        self.error(f"{label}: overlaps {olabel}")
                rects.append((g, label))
        for title in REQUIRED_ROWS:
            if title not in row_titles:
                self.error(f"dashboard: no row {title!r}")
        n = sum(1 for p in flat if p.get("type") != "row")
        if n < 18:
            self.error(f"dashboard: {n} panels, at least 18 wanted")
        return n

    def check_panel(self, p, label, defined):
        ds = p.get("datasource")
        if not (isinstance(ds, dict) and ds.get("uid") == "${datasource}"):
            self.error(f"{label}: datasource must be ${{datasource}}")
        targets = p.get("targets") or []
        if not targets:
            self.error(f"{label}: no query")
        refs = set()
        for t in targets:
            ref = t.get("refId")
            if not ref or ref in refs:
                self.error(f"{label}: missing or duplicate refId {ref!r}")
            refs.add(ref)
            expr = t.get("expr", "")
            if not isinstance(expr, str) or not expr.strip():
                self.error(f"{label} {ref}: empty expr")
                continue
            tds = t.get("datasource")
            if tds is not None and not (isinstance(tds, dict) and tds.get("uid") == "${datasource}"):
                self.error(f"{label} {ref}: target datasource must be ${{datasource}}")
            self.check_refs(f"{label} {ref}", expr, defined)
            if expr.count("(") != expr.count(")") or expr.count("{") != expr.count("}"):
                self.error(f"{label} {ref}: unbalanced brackets in {expr}")

    def check_refs(self, where, text, defined):
        for m in VAR_REF.finditer(text):
            name = m.group(1) or m.group(2) or m.group(3)
            if name not in defined and name not in GRAFANA_BUILTINS:
                self.error(f"{where}: ${name} is not a variable defined before it")

    def check_names(self, where, expr, allowed):
        for name in METRIC.findall(expr):
            if name not in allowed:
                self.error(f"{where}: {name} is not a metric family of docs/metrics.md")
        for name in RECORDED.findall(expr):
            if name not in allowed:
                self.error(f"{where}: {name} is not recorded by the rules")


def github_anchor(heading):
    a = heading.strip().lower()
    a = re.sub(r"[^\w\- ]", "", a)
    return a.replace(" ", "-")


def check_alert_docs(c, rules_path, runbooks_path):
    """Every alert has summary, description and a runbook_url into an existing section of the runbooks."""
    text = open(rules_path, encoding="utf-8").read()
    anchors = {github_anchor(h) for h in re.findall(r"^#+ (.+)$", open(runbooks_path, encoding="utf-8").read(), re.M)}
    blocks = re.split(r"^\s*- (?=alert:|record:)", text, flags=re.M)[1:]
    alerts = 0
    for b in blocks:
        m = re.match(r"alert:\s*(\S+)", b)
        if not m:
            continue
        alerts += 1
        name = m.group(1)
        for key in ("summary", "description", "runbook_url"):
            if not re.search(rf"^\s+{key}:\s*\S", b, re.M):
                c.error(f"alert {name}: no {key} annotation")
        if not re.search(r"^\s+severity:\s*(critical|warning|info)\s*$", b, re.M):
            c.error(f"alert {name}: no severity label (critical, warning or info)")
        m = re.search(r'^\s+runbook_url:\s*"?docs/runbooks\.md#([\w-]+)"?\s*$', b, re.M)
        if not m:
            c.error(f"alert {name}: runbook_url is not docs/runbooks.md#<section>")
        elif m.group(1) not in anchors:
            c.error(f"alert {name}: docs/runbooks.md has no section #{m.group(1)}")
        elif m.group(1) != name.lower():
            c.error(f"alert {name}: runbook_url #{m.group(1)} is not the alert's own section")
    return alerts


def promtool_parse(exprs):
    """Parses expressions with promtool (as recording rules of a temporary file); returns the errors."""
    promtool = shutil.which("promtool")
    if not promtool:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write("groups:\n  - name: dashboard-expressions\n    rules:\n")
        for i, (_, e) in enumerate(exprs):
            f.write(f"      - record: dashboard:expr_{i}:check\n        expr: {json.dumps(e)}\n")
        path = f.name
    try:
        r = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if r.returncode == 0:
        return []
    out = (r.stdout + r.stderr).strip().splitlines()
    errors = []
    for line in out:
        m = re.search(r"dashboard:expr_(\d+):check", line)
        errors.append(f"{exprs[int(m.group(1))][0]}: {line.strip()}" if m else line.strip())
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dashboard", default=os.path.join(ROOT, "deploy/grafana/temporal-slab.json"))
    ap.add_argument("--rules", default=os.path.join(ROOT, "deploy/prometheus/rules/temporal-slab.rules.yml"))
    ap.add_argument("--metrics-doc", default=os.path.join(ROOT, "docs/metrics.md"))
    ap.add_argument("--runbooks", default=os.path.join(ROOT, "docs/runbooks.md"))
    ap.add_argument("--no-promtool", action="store_true", help="skip parsing the expressions with promtool")
    args = ap.parse_args()

    c = Checker()
    try:
        dash = json.load(open(args.dashboard, encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"FAIL {args.dashboard}: {e}")
        return 1
    panels = c.check_dashboard(dash)

    families = documented_families(args.metrics_doc)
    recorded = recorded_names(args.rules)
    allowed = families | recorded
    targets = panel_targets(dash)
    for p, t in targets:
        c.check_names(f"panel {p.get('id')} {p.get('title')!r} {t.get('refId')}", t.get("expr", ""), families)
    for v in variables(dash):
        if v.get("type") == "query":
            c.check_names(f"variable {v.get('name')}", variable_query(v), families)
    rules = rule_exprs(args.rules)
    for name, expr in rules:
        c.check_names(f"rule {name}", expr, allowed)
    alerts = check_alert_docs(c, args.rules, args.runbooks)

    parsed = "not parsed (no promtool)"
    if not args.no_promtool:
        exprs = []
        for p, t in targets:
            try:
                exprs.append((f"panel {p.get('id')} {p.get('title')!r} {t.get('refId')}",
                              substitute(t.get("expr", ""), DEFAULT_VALUES)))
            except KeyError:
                pass  # reported by check_refs
        errors = promtool_parse(exprs)
        if errors is not None:
            for e in errors:
                c.error(f"promtool: {e}")
            parsed = f"{len(exprs)} expressions parsed by promtool"

    used = set()
    for _, t in targets:
        used.update(METRIC.findall(t.get("expr", "")))
    for _, e in rules:
        used.update(METRIC.findall(e))
    if c.errors:
        for e in c.errors:
            print(f"FAIL {e}")
        print(f"check-dashboard: {len(c.errors)} problem(s)")
        return 1
    rows = sum(1 for p in dash["panels"] if p.get("type") == "row")
    print(f"check-dashboard: OK: {args.dashboard}: {panels} panels in {rows} rows, {len(targets)} queries, "
          f"{len(variables(dash))} variables; {parsed}; {len(rules)} rules, {alerts} alerts with summary, "
          f"description and a runbook section; "
          f"{len(used)} of {len(families)} documented metric families used, no other name")
    return 0


if __name__ == "__main__":
    sys.exit(main())
