#!/bin/bash
# [eventlistener:x] with supervisord's protocol, end to end: a listener gets every event type
# drover emits, with supervisord's header and payload fields, in order (READY, header line,
# payload, RESULT 2 OK); a FAIL puts the event back (the same serials come again); a pool whose
# listener does not answer overflows by dropping its oldest events with a log line; a pool of two
# shares the events (each once, none lost); listeners show in status and obey stop/start.
# TICK_5 needs up to 5 s: it is waited for while the rest runs.
# timeout: 60
. "$(dirname "$0")/lib.sh"
EVL=$E2E_DIR/evlistener.py

write_config <<EOF
[eventlistener:rec]
command = $PY $EVL $T/rec.jsonl
events = EVENT
buffer_size = 1000
startsecs = 0
priority = -5

[eventlistener:picky]
command = $PY $EVL $T/picky.jsonl fail 2
events = PROCESS_STATE_RUNNING
startsecs = 0

[eventlistener:stuck]
command = $PY $EVL $T/stuck.jsonl hang
events = PROCESS_STATE
buffer_size = 3
startsecs = 0

[eventlistener:duo]
command = $PY $EVL $T/duo%(process_num)d.jsonl slow 0.1
process_name = duo_%(process_num)d
numprocs = 2
events = PROCESS_STATE
buffer_size = 500
startsecs = 0

[program:job]
command = /bin/sh -c 'echo out-line; echo err-line >&2; sleep 0.3; exit 3'
startsecs = 0
autorestart = false
stdout_events_enabled = true
stderr_events_enabled = true
priority = 10

[program:crash]
command = /bin/false
startsecs = 1
startretries = 1
priority = 20

[program:svc]
command = /bin/sleep 1000
startsecs = 0
priority = 30

[program:slowstop]
command = /bin/sh -c 'trap "sleep 1; exit 0" TERM; sleep 1000 & wait; wait'
startsecs = 0
priority = 40
EOF
start_daemon

# listeners are processes like the others
wait_for 10 all_in_state RUNNING rec
wait_for 10 all_in_state RUNNING duo 2
ctl status > "$T/status.txt"; cat "$T/status.txt"
grep -q '^rec ' "$T/status.txt" || error "status does not list the listener rec"
grep -q 'duo:duo_1 ' "$T/status.txt" || error "status does not list duo:duo_1"
grep -q 'listener READY\|listener BUSY\|listener ACKNOWLEDGED' "$T/status.txt" || error "no listener state in status"

# events, by what they say: "EVENTNAME field:value ..." per line
events() { "$PY" - "$1" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    h, p = e["h"], e["p"]
    head, _, data = p.partition("\n")
    kv = dict(x.split(":", 1) for x in head.split()) if ":" in head else {}
    kv.pop("pid", None); kv.pop("when", None)
    print(h["eventname"], " ".join("%s:%s" % i for i in sorted(kv.items())), repr(data) if data else "")
PY
}
have() { grep -q -- "$2" <(events "$1"); }

wait_for 10 have "$T/rec.jsonl" "PROCESS_STATE_EXITED expected:0 from_state:RUNNING groupname:job processname:job"
wait_for 10 have "$T/rec.jsonl" "PROCESS_STATE_FATAL from_state:BACKOFF groupname:crash processname:crash"
ctl stop svc >/dev/null || error "stop svc failed"
write_config <<EOF
$(sed -n '/^\[eventlistener:rec\]/,$p' "$CONF")

[program:extra]
command = /bin/sleep 1000
startsecs = 0
EOF
ctl reload >/dev/null || error "reload (add extra) failed"
wait_for 5 have "$T/rec.jsonl" "^PROCESS_GROUP_ADDED groupname:extra \$"
wait_for 5 is_state extra RUNNING
write_config <<EOF
$(sed -n '/^\[eventlistener:rec\]/,/^\[program:extra\]/p' "$CONF" | sed '$d')
EOF
ctl reload >/dev/null || error "reload (remove extra) failed"
wait_for 5 have "$T/rec.jsonl" "^PROCESS_GROUP_REMOVED groupname:extra \$"
wait_for 6 have "$T/rec.jsonl" "^TICK_5 "

# every header field supervisord writes; serials; payload length in characters
"$PY" - "$T/rec.jsonl" <<'PY' || error "headers of the recorded events are not supervisord's"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
last = -1
for e in evs:
    h = e["h"]
    assert list(h) == ["ver", "server", "serial", "pool", "poolserial", "eventname", "len"], h
    assert h["ver"] == "3.0" and h["server"] == "supervisor" and h["pool"] == "rec", h
    assert int(h["serial"]) > last, (h, last)
    last = int(h["serial"])
    assert int(h["len"]) == len(e["p"]), h
    if h["eventname"] == "TICK_5":
        assert int(e["p"].split(":")[1]) % 5 == 0, e
ps = [int(e["h"]["poolserial"]) for e in evs]
assert ps == list(range(len(ps))), ps          # rec missed nothing: its pool serials are 0, 1, 2...
PY
events "$T/rec.jsonl" > "$T/rec.txt"
# the whole story of job, crash and svc, in order, with supervisord's fields
expect_seq() { # NAME LINES...: the events of process NAME, in order
	local name=$1; shift
	printf '%s\n' "$@" > "$T/want.$name"
	grep "processname:$name\b" "$T/rec.txt" | grep -v '^PROCESS_LOG' > "$T/got.$name"
	diff -u "$T/want.$name" "$T/got.$name" > "$T/diff.$name" || { cat "$T/diff.$name"; error "events of $name differ"; }
}
expect_seq job \
	"PROCESS_STATE_STARTING from_state:STOPPED groupname:job processname:job tries:0 " \
	"PROCESS_STATE_RUNNING from_state:STARTING groupname:job processname:job " \
	"PROCESS_STATE_EXITED expected:0 from_state:RUNNING groupname:job processname:job "
expect_seq crash \
	"PROCESS_STATE_STARTING from_state:STOPPED groupname:crash processname:crash tries:0 " \
	"PROCESS_STATE_BACKOFF from_state:STARTING groupname:crash processname:crash tries:1 " \
	"PROCESS_STATE_STARTING from_state:BACKOFF groupname:crash processname:crash tries:1 " \
	"PROCESS_STATE_BACKOFF from_state:STARTING groupname:crash processname:crash tries:2 " \
	"PROCESS_STATE_FATAL from_state:BACKOFF groupname:crash processname:crash "
expect_seq svc \
	"PROCESS_STATE_STARTING from_state:STOPPED groupname:svc processname:svc tries:0 " \
	"PROCESS_STATE_RUNNING from_state:STARTING groupname:svc processname:svc " \
	"PROCESS_STATE_STOPPING from_state:RUNNING groupname:svc processname:svc " \
	"PROCESS_STATE_STOPPED from_state:STOPPING groupname:svc processname:svc "
grep -qx "PROCESS_LOG_STDOUT channel:stdout groupname:job processname:job 'out-line\\\\n'" "$T/rec.txt" || error "no PROCESS_LOG_STDOUT of job"
grep -qx "PROCESS_LOG_STDERR channel:stderr groupname:job processname:job 'err-line\\\\n'" "$T/rec.txt" || error "no PROCESS_LOG_STDERR of job"
# start-up: every group announced (by priority, then name), then SUPERVISOR_STATE_CHANGE_RUNNING
head -n 9 "$T/rec.txt" | cut -d' ' -f1,2 > "$T/got.start"
printf 'PROCESS_GROUP_ADDED groupname:%s\n' rec duo picky stuck job crash svc slowstop > "$T/want.start"
echo "SUPERVISOR_STATE_CHANGE_RUNNING " >> "$T/want.start"
diff -u "$T/want.start" "$T/got.start" || error "start-up events differ"
# the pids are those of the workers: EXITED names the worker that RUNNING named
"$PY" - "$T/rec.jsonl" <<'PY' || error "pids in the payloads are wrong"
import json, sys
run = {}
for l in open(sys.argv[1]):
    e = json.loads(l); n = e["h"]["eventname"]; f = dict(x.split(":", 1) for x in e["p"].split("\n")[0].split())
    if n == "PROCESS_STATE_RUNNING": run[f["processname"]] = f["pid"]
    if n in ("PROCESS_STATE_EXITED", "PROCESS_STATE_STOPPING", "PROCESS_STATE_STOPPED"):
        assert f["pid"] == run[f["processname"]] and int(f["pid"]) > 0, (n, f, run)
    if n.startswith("PROCESS_LOG"):
        assert int(f["pid"]) > 0, f
PY

# FAIL: picky rejected its first two events; each came again with the same serials, then OK
"$PY" - "$T/picky.jsonl" <<'PY' || error "FAIL did not re-queue the event"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
assert [e["r"] for e in evs[:3]] == ["FAIL", "FAIL", "OK"], [e["r"] for e in evs]
assert evs[0]["h"]["serial"] == evs[1]["h"]["serial"] == evs[2]["h"]["serial"], evs[:3]
assert evs[0]["h"]["poolserial"] == evs[2]["h"]["poolserial"] == "0", evs[:3]
PY

# overflow: stuck holds its first event forever; its pool of 3 dropped the oldest, said so
grep -q "pool stuck event buffer overflowed, discarding event" "$DAEMON_LOG" || error "no overflow log line for pool stuck"
field_of stuck status | grep -q "listener BUSY.*3 queued, [1-9][0-9]* dropped" || error "stuck's status: $(last_field stuck status)"

# a pool of two: each event once, to one of them, none lost; both worked
"$PY" - "$T/duo0.jsonl" "$T/duo1.jsonl" <<'PY' || error "the pool of two lost or doubled events"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert a and b, (len(a), len(b))
ps = sorted(int(e["h"]["poolserial"]) for e in a + b)
assert ps == list(range(len(ps))), ps
PY

# controlled like programs
ctl stop rec >/dev/null || error "stop rec failed"
is_state rec STOPPED || error "rec is $(state_of rec) after stop"
ctl start rec >/dev/null || error "start rec failed"
wait_for 5 is_state rec RUNNING
stop_daemon
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS"
# the listeners stop last: rec heard the shutdown begin
events "$T/rec.jsonl" | grep -q '^SUPERVISOR_STATE_CHANGE_STOPPING' || error "no SUPERVISOR_STATE_CHANGE_STOPPING"
pass
