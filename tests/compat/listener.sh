#!/bin/bash
# Event listeners, supervisord 4.2.5 vs droverd: one listener written with supervisord's own helper
# (supervisor.childutils.listener, from Debian's supervisor package) runs unchanged under both
# daemons, with the same config at the same time, and records every event it gets. The scenario:
# a job that prints a line and exits 3 (unexpected) after RUNNING, a program that fails to start
# until FATAL, a service stopped through each daemon's ctl, a [group:x] member, a pool of two
# processes. What is compared:
#   - the header of every event: the same fields in the same order, ver/server/pool equal, serials
#     and pool serials counting from 0 without a gap (no event lost);
#   - the start: every group announced in the same order, then SUPERVISOR_STATE_CHANGE_RUNNING;
#   - per process, the whole sequence of its events with every payload field (pids aside: each
#     daemon's own workers; checked to be the pid of that worker), and the output line's event;
#   - the same events in all (as a multiset), the shutdown announced last.
# Between processes the order is the daemons' scheduling (both run the programs in parallel) and is
# not compared. The failing program's startsecs (10) is far above the time it runs: supervisord
# judges a start by the time it reaps the exit, which a loaded machine can delay past a second (the
# program then counted as started, RUNNING, under supervisord only). For the same reason the job
# runs 2 s, a second past its startsecs.
# timeout: 60
COMPAT_PLAIN_ONLY=1
. "$(dirname "$0")/lib.sh"

cat > "$T/listener.py" <<'PY'
# A supervisord event listener as its documentation writes one: supervisor.childutils.
import json, os, sys
from supervisor import childutils
d = "drover" if os.environ.get("DROVER_NAME") else "supervisord"
out = os.path.join(os.environ["COMPAT_OUT"], d)
os.makedirs(out, exist_ok=True)
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    with open(os.path.join(out, "events.jsonl"), "a") as f:
        f.write(json.dumps({"h": headers, "p": payload}) + "\n")
    childutils.listener.ok(sys.stdout)
PY
/usr/bin/python3 -c 'import supervisor.childutils' 2>/dev/null || skip "supervisor.childutils is not importable by /usr/bin/python3"

compat_config <<EOF
[eventlistener:rec]
command = /usr/bin/python3 $T/listener.py
events = PROCESS_STATE, PROCESS_LOG, PROCESS_GROUP, SUPERVISOR_STATE_CHANGE
buffer_size = 500

[program:job]
command = /bin/sh -c 'echo hello; sleep 2; exit 3'
stdout_events_enabled = true
autorestart = false
priority = 10

[program:fail]
command = /bin/sh -c 'exit 1'
startsecs = 10
startretries = 2
priority = 20

[program:svc]
command = $PROBE run
priority = 30

[group:grp]
programs = member
priority = 40

[program:member]
command = $PROBE run

[program:multi]
command = $PROBE run
numprocs = 2
process_name = %(program_name)s_%(process_num)d
priority = 50
EOF
sv_start
dr_start

got() { # DAEMON PATTERN: the listener under DAEMON recorded an event whose line matches PATTERN
	grep -q -- "$2" "$COMPAT_OUT/$1/events.jsonl" 2>/dev/null
}
for d in supervisord drover; do
	wait_for 15 got "$d" '"eventname": "PROCESS_STATE_RUNNING".*processname:svc '
done
svctl stop svc > /dev/null || error "supervisorctl stop svc failed"
drctl stop svc > /dev/null || error "droverctl stop svc failed"
for d in supervisord drover; do
	wait_for 15 got "$d" '"eventname": "PROCESS_STATE_FATAL".*processname:fail '
	wait_for 10 got "$d" '"eventname": "PROCESS_STATE_EXITED".*processname:job '
	wait_for 10 got "$d" '"eventname": "PROCESS_STATE_STOPPED".*processname:svc '
	wait_for 10 got "$d" '"eventname": "PROCESS_STATE_RUNNING".*processname:multi_1 '
	wait_for 10 got "$d" '"eventname": "PROCESS_STATE_RUNNING".*processname:member '
done
sv_stop TERM
dr_stop TERM

"$PY" - "$COMPAT_OUT/supervisord/events.jsonl" "$COMPAT_OUT/drover/events.jsonl" <<'PY' || error "the listener's events differ (see above)"
import collections, json, sys

def load(path):
    return [json.loads(l) for l in open(path)]

def fields(payload):
    head, _, data = payload.partition("\n")
    return [tuple(x.split(":", 1)) for x in head.split()], data

def norm(e):
    """An event as compared: its name and payload fields in order, pids as PID."""
    kv, data = fields(e["p"])
    return (e["h"]["eventname"],) + tuple("%s:%s" % (k, "PID" if k == "pid" else v) for k, v in kv) + \
        ((repr(data),) if data else ())

sv, dr = load(sys.argv[1]), load(sys.argv[2])
ok = True

def differ(what, a, b):
    global ok
    if a != b:
        ok = False
        print("DIFFERENT %s:\n  supervisord: %s\n  droverd:     %s" % (what, a, b))
    else:
        print("same %s (%d)" % (what, len(a) if hasattr(a, "__len__") else a))

# nothing after the shutdown began is compared: what is still delivered then is timing
def until_stopping(evs):
    out = []
    for e in evs:
        out.append(e)
        if e["h"]["eventname"] == "SUPERVISOR_STATE_CHANGE_STOPPING":
            break
    return out
sv, dr = until_stopping(sv), until_stopping(dr)

# headers
for name, evs in (("supervisord", sv), ("droverd", dr)):
    for i, e in enumerate(evs):
        h = e["h"]
        if list(h) != ["ver", "server", "serial", "pool", "poolserial", "eventname", "len"] or \
           h["ver"] != "3.0" or h["server"] != "supervisor" or h["pool"] != "rec" or \
           int(h["poolserial"]) != i or int(h["len"]) != len(e["p"]):
            ok = False
            print("BAD HEADER from %s: %s" % (name, h))
differ("serials", [e["h"]["serial"] for e in sv], [e["h"]["serial"] for e in dr])

# the start: groups, then RUNNING
def start(evs):
    out = []
    for e in evs:
        out.append(norm(e))
        if e["h"]["eventname"] == "SUPERVISOR_STATE_CHANGE_RUNNING":
            return out
    return out
differ("start-up events", start(sv), start(dr))

# per process
def per_process(evs):
    d = collections.defaultdict(list)
    for e in evs:
        kv = dict(fields(e["p"])[0])
        if "processname" in kv:
            d[kv["processname"]].append(norm(e))
    return d
psv, pdr = per_process(sv), per_process(dr)
differ("processes", sorted(psv), sorted(pdr))
for p in sorted(set(psv) | set(pdr)):
    differ("events of %s" % p, psv.get(p), pdr.get(p))

# all of them, and the end
differ("all events (multiset)", sorted(map(norm, sv)), sorted(map(norm, dr)))
differ("last event", norm(sv[-1]) if sv else None, norm(dr[-1]) if dr else None)

# pids: each daemon's payloads name its own workers, consistently
for name, evs in (("supervisord", sv), ("droverd", dr)):
    running = {}
    for e in evs:
        kv = dict(fields(e["p"])[0])
        n, p = e["h"]["eventname"], kv.get("pid")
        if n == "PROCESS_STATE_RUNNING":
            running[kv["processname"]] = p
        elif n in ("PROCESS_STATE_EXITED", "PROCESS_STATE_STOPPING", "PROCESS_STATE_STOPPED") and \
                p != running.get(kv["processname"]):
            ok = False
            print("%s: %s names pid %s, the worker was %s" % (name, n, p, running.get(kv["processname"])))
        elif n == "PROCESS_LOG_STDOUT" and not (p and int(p) > 0):
            ok = False
            print("%s: log event without a pid: %s" % (name, e["p"]))
sys.exit(0 if ok else 1)
PY
pass
