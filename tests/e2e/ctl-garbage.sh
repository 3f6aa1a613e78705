#!/bin/bash
# 10,000 malformed messages (2,000 under ASan) written straight
# into /NAME.ctl by tests/helpers/mq-garbage (random bytes of random length up to the queue's
# message size, valid headers with lying lengths, wrong version, bad magic, out-of-range types,
# unterminated strings, bad and non-existent reply queues). Afterwards droverd is alive, every
# worker keeps its pid (none restarted), the bad-message counter of `droverctl version` grew by
# exactly the number sent (each is counted; none names a reply queue that exists, so none is
# answered), and a valid `status` is answered within 100 ms (the watcher was never disabled;
# timed by tests/helpers/ctl-rtt from the send to the last reply fragment).
# timeout: 90
. "$(dirname "$0")/lib.sh"

need_helpers mq-garbage worker-sleep ctl-rtt
COUNT=10000
[ "$DROVER_SANITIZED" = 1 ] && COUNT=2000
LIMIT_MS=100
write_config <<EOF
[program:w]
command = $WSLEEP
numprocs = 4
process_name = w_%(process_num)d
startsecs = 0

[program:s]
command = /bin/sleep 1000
startsecs = 0
EOF
start_daemon
wait_for 10 all_in_state RUNNING "" 5
names_pids > "$T/before"
cp "$STATUS_JSON" "$T/before.json"

# counter KEY: a field of the "control ..." line of `droverctl version`.
counter() {
	ctl version 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1=//p"
}
bad0=$(counter bad)
rcv0=$(counter received)
ans0=$(counter bad_answered)
[ -n "$bad0" ] && [ -n "$rcv0" ] || fail "no counters in 'droverctl version': $(ctl version 2>&1)"

SEED=${DROVER_GARBAGE_SEED:-$(( $$ % 100000 ))}
log "writing $COUNT malformed messages into /$NAME.ctl (seed $SEED)"
"$HELPERS/mq-garbage" "/$NAME.ctl" "$COUNT" "$SEED" > "$T/garbage.out" 2>&1 &
gpid=$!
# A valid request in the middle of the flood is answered too (it competes with the garbage for
# room in the queue, so allow droverctl its default timeout).
ctl --timeout 10 status > "$T/mid.out" 2>&1; rc=$?
[ "$rc" = 0 ] || error "status during the flood exited $rc: $(head -c 300 "$T/mid.out")"
wait "$gpid"; grc=$?
cat "$T/garbage.out"
[ "$grc" = 0 ] || fail "mq-garbage exited $grc"
sent=$(sed -n 's/^sent //p' "$T/garbage.out")
[ "$sent" = "$COUNT" ] || fail "mq-garbage sent '$sent' of $COUNT"

# The first valid request after the flood (the queue may still hold the last garbage messages):
# its round trip, request sent to reply read, by tests/helpers/ctl-rtt (no process start-up).
"$HELPERS/ctl-rtt" "/$NAME.ctl" 1 0 > "$T/rtt" 2> "$T/rtt.err"; rc=$?
dt=$(( $(cat "$T/rtt" 2>/dev/null || echo 999999999) / 1000 ))
log "first status request after the flood: exit $rc, round trip $(cat "$T/rtt") us"
[ "$rc" = 0 ] || error "status request after the flood failed: $(cat "$T/rtt.err")"
[ "$dt" -le "$LIMIT_MS" ] || error "status request after the flood took $dt ms (limit $LIMIT_MS ms)"
ctl status > "$T/after.out" 2>&1; rc=$?
[ "$rc" = 0 ] || error "droverctl status after the flood exited $rc: $(head -c 300 "$T/after.out")"
daemon_alive || fail "droverd died during the flood"

names_pids > "$T/after"
diff "$T/before" "$T/after" > /dev/null || error "workers changed: before: $(tr '\n' ' ' < "$T/before"); after: $(tr '\n' ' ' < "$T/after")"
"$PY" - "$T/before.json" "$STATUS_JSON" <<'PYEOF' || error "restart counters changed during the flood"
import json, sys
a = {o["name"]: o["restarts"] for o in json.load(open(sys.argv[1]))}
b = {o["name"]: o["restarts"] for o in json.load(open(sys.argv[2]))}
sys.exit(0 if a == b else 1)
PYEOF
while read -r n pid _; do
	proc_alive "$pid" || error "$n: pid $pid is gone"
done < "$T/after"

ctl version > "$T/version" 2>&1
cat "$T/version"
bad1=$(tr ' ' '\n' < "$T/version" | sed -n 's/^bad=//p')
rcv1=$(tr ' ' '\n' < "$T/version" | sed -n 's/^received=//p')
ans1=$(tr ' ' '\n' < "$T/version" | sed -n 's/^bad_answered=//p')
log "bad $bad0 -> $bad1, received $rcv0 -> $rcv1, bad_answered $ans0 -> $ans1"
[ $((bad1 - bad0)) = "$COUNT" ] || error "bad-message counter grew by $((bad1 - bad0)), $COUNT were sent"
# Received: the garbage plus our own valid requests.
[ $((rcv1 - rcv0)) -ge "$COUNT" ] || error "received grew by $((rcv1 - rcv0)) < $COUNT"
# None of the garbage names an existing reply queue of this instance: nothing may be answered.
[ "$ans1" = "$ans0" ] || error "bad_answered grew $ans0 -> $ans1 although no garbage names a live reply queue"
# The log is rate-limited: a flood must not write thousands of lines.
nlog=$(grep -c 'control:' "$DAEMON_LOG")
log "droverd logged $nlog control lines for $COUNT bad messages"
[ "$nlog" -lt 200 ] || error "droverd logged $nlog lines about bad requests (rate limit?)"
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || error "zombies among droverd's children"
pass
