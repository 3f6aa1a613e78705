#!/bin/bash
# `droverctl status` of 1000 processes (numprocs = 1000 of /bin/sleep,
# startsecs = 0) is complete and correct in both formats: the reply spans many queue messages and
# is reassembled in order. 1000 entries x:x_000 .. x:x_999 in order, each RUNNING with a live pid
# that runs sleep and belongs to this instance, no duplicate pid; the table says the same as the
# JSON document, line for line; `pid x:*` and a pattern selecting part of them agree too.
# timeout: 120
. "$(dirname "$0")/lib.sh"

N=1000
write_config <<EOF
[program:x]
command = /bin/sleep 100000
numprocs = $N
process_name = x_%(process_num)03d
startsecs = 0
stopwaitsecs = 5
EOF
# droverd spawns the autostart processes before its loop serves the control queue: 1000 forks
# take seconds (more under ASan on a busy machine) before the first answer.
START_TIMEOUT=60
t0=$(now_ms)
start_daemon
log "droverd answered after $(( $(now_ms) - t0 )) ms"
wait_for 60 all_in_state RUNNING x $N
log "$N processes RUNNING"

t0=$(now_ms)
ctl --json status > "$T/all.json" 2> "$T/err"; rc=$?
log "status --json: exit $rc in $(( $(now_ms) - t0 )) ms, $(wc -c < "$T/all.json") bytes"
[ "$rc" = 0 ] || fail "status --json exited $rc: $(cat "$T/err")"
t0=$(now_ms)
ctl status > "$T/all.txt" 2> "$T/err"; rc=$?
log "status (table): exit $rc in $(( $(now_ms) - t0 )) ms, $(wc -l < "$T/all.txt") lines"
[ "$rc" = 0 ] || fail "status exited $rc: $(cat "$T/err")"
ctl pid 'x:*' > "$T/pids" 2> "$T/err" || error "pid x:* exited $?: $(cat "$T/err")"
ctl --json status x:x_000 x:x_500 x:x_999 > "$T/three.json" 2> "$T/err" || error "status of three exited $?: $(cat "$T/err")"

"$PY" - "$T/all.json" "$T/all.txt" "$T/pids" "$T/three.json" "$NAME" "$N" <<'PYEOF' || error "status of $N processes is wrong (see above)"
import json, os, re, sys
jpath, tpath, ppath, threepath, name, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
bad = []
d = json.load(open(jpath))
want = ["x:x_%03d" % i for i in range(n)]
names = [o.get("name") for o in d]
if names != want:
    missing = sorted(set(want) - set(names))
    extra = sorted(set(names) - set(want))
    bad.append("names: %d entries; missing %s; extra %s; in order: %s"
               % (len(names), missing[:5], extra[:5], sorted(names) == names))
pids = {}
for o in d:
    if o.get("state") != "RUNNING" or o.get("group") != "x":
        bad.append("%s: state %s group %s" % (o.get("name"), o.get("state"), o.get("group")))
        continue
    pid = o.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        bad.append("%s: pid %r" % (o["name"], pid))
        continue
    pids[o["name"]] = pid
    try:
        cmd = open("/proc/%d/cmdline" % pid, "rb").read().split(b"\0")
        env = open("/proc/%d/environ" % pid, "rb").read().split(b"\0")
        st = open("/proc/%d/stat" % pid).read()
    except OSError as e:
        bad.append("%s: pid %d: %s" % (o["name"], pid, e))
        continue
    if st[st.rfind(")") + 2] == "Z" or os.path.basename(cmd[0]) != b"sleep":
        bad.append("%s: pid %d is %r (%s)" % (o["name"], pid, cmd, st[st.rfind(")") + 2]))
    if ("DROVER_NAME=%s" % name).encode() not in env:
        bad.append("%s: pid %d is not a worker of %s" % (o["name"], pid, name))
    # DROVER_PROCESS names the process: the entry's pid is that process's, not a neighbour's.
    proc = [e for e in env if e.startswith(b"DROVER_PROCESS=")]
    if proc and proc[0].split(b"=", 1)[1].decode() not in (o["name"], o["name"].split(":")[-1]):
        bad.append("%s: pid %d says %s" % (o["name"], pid, proc[0].decode()))
if len(set(pids.values())) != len(pids):
    bad.append("duplicate pids")

# The table: one line per process, same order, same pids.
lines = open(tpath).read().splitlines()
if len(lines) != n:
    bad.append("table: %d lines" % len(lines))
for line, nm in zip(lines, want):
    m = re.match(r"^(\S+)\s+(\S+)\s+pid (\d+), uptime ", line)
    if not m or m.group(1) != nm or m.group(2) != "RUNNING" or int(m.group(3)) != pids.get(nm):
        bad.append("table line %r (want %s pid %s)" % (line, nm, pids.get(nm)))
        break
plist = [int(x) for x in open(ppath).read().split()]
if plist != [pids.get(nm) for nm in want]:
    bad.append("pid x:*: %d pids, not the status pids in order" % len(plist))
three = json.load(open(threepath))
if [(o["name"], o["pid"]) for o in three] != [(nm, pids.get(nm)) for nm in ("x:x_000", "x:x_500", "x:x_999")]:
    bad.append("status of three: %r" % three)
for b in bad[:20]:
    print(b)
print("checked %d entries, %d problems" % (len(d), len(bad)))
sys.exit(1 if bad else 0)
PYEOF

# The same again while they are being stopped: every reply is still complete (1000 entries).
log "stop all --no-wait, then status while they go down"
ctl stop --no-wait all > "$T/stop.out" 2>&1 || error "stop --no-wait all exited $?: $(tail -c 300 "$T/stop.out")"
[ "$(grep -cE '^x:x_[0-9]{3}: (stopping|stopped)$' "$T/stop.out")" = "$N" ] || error "stop --no-wait all: not $N result lines"
died() { daemon_alive || fail "droverd died: $(grep -m1 -i 'assert\|libev\|sanitizer' "$DAEMON_LOG")"; }
died
t0=$(now_ms)
ctl --json status > "$T/stopping.json" 2> "$T/err"; rc=$?
log "status --json while stopping: exit $rc in $(( $(now_ms) - t0 )) ms, $(wc -c < "$T/stopping.json") bytes $(head -c 200 "$T/err")"
# 3 once one of them is STOPPED, 0 while all are still STOPPING (as supervisorctl)
[ "$rc" = 3 ] || [ "$rc" = 0 ] || error "status while stopping exited $rc, expected 3 or 0: $(head -c 300 "$T/err")"
"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); n = int(sys.argv[2]); sys.exit(0 if [o["name"] for o in d] == ["x:x_%03d" % i for i in range(n)] else 1)' "$T/stopping.json" "$N" \
	|| error "status while stopping: not the $N entries in order"
stopped_or_dead() { ! daemon_alive || all_in_state STOPPED x $N; }
wait_for 30 stopped_or_dead
died
ctl status > "$T/stopped.txt"; rc=$?
[ "$rc" = 3 ] || error "status of $N stopped processes exited $rc, expected 3"
[ "$(grep -c ' STOPPED ' "$T/stopped.txt")" = "$N" ] || error "table: $(grep -c ' STOPPED ' "$T/stopped.txt") STOPPED lines of $N"
pass
