#!/bin/bash
# Issue 4, test 5 + RELIABILITY T32, across slots: a rogue worker overwrites its whole scoreboard
# object and every other worker's it can open (as root: all of them, through /proc/PID/fd; their
# header and slot) with random bytes and structured lies (pid 1, droverd's pid, -1; states out of
# range; unterminated lines; odd sequence counters; wrong generations) 1000 times. droverd stays
# up, kills nobody, answers status with the slots marked invalid; the honest workers heal their
# slots with their next writes and are still supervised (one is killed: it is restarted and
# reports again). The same rogue running as another user (nobody) reaches no other slot.
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker sb-rogue
id nobody > /dev/null 2>&1 || skip "no user nobody"
chmod 711 "$T"
mkdir -m 1777 "$T/pub"

write_config <<EOF
[program:rogue]
command = $HELPERS/sb-rogue -a -n 1000 -d $T/rogue.done
startsecs = 0
autostart = false

[program:outsider]
command = $HELPERS/sb-rogue -a -n 100 -d $T/pub/outsider.done
user = nobody
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
wait_for 10 eval 'is_state rogue RUNNING && is_state w1 RUNNING && is_state w2 RUNNING'
rogue=$(pid_of rogue); w1=$(last_field w1 pid); w2=$(last_field w2 pid)
# status keeps answering while the rogue works
while [ ! -e "$T/rogue.done" ]; do
	refresh_status || fail "status does not answer during the overwrites"
	daemon_alive || fail "droverd died"
	[ "$(now_ms)" -lt $((_T0 / 1000 + 60000)) ] || fail "rogue never finished"
	sleep 0.05
done
log "rogue done: $(cat "$T/rogue.done")"
grep -q "others 2 " "$T/rogue.done" || error "the root rogue reached $(cat "$T/rogue.done") (want both other workers)"
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
wait_for 5 eval '[ "$(field_of w1 slot_bad)" = false ] && [[ "$(last_field w1 status)" == "one #"* ]]'

# Still supervised: kill w1, it comes back and reports.
kill -KILL "$w1"
wait_for 5 eval 'p=$(pid_of w1) && [ "$p" != "$w1" ] && [ "$p" != 0 ] && [ "$(last_field w1 state)" = RUNNING ]'
wait_for 5 eval '[[ "$(field_of w1 status)" == "one #"* ]]'
grep -q "holds invalid data" "$DAEMON_LOG" || error "invalid slot data was not logged"

# As another user: its own object only.
ctl start outsider > /dev/null || fail "start outsider"
wait_for 10 test -s "$T/pub/outsider.done"
log "outsider (nobody): $(cat "$T/pub/outsider.done")"
grep -q "^own 1 others 0 " "$T/pub/outsider.done" || error "a worker running as nobody reached other slots: $(cat "$T/pub/outsider.done")"
wait_for 5 eval '[ "$(field_of outsider slot_bad)" = true ]'
[ "$(field_of w2 slot_bad)" = false ] || error "w2's slot went bad while only the outsider scribbled"
n=$(grep -c "holds invalid data" "$DAEMON_LOG")
[ "$n" -le 20 ] || error "invalid-slot log not rate-limited: $n lines"
daemon_alive || fail "droverd died"
log "$(ctl status)"
pass
