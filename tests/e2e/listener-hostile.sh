#!/bin/bash
# Hostile event listeners cost droverd a counter and a log line, nothing else: one writes garbage
# where READY is due, one floods READY, one writes a 1 MB line instead of a result, one answers
# too much, one closes its stdout (the protocol channel: no busy loop on the closed pipe), one
# closes its stdin (the write fails: EPIPE, never a block), one never answers (its pool overflows,
# bounded), one dies holding an event (the event goes to its next incarnation). Meanwhile a
# well-behaved listener keeps getting every event, and droverd answers, stays small and calm.
# (Catalogue: T34 a listener pipe that floods or stalls, T35 one that closes or fails.)
# timeout: 60
. "$(dirname "$0")/lib.sh"
EVL=$E2E_DIR/evlistener.py

listener() { # NAME MODE [ARG] [EVENTS] [EXTRA KEY LINE]
	printf '[eventlistener:%s]\ncommand = %s %s %s %s %s\nevents = %s\nstartsecs = 0\n%b\n\n' \
		"$1" "$PY" "$EVL" "$T/$1.jsonl" "$2" "${3:-}" "${4:-PROCESS_STATE}" "${5:-}"
}
{
	listener good ok "" "" "buffer_size = 1000"
	listener garbage garbage
	listener flood flood
	listener bigline bigline
	listener toomuch toomuch
	listener closeout closeout
	listener closein closein
	listener hang hang "" "PROCESS_STATE, PROCESS_LOG" "buffer_size = 5"
	listener die die 1 "" "autorestart = true\nbuffer_size = 1000"
	cat <<EOF
[program:ticker]
command = /bin/sh -c 'sleep 0.2; exit 1'
startsecs = 0
autorestart = true

[program:chatter]
command = /bin/sh -c 'yes xxxxxxxxxxxxxxx | head -c 8000000; touch $T/chatter.done; exec sleep 1000'
stdout_events_enabled = true
stdout_logfile = NONE
startsecs = 0
EOF
} | write_config
start_daemon
D=$DAEMON_PID

# every hostile one is UNKNOWN, said once, counted
for n in garbage flood bigline toomuch closein; do
	wait_for 10 eval "field_of $n status | grep -q 'listener UNKNOWN: .* [1-9][0-9]* protocol errors'"
	c=$(grep -c "$n: has entered the UNKNOWN state\|$n: cannot write to its stdin\|$n: writing an event" "$DAEMON_LOG")
	[ "$c" = 1 ] || error "$n: $c log lines about its violation, want 1"
	is_state "$n" RUNNING || error "$n is $(last_field "$n" state): a protocol violation is no reason to kill it"
done
# the one that dies holding an event: that event comes again to its next incarnation
wait_for 10 eval '[ "$(grep -c "^started" "$T/die.jsonl.pids")" -ge 3 ]'
"$PY" - "$T/die.jsonl" <<'PY' || error "the event a listener died with was not given to its next worker"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
assert len(evs) >= 2 and all(e["r"] == "died" for e in evs), evs
assert evs[0]["h"]["serial"] == evs[1]["h"]["serial"], [e["h"]["serial"] for e in evs]
PY
# the silent one holds its first event; its pool of 5 drops the oldest (the chatter's output
# events among them), said and counted
wait_for 10 eval "field_of hang status | grep -q 'listener BUSY.* 5 queued, [1-9][0-9]* dropped'"
grep -q "pool hang event buffer overflowed" "$DAEMON_LOG" || error "no overflow line for pool hang"

# the chatter's 8 MB went by; then droverd is calm: responsive, small, idle (closeout's closed
# pipe costs nothing)
wait_for 20 test -e "$T/chatter.done"
rss=$(rss_kb "$D")
log "droverd RSS after the flood: ${rss} KiB"
[ "$rss" -lt $((64 * 1024)) ] || error "droverd RSS ${rss} KiB after the flood"
cpu() { awk '{ print $14 + $15 }' "/proc/$D/stat"; }
c0=$(cpu); t0=$(now_ms)
worst=0
for i in $(seq 20); do
	s=$(now_ms); ctl status >/dev/null; rc=$?; e=$(( $(now_ms) - s ))
	[ "$rc" = 3 ] || [ "$rc" = 0 ] || error "status exited $rc"
	[ "$e" -gt "$worst" ] && worst=$e
	sleep 0.1
done
c1=$(cpu); t1=$(now_ms)
hz=$(getconf CLK_TCK)
pct=$(( (c1 - c0) * 1000 * 100 / hz / (t1 - t0) ))
log "droverd over $((t1 - t0)) ms: ${pct}% CPU (ticker restarting, 20 status requests); slowest status ${worst} ms"
[ "$pct" -lt 25 ] || error "droverd used ${pct}% CPU with hostile listeners around"
[ "$worst" -lt 2000 ] || error "a status request took ${worst} ms"

# the good one got everything: its pool serials have no gap, and ticker's restarts keep coming
"$PY" - "$T/good.jsonl" <<'PY' || error "the well-behaved listener missed events"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
ps = [int(e["h"]["poolserial"]) for e in evs]
assert ps == list(range(len(ps))), ps[:50]
assert sum(1 for e in evs if "processname:ticker" in e["p"] and e["h"]["eventname"] == "PROCESS_STATE_EXITED") >= 3
PY
# restarting a hostile listener gives it a fresh start (it breaks the protocol again: counted
# again), and nothing of the old one stays open in droverd (the restarting ones stopped first)
ctl stop die ticker >/dev/null || error "stop die ticker failed"
fds0=$(fd_count "$D")
ctl restart garbage >/dev/null || error "restart garbage failed"
wait_for 10 eval "grep -c 'garbage: has entered the UNKNOWN state' '$DAEMON_LOG' | grep -qx 2"
fds1=$(fd_count "$D")
[ "$fds1" -le "$fds0" ] || error "droverd has $fds1 descriptors, had $fds0"
stop_daemon
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS"
pass
