#!/bin/bash
# A full request queue and priorities.
# droverd is SIGSTOPped; 9 `status w` requests are queued, then one `stop w` (queue: 10, full).
# - An 11th droverctl (--timeout 1) reports "busy" and exits 4 within its timeout, and its request
#   never got in (the queue still holds 10).
# - After SIGCONT the stop, queued last but sent at a higher priority, is executed first: each of
#   the 9 status replies, queued before it, already shows w STOPPING (exit 0, as supervisorctl) or
#   STOPPED (exit 3), never RUNNING; stop prints "w: stopped" and exits 0.
# timeout: 60
. "$(dirname "$0")/lib.sh"

need_helpers worker-sleep ctl-mq
MQ=$HELPERS/ctl-mq
QUEUE=/$NAME.ctl
BUSY_LIMIT_MS=2000
[ "$DROVER_SANITIZED" = 1 ] && BUSY_LIMIT_MS=3000
write_config <<EOF
[program:w]
command = $WSLEEP
startsecs = 0
stopwaitsecs = 5

[program:s]
command = /bin/sleep 1000
startsecs = 0
EOF
start_daemon
wait_for 10 all_in_state RUNNING "" 2
W_PID=$(pid_of w)
read -r _ maxmsg _ _ _ cur < <("$MQ" attr "$QUEUE") || fail "cannot read the attributes of $QUEUE"
log "$QUEUE: maxmsg $maxmsg, $cur queued"
[ "$maxmsg" = 10 ] || skip "the control queue holds $maxmsg messages (test written for msg_max = 10)"
curmsgs() { "$MQ" attr "$QUEUE" | awk '{ print $6 }'; }
queued() { [ "$(curmsgs)" = "$1" ]; }

# Make sure SIGCONT reaches droverd even if the test fails while it is stopped.
# shellcheck disable=SC2154 # _rc is set inside the trap
trap '_rc=$?; kill -CONT $DAEMON_PID 2>/dev/null; (exit $_rc); _cleanup' EXIT
kill -STOP "$DAEMON_PID"
wait_for 5 eval '[ "$(proc_state "$DAEMON_PID")" = T ]'
log "droverd stopped; queueing 9 status requests"
clients=()
for i in 1 2 3 4 5 6 7 8 9; do
	"$DROVERCTL" -n "$NAME" --timeout 30 --json status w > "$T/st.$i" 2> "$T/st.$i.err" &
	clients+=($!)
done
wait_for 10 queued 9
log "then stop w (high priority)"
"$DROVERCTL" -n "$NAME" --timeout 30 stop w --timeout 20 > "$T/stop.out" 2>&1 &
stopper=$!
wait_for 10 queued 10

log "queue full: droverctl --timeout 1 status"
t0=$(now_ms)
"$DROVERCTL" -n "$NAME" --timeout 1 status > "$T/busy.out" 2> "$T/busy.err"; rc=$?
dt=$(( $(now_ms) - t0 ))
log "exit $rc after $dt ms: $(cat "$T/busy.err")"
[ "$rc" = 4 ] || error "droverctl facing a full queue exited $rc, expected 4"
grep -q "busy" "$T/busy.err" || error "no 'busy' in droverctl's message: $(cat "$T/busy.err")"
[ "$dt" -ge 900 ] || error "droverctl gave up after $dt ms, before its 1 s timeout"
[ "$dt" -le "$BUSY_LIMIT_MS" ] || error "droverctl needed $dt ms to report busy (timeout 1 s, limit $BUSY_LIMIT_MS ms)"
[ ! -s "$T/busy.out" ] || error "busy droverctl printed on stdout: $(cat "$T/busy.out")"
"$DROVERCTL" -n "$NAME" --json --timeout 1 status > "$T/busy.out" 2> "$T/busy.err"; rc=$?
[ "$rc" = 4 ] || error "droverctl --json facing a full queue exited $rc, expected 4"
queued 10 || error "the queue holds $(curmsgs) messages after the busy clients, expected 10"
[ "$(proc_state "$DAEMON_PID")" = T ] || error "droverd is no longer stopped"
[ "$(proc_state "$W_PID")" != "" ] && proc_alive "$W_PID" || error "w died while droverd was stopped"

log "SIGCONT"
kill -CONT "$DAEMON_PID"
wait "$stopper"; src=$?
[ "$src" = 0 ] || error "stop w exited $src: $(cat "$T/stop.out")"
grep -qx 'w: stopped' "$T/stop.out" || error "stop w printed: $(cat "$T/stop.out")"
i=0
for p in "${clients[@]}"; do
	i=$((i + 1))
	wait "$p"; rc=$?
	st=$("$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d[0]["state"] if len(d) == 1 else "BAD:%r" % d)' "$T/st.$i" 2>&1)
	log "status client $i: exit $rc, w $st"
	case $st in
	STOPPING) [ "$rc" = 0 ] || error "status client $i saw w $st but exited $rc (expected 0)" ;;
	STOPPED) [ "$rc" = 3 ] || error "status client $i saw w $st but exited $rc (expected 3)" ;;
	RUNNING) error "status client $i, queued before the stop, saw w RUNNING: the stop was not executed first" ;;
	*) error "status client $i: exit $rc, reply '$st', stderr $(cat "$T/st.$i.err")" ;;
	esac
done
wait_for 5 _gone "$W_PID"
grep -q "stopping: w" "$DAEMON_LOG" || error "no 'stopping: w' in droverd's log"
ctl version > "$T/version"
cat "$T/version"
queued 0 || error "$(curmsgs) requests left in the queue"
ctl status > /dev/null; rc=$?
[ "$rc" = 3 ] || error "status after the test exited $rc (w is stopped: 3)"
pass
