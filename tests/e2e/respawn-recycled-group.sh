#!/bin/bash
# A respawn waits for what is left of the previous worker's process group, and only for that: a
# process group that merely has the same id later (the old worker's pid recycled by an unrelated
# process that called setsid) neither delays the next start nor draws the warning "leftovers of
# the previous worker are still alive". In a PID namespace of the test's own, the test itself
# places that unrelated process at the old pid (tests/helpers/pid-place).
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers pid-place worker-sleep
unshare --pid --fork --mount-proc --kill-child true 2>/dev/null || skip "unshare --pid --fork --mount-proc does not work here"
PLACE=$HELPERS/pid-place

write_config <<EOF
[program:x]
command = $WSLEEP -f $T/spawns -x 0 -a 200
autostart = false
autorestart = false
startsecs = 0
stopwaitsecs = 3
EOF
launch_daemon unshare --pid --fork --mount-proc --kill-child
wait_for 5 eval '[ -n "$(children_of "$DAEMON_PID")" ]'
inner=$(children_of "$DAEMON_PID")
DAEMON_PIDS+=("$inner")   # clean-up signals droverd itself: unshare does not pass SIGTERM on
CTL_PREFIX=(nsenter -t "$inner" -p -m)
wait_daemon_ready
in_ns() { nsenter -t "$inner" -p -m "$@"; }

ctl start x > /dev/null || fail "start x"
wait_for 5 is_state x EXITED
P=$(awk 'NR == 1 { print $1 }' "$T/spawns")
log "x ran as pid $P (in the namespace) and exited"
placed=
for i in 1 2 3 4 5; do
	rm -f "$T/squat"
	in_ns "$PLACE" -s -o "$T/squat" "$P" &
	wait_for 5 test -s "$T/squat"
	if grep -q "^placed $P $P\$" "$T/squat"; then placed=1; break; fi
	log "pid $P not taken: $(cat "$T/squat") (retrying)"
done
[ -n "$placed" ] || skip "could not place a process at pid $P"
t0=$(now_ms)
ctl start x > /dev/null || error "second start of x failed"
wait_for 10 eval '[ "$(wc -l < "$T/spawns")" -ge 2 ]'
log "second spawn $(( $(now_ms) - t0 )) ms after the start request"
grep -q "leftovers of the previous worker are still alive" "$DAEMON_LOG" &&
	error "the start of x waited for an unrelated process group that has the old worker's pid as its id"
grep -q "^TERM $P" "$T/squat" && error "the unrelated process $P was signalled"
pass
