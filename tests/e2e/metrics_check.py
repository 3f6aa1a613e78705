#!/usr/bin/python3
"""Compare a metrics text of droverd (Prometheus text format) with `droverctl status --json` taken
right after it: every process's state, up, ready, restarts, dropped log bytes, start time (within
2.5 s), heartbeat age (within 2.5 s), counters and last exit status; the processes per state; no
duplicate series; every series labelled drover=INSTANCE. Prints what differs; exit 1 if anything.

usage: metrics_check.py METRICS_FILE STATUS_JSON INSTANCE [OPENMETRICS]
With OPENMETRICS (any value) the text must end with "# EOF" and its counter families are declared
without _total.
"""
import json, re, sys, time
text, status, inst = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), sys.argv[3]
openmetrics = len(sys.argv) > 4
bad = []
if openmetrics:
    if not text.endswith("\n# EOF\n"):
        bad.append("OpenMetrics text does not end with # EOF")
    for m in re.finditer(r'^# TYPE (\S+) counter$', text, re.M):
        if m.group(1).endswith("_total"):
            bad.append("OpenMetrics counter family named with _total: " + m.group(1))
series = {}
for line in text.splitlines():
    if not line or line.startswith("#"):
        continue
    m = re.match(r'^([a-z_]+)\{(.*)\} (\S+)$', line)
    assert m, "bad line: %r" % line
    labels = dict(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(2)))
    assert labels.pop("drover") == inst, line
    key = (m.group(1), tuple(sorted(labels.items())))
    assert key not in series, "duplicate series: " + line
    series[key] = float(m.group(3))
def get(name, **labels):
    return series.get((name, tuple(sorted(labels.items()))))
def check(what, got, want, slack=0.0):
    if got is None or abs(got - want) > slack:
        bad.append("%s: metrics %r, status --json %r" % (what, got, want))
now = time.time()
states = {}
for p in status:
    n, g = p["name"], p["group"]
    states[p["state"]] = states.get(p["state"], 0) + 1
    check(n + " state", get("drover_process_state", group=g, process=n, state=p["state"]), 1)
    check(n + " up", get("drover_process_up", group=g, process=n), 1 if p["state"] == "RUNNING" else 0)
    check(n + " ready", get("drover_process_ready", group=g, process=n), 1 if p["ready"] else 0)
    check(n + " restarts", get("drover_process_restarts_total", group=g, process=n, reason="automatic"), p["restarts"])
    check(n + " manual restarts", get("drover_process_restarts_total", group=g, process=n, reason="manual"), p["restarts_manual"])
    check(n + " log dropped", get("drover_process_log_dropped_bytes_total", group=g, process=n), p["log_dropped"])
    start = get("drover_process_start_time_seconds", group=g, process=n)
    if p["pid"]:
        check(n + " start time", start, now - p["uptime"], 2.5)
    elif start is not None:
        bad.append(n + ": a start time without a worker")
    hb = get("drover_process_heartbeat_age_seconds", group=g, process=n)
    if p["heartbeat_age"] is None:
        if hb is not None:
            bad.append(n + ": a heartbeat age without heartbeats")
    else:
        check(n + " heartbeat age", hb, p["heartbeat_age"], 2.5)
    for i, c in enumerate(p["counters"]):
        check("%s counter %d" % (n, i), get("drover_process_reported_total", group=g, process=n, index=str(i)), c)
    if p["exitstatus"] is not None:
        check(n + " exit status", get("drover_process_last_exit_status", group=g, process=n), p["exitstatus"])
for s in ("STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "UNKNOWN"):
    check("processes " + s, get("drover_processes", state=s), states.get(s, 0))
if len(status) != 4 or states.get("RUNNING") != 3 or states.get("FATAL") != 1:
    bad.append("status is not 3 RUNNING + 1 FATAL: %r" % states)
sb = [p for p in status if p["name"] == "sb"][0]
if sb["counters"][:2] != [1, 10] or not sb["ready"]:
    bad.append("sb: counters %r ready %r" % (sb["counters"], sb["ready"]))
check("reloads", get("drover_reloads_total"), 0)
check("reload failures", get("drover_reload_failures_total"), 0)
if get("drover_control_requests_total") is None or not any(k[0] == "drover_build_info" for k in series):
    bad.append("no control request counter or build info")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
