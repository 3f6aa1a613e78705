#!/bin/bash
# Issue 4, test 5 + RELIABILITY T32: a rogue worker overwrites the whole scoreboard (header, every
# slot) with random bytes and structured lies (pid 1, droverd's pid, -1; states out of range;
# unterminated lines; odd sequence counters) 1000 times. droverd stays up, kills nobody, answers
# status with the rogue's slot marked invalid; the other workers are still supervised (one is
# killed: it is restarted and reports again).
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker sb-rogue

write_config <<EOF
[program:rogue]
command = $HELPERS/sb-rogue -n 1000 -d $T/rogue.done
startsecs = 0
autostart = false

[program:w1]
command = $HELPERS/sb-worker -s one -i 20 -H
startsecs = 0
autorestart = true

[program:w2]
command = $HELPERS/sb-worker -s two -i 20 -H
startsecs = 0
EOF
start_daemon
# The honest workers attach first (a worker that attaches while the header is garbage gets an
# error from libdrover, and this helper exits on errors).
wait_for 10 eval '[[ "$(field_of w1 status)" == "one #"* ]] && [[ "$(last_field w2 status)" == "two #"* ]]'
ctl start rogue >/dev/null || fail "start rogue"
wait_for 10 all_in_state RUNNING "" 3
rogue=$(pid_of rogue); w1=$(last_field w1 pid); w2=$(last_field w2 pid)
# status keeps answering while the rogue works
while [ ! -e "$T/rogue.done" ]; do
	refresh_status || fail "status does not answer during the overwrites"
	daemon_alive || fail "droverd died"
	[ "$(now_ms)" -lt $((_T0 / 1000 + 60000)) ] || fail "rogue never finished"
	sleep 0.05
done
log "rogue done"
refresh_status || fail "no status after the rogue"
for p in rogue w1 w2; do
	[ "$(last_field $p state)" = RUNNING ] || error "$p: $(last_field $p state)"
done
[ "$(last_field rogue pid)" = "$rogue" ] && [ "$(last_field w1 pid)" = "$w1" ] && [ "$(last_field w2 pid)" = "$w2" ] ||
	error "a pid changed: nobody may have been killed"
wait_for 5 eval '[ "$(field_of rogue slot_bad)" = true ]'
ctl status rogue | grep -q "scoreboard slot invalid" || error "table does not mark the rogue's slot: $(ctl status rogue)"
# The honest workers' slots heal with their next write.
wait_for 5 eval '[ "$(field_of w2 slot_bad)" = false ] && [[ "$(last_field w2 status)" == "two #"* ]]'

# Still supervised: kill w1, it comes back and reports.
kill -KILL "$w1"
wait_for 5 eval 'p=$(pid_of w1) && [ "$p" != "$w1" ] && [ "$p" != 0 ] && [ "$(last_field w1 state)" = RUNNING ]'
wait_for 5 eval '[[ "$(field_of w1 status)" == "one #"* ]]'
grep -q "holds invalid data" "$DAEMON_LOG" || error "invalid slot data was not logged"
n=$(grep -c "holds invalid data" "$DAEMON_LOG")
[ "$n" -le 20 ] || error "invalid-slot log not rate-limited: $n lines"
daemon_alive || fail "droverd died"
log "$(ctl status)"
pass
