#!/bin/bash
# Issue 4, test 7 + RELIABILITY T33: a worker truncates the scoreboard to 0 bytes 100 times, to
# 1 byte 20 times, and its own semaphore object to 0 bytes 100 times. droverd survives (no
# SIGBUS death), notices and restores each within 1 s (the helper measures it), supervision stays
# intact (a killed worker is restarted and reports), status answers throughout.
# timeout: 120
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker sb-truncate

write_config <<EOF
[program:w1]
command = $HELPERS/sb-worker -s one -i 20 -H
startsecs = 0
autorestart = true

[program:tshm]
command = $HELPERS/sb-truncate -m shm -n 100 -d $T/tshm.done
startsecs = 0
autostart = false

[program:tshm1]
command = $HELPERS/sb-truncate -m shm -z 1 -n 20 -d $T/tshm1.done
startsecs = 0
autostart = false

[program:tsem]
command = $HELPERS/sb-truncate -m sem -n 100 -d $T/tsem.done
startsecs = 0
autostart = false
EOF
start_daemon
size0=$(stat -c %s /dev/shm/"$NAME".scoreboard)
run_truncator() {
	local prog=$1
	ctl start "$prog" >/dev/null || fail "start $prog"
	while [ ! -s "$T/$prog.done" ]; do
		refresh_status || fail "status does not answer while $prog runs"
		daemon_alive || fail "droverd died"
		sleep 0.05
	done
	log "$prog: $(cat "$T/$prog.done")"
	grep -q '^ok ' "$T/$prog.done" || error "$prog: $(cat "$T/$prog.done")"
}
# The size before any truncator runs (they all start stopped: reading it is race-free).
wait_for 10 is_state w1 RUNNING
run_truncator tshm
run_truncator tshm1
run_truncator tsem
daemon_alive || fail "droverd died"
[ "$(stat -c %s /dev/shm/"$NAME".scoreboard)" = "$size0" ] || error "scoreboard size $(stat -c %s /dev/shm/"$NAME".scoreboard), want $size0"
grep -q "was truncated or resized" "$DAEMON_LOG" || error "no rebuild logged"
grep -q "semaphore .* was truncated" "$DAEMON_LOG" || error "no semaphore repair logged"

# Supervision intact: w1 (maybe restarted by SIGBUS meanwhile) is killed, comes back, reports.
wait_for 5 is_state w1 RUNNING
w1=$(last_field w1 pid)
kill -KILL "$w1"
wait_for 5 eval 'p=$(pid_of w1) && [ "$p" != "$w1" ] && [ "$p" != 0 ] && [ "$(last_field w1 state)" = RUNNING ]'
wait_for 5 eval '[[ "$(field_of w1 status)" == "one #"* ]]'
# The truncators themselves are still supervised.
for p in tshm tshm1 tsem; do [ "$(state_of $p)" = RUNNING ] || error "$p: $(last_field $p state)"; done
log "$(ctl status)"
pass
