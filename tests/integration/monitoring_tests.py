"""Integration tests of the monitoring files shipped in dist/: the Grafana
dashboard (dist/grafana/plexus.json) and the Prometheus alerting rules
(dist/prometheus/plexus-alerts.yml) with their promtool unit tests
(dist/prometheus/plexus-alerts-test.yml).

The oracle for metric names is a real plexusd: the release build (the one
a package installs; the names do not depend on the sanitizer) with the
plugins the dashboard covers, a scripted switch and a scripted VNS router
connected, scraped on /metrics.  Every plexus_* name the dashboard or the
rules mention must be a family it exports, with samples, the labels the
selectors use and the label values they match literally; rate() and
increase() are only taken of counters.  So the dashboard and the alerts
cannot drift from the exporter unnoticed.

Imported by run.py, which runs every test_* function here:
  tests/integration/run.py --build build/asan-X/ --release-build build/rel-X/
      -k monitoring
"""

import json
import os
import re
import subprocess

from harness import check, vns_env
from logproc import DEADLINE
import ofpeer
from stats_tests import fetch_metrics, parse_metrics, stats_env
import vnspeer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DASHBOARD = os.path.join(ROOT, "dist/grafana/plexus.json")
RULES = os.path.join(ROOT, "dist/prometheus/plexus-alerts.yml")
RULES_TEST = os.path.join(ROOT, "dist/prometheus/plexus-alerts-test.yml")

# A metric name as PromQL and the exposition write it, not preceded by a
# name character (so "xplexus_a" is not one).  "plexus_*" in prose is not.
NAME = re.compile(r"(?<![A-Za-z0-9_:])(plexus_[A-Za-z0-9_:]+)")
# A selector with its label matchers.
SELECTOR = re.compile(r"(?<![A-Za-z0-9_:])(plexus_[A-Za-z0-9_:]+)\{([^}]*)\}")
MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"')
# A range function applied straight to a metric: it must be a counter.
RATED = re.compile(r"\b(?:rate|irate|increase)\(\s*(plexus_[A-Za-z0-9_:]+)")
# Labels Prometheus attaches to every scraped series itself.
TARGET_LABELS = ("job", "instance")
# Labels whose values are a fixed set of names in plexusd (not identities
# such as switch or router): a value matched literally must be one of them.
ENUM_LABELS = ("outcome", "reason", "cause")
# Grafana's variables, replaced by values PromQL accepts.
GRAFANA_VARS = (("$__rate_interval", "1m"), ("$__interval", "1m"),
                ("$__range", "1h"), ("$job", ".*"), ("$instance", ".*"),
                ("$switch", ".*"))


# --------------------------------------------------------------------------
# Helpers.

def read(path):
    with open(path) as f:
        return f.read()


def load_yaml(path):
    """The YAML file as data, or None without python3-yaml."""
    try:
        import yaml
    except ImportError:
        return None
    with open(path) as f:
        return yaml.safe_load(f)


def rule_alerts(path):
    """{alert name: rule} of a rules file (the rule {} without yaml)."""
    data = load_yaml(path)
    if data is None:
        return {m: {} for m in re.findall(r"^\s*-\s*alert:\s*(\S+)\s*$",
                                          read(path), re.M)}
    return {r["alert"]: r for g in data["groups"] for r in g["rules"]
            if "alert" in r}


def alert_tests(path):
    """[(alertname, expected alerts list)] of a promtool test file.  Without
    yaml, the names only, each once firing and once not if the file has
    both kinds of expectations at all (the weaker check)."""
    data = load_yaml(path)
    if data is None:
        text = read(path)
        names = re.findall(r"^\s*alertname:\s*(\S+)\s*$", text, re.M)
        out = [(n, []) for n in names if "exp_alerts: []" in text]
        out += [(n, [{}]) for n in names if "exp_labels:" in text]
        return out
    return [(t["alertname"], t.get("exp_alerts") or [])
            for test in data["tests"] for t in test.get("alert_rule_test", [])]


def promtool(*argv, cwd=None):
    r = subprocess.run(["promtool"] + list(argv), capture_output=True,
                       text=True, timeout=120, cwd=cwd)
    check(r.returncode == 0, "promtool %s: exit %d\n%s%s" % (
        " ".join(argv), r.returncode, r.stdout, r.stderr))
    return r.stdout + r.stderr


def dashboard_exprs(dash):
    """Every PromQL expression of the dashboard: panel targets (rows'
    nested panels too), annotation queries, and the selectors of the
    variables' label_values() queries."""
    out = []

    def panels(ps):
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            out.append(("panel %r %s" % (p.get("title"), t.get("refId")),
                        t.get("expr", "")))
    for a in dash.get("annotations", {}).get("list", []):
        if a.get("expr"):
            out.append(("annotation %r" % a.get("name"), a["expr"]))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        m = re.match(r"^label_values\((.*),\s*\w+\)$", q.strip())
        check(m, "variable %s: not a label_values() query: %r"
              % (v.get("name"), q))
        out.append(("variable %s" % v.get("name"), m.group(1)))
    return out


def grafana_to_promql(expr):
    for var, value in GRAFANA_VARS:
        expr = expr.replace(var, value)
    check("$" not in expr, "unknown Grafana variable left in %r" % expr)
    return expr


def families(text):
    """{family: type} of an exposition's # TYPE lines."""
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))


def family_of(name, types):
    """The family a referenced series name belongs to, or None: the name
    itself, or a histogram's or summary's _bucket/_sum/_count."""
    if name in types:
        return name
    m = re.match(r"^(.*)_(bucket|sum|count)$", name)
    if m and types.get(m.group(1)) in ("histogram", "summary"):
        return m.group(1)
    return None


def scrape_with_everything(args, env):
    """Starts the release plexusd with openflow, l2_learning, vns_server
    and stats; connects a scripted switch and a scripted router and has
    traffic cross both ways, so that the per-switch, per-port and
    per-router families have samples; returns (daemon, switch, router,
    stats port, exposition)."""
    # Plugins of the release build, under the same build as the binary.
    env.build = args.release_build
    of_port, vns_port = vns_env(env)
    env.install("l2_learning")
    env.plugin_ini("35-l2_learning", "l2_learning")
    port = stats_env(env)
    d = env.start(os.path.join(args.release_build, "host/plexusd"))
    sw = ofpeer.Switch(of_port)
    r = vnspeer.Router(vns_port)
    sw.handshake(1, 0x1, ports=3)
    d.wait_for(r"switch 0000000000000001 .* up")
    ok, text, salt = r.login()
    check(ok, "router login refused: %s" % text)
    r.wait_type(vnspeer.HWINFO)
    # Router to switch: a frame out of eth1.
    out = ofpeer.ethernet(bytes.fromhex("0a0000000003"),
                          bytes([2, 0, 0, 0, 1, 3]))
    r.send(vnspeer.packet("eth1", out))
    sw.wait_type(ofpeer.OFPT_PACKET_OUT, DEADLINE)
    # Switch to router (and l2_learning): a broadcast into port 2.
    frame = ofpeer.ethernet(b"\xff" * 6, bytes.fromhex("0a0000000002"))
    sw.send(ofpeer.packet_in(1, frame, in_port=2))
    r.wait_type(vnspeer.PACKET)
    sw.sync()
    # plexus_stats_http_requests_total has a series per status code
    # answered: none before the first request is over.  This one is.
    fetch_metrics(port)
    return d, sw, r, port, fetch_metrics(port)


# --------------------------------------------------------------------------
# Tests.

def test_monitoring_alert_rules(args, env):
    """promtool accepts the rules and passes their unit tests, and the
    tests make every alert fire and hold it back at least once."""
    out = promtool("check", "rules", RULES)
    alerts = rule_alerts(RULES)
    check(re.search(r"SUCCESS: %d rules found" % len(alerts), out),
          "promtool check rules: %s" % out)
    for want in ("PlexusDown", "PlexusSwitchDown", "PlexusOutputDropsRising",
                 "PlexusReloadRefused", "PlexusEventQueueDrops"):
        check(want in alerts, "no alert %s in %s" % (want, RULES))
    for name, rule in alerts.items():
        if not rule:
            continue  # Without yaml, the names only.
        check(rule.get("labels", {}).get("severity") in
              ("critical", "warning", "info"),
              "%s: severity %r" % (name, rule.get("labels")))
        for key in ("summary", "description"):
            check("$labels." in rule.get("annotations", {}).get(key, ""),
                  "%s: annotation %s without $labels" % (name, key))

    # Run where the test file is, as its rule_files path is relative.
    out = promtool("test", "rules", os.path.basename(RULES_TEST),
                   cwd=os.path.dirname(RULES_TEST))
    check("SUCCESS" in out and "FAILED" not in out,
          "promtool test rules: %s" % out)

    tests = alert_tests(RULES_TEST)
    for name in alerts:
        firing = [e for n, e in tests if n == name and e]
        quiet = [e for n, e in tests if n == name and not e]
        check(firing, "%s: no test where it fires" % name)
        check(quiet, "%s: no test where it must not fire" % name)
        for expected in firing:
            for e in expected:
                if not alerts[name]:
                    continue
                check(e.get("exp_labels", {}).get("severity") ==
                      alerts[name]["labels"]["severity"] and
                      set(e.get("exp_annotations", {})) >=
                      {"summary", "description"},
                      "%s: a firing test without its severity and "
                      "annotations: %r" % (name, e))
    unknown = {n for n, e in tests} - set(alerts)
    check(not unknown, "tests of alerts the rules lack: %r" % unknown)


def test_monitoring_dashboard_model(args, env):
    """The dashboard is a Grafana JSON model that imports anywhere (a data
    source variable, job and instance variables); every panel has a data
    source and a query, and promtool parses every query."""
    dash = json.loads(read(DASHBOARD))
    check(dash.get("schemaVersion", 0) >= 36,
          "schemaVersion %r" % dash.get("schemaVersion"))
    check(dash.get("title") and dash.get("uid"), "no title or uid")
    variables = {v.get("name"): v for v in
                 dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource", {})
    check(ds.get("type") == "datasource" and ds.get("query") == "prometheus",
          "no Prometheus data source variable: %r" % ds)
    for name in ("job", "instance"):
        check(variables.get(name, {}).get("type") == "query",
              "no %s variable" % name)
    want_ds = {"type": "prometheus", "uid": "${datasource}"}

    seen_ids = set()
    count = 0

    def walk(ps):
        for p in ps:
            yield p
            yield from walk(p.get("panels", []))

    for p in walk(dash.get("panels", [])):
        title = p.get("title")
        check(p.get("id") not in seen_ids, "panel id %r twice" % p.get("id"))
        seen_ids.add(p.get("id"))
        check({"h", "w", "x", "y"} <= set(p.get("gridPos", {})),
              "panel %r: no gridPos" % title)
        if p.get("type") == "row":
            continue
        count += 1
        check(p.get("datasource") == want_ds,
              "panel %r: data source %r" % (title, p.get("datasource")))
        targets = p.get("targets", [])
        check(targets, "panel %r: no targets" % title)
        for t in targets:
            check(t.get("expr", "").strip() and
                  t.get("datasource") == want_ds,
                  "panel %r: target %r" % (title, t))
    check(count >= 10, "only %d panels" % count)
    for title in ("Switches connected", "Packet-in rate",
                  "Flow mods and packet-outs", "Output drops",
                  "Requests refused by cause", "Event table drops",
                  "Reloads by outcome", "Plugin reloads", "Routers connected",
                  "Router frames", "Plugins loaded", "Uptime"):
        check(any(p.get("title") == title for p in walk(dash["panels"])),
              "no panel %r" % title)

    # promtool parses PromQL in recording rules: one per query, Grafana's
    # variables given values.  JSON is YAML, so no yaml module is needed.
    rules = [{"record": "dashboard:query_%d" % i,
              "expr": grafana_to_promql(expr)}
             for i, (where, expr) in enumerate(dashboard_exprs(dash))]
    path = os.path.join(env.dir, "dashboard-queries.yml")
    with open(path, "w") as f:
        json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
    out = promtool("check", "rules", path)
    check("SUCCESS: %d rules found" % len(rules) in out,
          "promtool on the dashboard's queries: %s" % out)


def test_monitoring_names_exported(args, env):
    """Every plexus_* name in the dashboard, the rules and their tests is a
    family a real plexusd exports, with samples; selectors use labels it
    has, and values it gives them; rate() and increase() take counters."""
    d, sw, r, port, text = scrape_with_everything(args, env)
    try:
        types = families(text)
        samples = parse_metrics(text)
        by_family = {}
        for (name, labels) in samples:
            fam = family_of(name, types) or name
            by_family.setdefault(fam, []).append(dict(labels))

        dash = json.loads(read(DASHBOARD))
        exprs = [e for w, e in dashboard_exprs(dash)]
        rules_text = read(RULES)
        tests_text = read(RULES_TEST)
        sources = {"dashboard": read(DASHBOARD), "rules": rules_text,
                   "rule tests": tests_text}
        referenced = {}
        for where, src in sources.items():
            for name in NAME.findall(src):
                referenced.setdefault(name, set()).add(where)
        check(len(referenced) >= 20, "only %d names referenced: %r"
              % (len(referenced), sorted(referenced)))
        missing = sorted("%s (%s)" % (n, ", ".join(sorted(w)))
                         for n, w in referenced.items()
                         if family_of(n, types) is None)
        check(not missing, "names plexusd does not export: %s" % missing)
        empty = sorted(n for n in referenced
                       if not by_family.get(family_of(n, types)))
        check(not empty, "families without samples in the scrape: %s"
              % empty)

        # rate()/increase() of a gauge is a silent error in PromQL.
        all_exprs = "\n".join(exprs) + "\n" + rules_text
        for name in RATED.findall(all_exprs):
            check(types.get(family_of(name, types)) == "counter",
                  "rate/increase of %s, a %s" % (name, types.get(name)))

        # Labels and literal values the selectors match on.
        for where, src in (("dashboard", "\n".join(exprs)),
                           ("rules", rules_text), ("rule tests", tests_text)):
            for name, matchers in SELECTOR.findall(src):
                rows = by_family[family_of(name, types)]
                for label, op, value in MATCHER.findall(matchers):
                    if label in TARGET_LABELS:
                        continue
                    have = {row.get(label) for row in rows} - {None}
                    check(have, "%s: %s has no label %s (labels: %r)"
                          % (where, name, label, rows[0]))
                    if label not in ENUM_LABELS or op not in ("=", "=~"):
                        continue
                    for v in value.split("|"):
                        check(v in have, "%s: %s{%s%s%r}: plexusd gives %s "
                              "only %r" % (where, name, label, op, value,
                                           label, sorted(have)))

        # PlexusSwitchDown rests on this: the series of a switch that has
        # gone stays, at 0, rather than vanishing.
        since = d.mark()
        sw.close()
        d.wait_for(r"switch 0000000000000001 \(.*\) down", since)
        m = parse_metrics(fetch_metrics(port))
        key = ("plexus_switch_connected",
               frozenset({("switch", "0000000000000001")}))
        check(m.get(key) == 0, "plexus_switch_connected of a gone switch: "
              "%r" % m.get(key))
    finally:
        sw.close()
        r.close()
    d.stop()
