#!/bin/bash
# An event listener through a signal storm (RELIABILITY T15 with a listener): thousands of SIGHUP,
# SIGUSR1, SIGUSR2 and SIGPIPE while 4 workers die every 0-200 ms and are restarted, and the config
# switches every 200 ms between two versions, one with a group y the other lacks (each SIGHUP reloads
# whichever is there). Pass: droverd alive; the listener (a big buffer) missed nothing and got every
# worker's whole story: for each, one STARTING and one RUNNING per spawn and one EXITED per death
# (from the workers' own spawn log); group y announced added and removed alternately, never twice in
# a row; the listener never broke (READY, no protocol error); exit 0 on SIGTERM.
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers fault-chaos

NSIG=$(scaled 4000 1000)
SECS=$(scaled 8 6)
HOLD=$T/hold
common() {
	cat <<EOF2
[eventlistener:ear]
command = $PY $SRC_DIR/tests/e2e/evlistener.py $T/events.jsonl
events = PROCESS_STATE, PROCESS_GROUP
buffer_size = 100000
startsecs = 0

[program:r]
command = $HELPERS/fault-chaos -m 200 -f $T/spawn.%(process_num)d -H $HOLD
numprocs = 4
process_name = %(program_name)s_%(process_num)d
startsecs = 0
autorestart = true
respawn_interval = 0
stopwaitsecs = 1
EOF2
}
common | write_config "$T/v1.ini"
{ common; cat <<EOF2

[program:y]
command = /bin/sleep 2003
startsecs = 0
stopwaitsecs = 1
EOF2
} | write_config "$T/v2.ini"
cp "$T/v1.ini" "$CONF"

cat > "$T/storm.py" <<'EOF2'
# storm.py PID NSIG SECONDS CONF V1 V2: NSIG random HUP/USR1/USR2/PIPE over SECONDS, CONF switched
# between V1 and V2 (write + rename) every 200 ms.
import os, random, signal, sys, time
pid, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
conf, versions = sys.argv[4], [open(sys.argv[5]).read(), open(sys.argv[6]).read()]
sigs = [signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGPIPE]
t0 = time.monotonic()
next_switch, v, switches = t0, 0, 0
for i in range(n):
    due = t0 + secs * i / n
    now = time.monotonic()
    if due > now:
        time.sleep(due - now)
    if now >= next_switch:
        v = 1 - v
        with open(conf + ".tmp", "w") as f:
            f.write(versions[v])
        os.rename(conf + ".tmp", conf)
        switches += 1
        next_switch += 0.2
    try:
        os.kill(pid, random.choice(sigs))
    except ProcessLookupError:
        print("droverd gone after %d signals" % i)
        sys.exit(1)
print("%d signals, %d switches in %.1f s, last v%d" % (n, switches, time.monotonic() - t0, v + 1))
EOF2

start_daemon
wait_for 10 all_in_state RUNNING ear
"$PY" "$T/storm.py" "$DAEMON_PID" "$NSIG" "$SECS" "$CONF" "$T/v1.ini" "$T/v2.ini" > "$T/storm.out" 2>&1 ||
	fail "the storm could not be delivered: $(cat "$T/storm.out")"
log "storm: $(cat "$T/storm.out")"
daemon_alive || fail "droverd died in the storm"

# freeze the churn, let the listener catch up
touch "$HOLD"
kill -HUP "$DAEMON_PID"
drained() {
	local st
	all_in_state RUNNING r 4 || return 1
	st=$(last_field ear status)
	case $st in "listener READY: "*"pool: 0 queued, 0 dropped") ;; *) return 1 ;; esac
	# every worker's current spawn is in the listener's record
	"$PY" - "$T" <<'PY'
import json, sys
t = sys.argv[1]
run = {}
for l in open(t + "/events.jsonl"):
    e = json.loads(l)
    if e["h"]["eventname"] == "PROCESS_STATE_RUNNING":
        f = dict(x.split(":", 1) for x in e["p"].split())
        run[f["processname"]] = f["pid"]
for i in range(4):
    last = open("%s/spawn.%d" % (t, i)).read().split("\n")[-2].split()[0]
    if run.get("r_%d" % i) != last:
        sys.exit(1)
PY
}
wait_for 30 drained
"$PY" - "$T" <<'PY' || error "the listener's record does not account for every spawn and death"
import collections, json, sys
t = sys.argv[1]
evs = [json.loads(l) for l in open(t + "/events.jsonl")]
ps = [int(e["h"]["poolserial"]) for e in evs]
assert ps == list(range(len(ps))), "pool serials with gaps"
n = collections.Counter()
ys = []
for e in evs:
    f = dict(x.split(":", 1) for x in e["p"].split())
    name = e["h"]["eventname"]
    if name.startswith("PROCESS_GROUP") and f["groupname"] == "y":
        ys.append(name)
    elif f.get("processname", "").startswith("r_"):
        n[(f["processname"], name)] += 1
for i in range(4):
    spawns = len(open("%s/spawn.%d" % (t, i)).read().split("\n")) - 1
    p = "r_%d" % i
    got = (n[(p, "PROCESS_STATE_STARTING")], n[(p, "PROCESS_STATE_RUNNING")], n[(p, "PROCESS_STATE_EXITED")])
    print("%s: %d spawns; STARTING, RUNNING, EXITED: %s" % (p, spawns, got))
    assert got == (spawns, spawns, spawns - 1), p
print("group y:", " ".join(x.split("_")[-1] for x in ys))
assert all(ys[k] == ("PROCESS_GROUP_ADDED" if k % 2 == 0 else "PROCESS_GROUP_REMOVED") for k in range(len(ys))), ys
assert len(ys) >= 2, ys
PY
grep -q "ear: has entered the UNKNOWN state" "$DAEMON_LOG" && error "the listener broke the protocol"
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS after SIGTERM"
measured "$(cat "$T/storm.out"); $(wc -l < "$T/events.jsonl") events, each spawn and death of the workers accounted for"
pass
