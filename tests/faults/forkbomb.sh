#!/bin/bash
# Fork bomb containment (RELIABILITY T13): worker A is a fork bomb under a uid of its own with
# RLIMIT_NPROC 128 (prlimit + setpriv in its command). While it sits at its limit: droverd answers
# every one of 30 control round trips (their times, before and during the bomb, are logged, not
# judged: a bomb forking flat out on 2 CPUs slows droverctl's own start-up by hundreds of ms,
# and so does any other test running beside this one), restarting another worker works, droverd
# never fails a fork of its own; after `droverctl stop A` every process of the bomb is gone within 5 s
# (stopwaitsecs 2 + killtree), although it keeps forking while being killed.
# timeout: 120
. "$(dirname "$0")/lib.sh"
need_helpers fault-forkbomb
command -v setpriv > /dev/null && command -v prlimit > /dev/null || skip "setpriv or prlimit missing (util-linux)"
U=
for u in $((66000 + $$ % 3000)) $((69000 + RANDOM % 1000)); do
	[ -z "$(pgrep -U "$u")" ] && ! getent passwd "$u" > /dev/null && { U=$u; break; }
done
[ -n "$U" ] || skip "no unused uid found"
bomb_pids() { pgrep -U "$U"; }
FAULT_CLEANUP+=('p=$(bomb_pids); [ -z "$p" ] || kill -KILL $p')

write_config <<EOF2
[program:bomb]
command = prlimit --nproc=128:128 setpriv --reuid=$U --regid=$U --clear-groups $HELPERS/fault-forkbomb -i 20 -t 60
startsecs = 0
autostart = false
autorestart = false
stopwaitsecs = 2

[program:victim]
command = /bin/sleep 1000
startsecs = 0
EOF2
start_daemon
wait_for 10 all_in_state RUNNING victim 1
round_trips() { # OUT: 30 `droverctl status` round trips, ms each
	local i t0 rc
	: > "$1"
	for i in $(seq 1 30); do
		t0=$(now_us)
		ctl status > /dev/null 2>&1; rc=$?
		[ "$rc" = 0 ] || [ "$rc" = 3 ] || error "droverctl status failed ($rc)"
		echo $((($(now_us) - t0) / 1000)) >> "$1"
	done
}
round_trips "$T/rt.before"
before=$(sort -n "$T/rt.before" | tail -n 1)
ctl start --no-wait bomb > /dev/null || error "start bomb failed"
wait_for 10 eval '[ "$(bomb_pids | wc -l)" -ge 120 ]'
log "bomb at $(bomb_pids | wc -l) processes of uid $U"

round_trips "$T/rt.during"
max=$(sort -n "$T/rt.during" | tail -n 1)
bpid=$(pid_of victim)
ctl restart victim > /dev/null || error "restart victim failed during the bomb"
[ "$(field_of victim state)" = RUNNING ] && [ "$(last_field victim pid)" != "$bpid" ] || error "victim was not restarted: $(last_field victim state) pid $(last_field victim pid)"
size=$(bomb_pids | wc -l)

t0=$(now_ms)
ctl stop bomb > /dev/null || error "droverctl stop bomb failed"
try_for 5 eval '[ -z "$(bomb_pids)" ]' || error "$(bomb_pids | wc -l) processes of the bomb alive 5 s after stop"
gone_ms=$(($(now_ms) - t0))
grep -q 'fork: Resource temporarily unavailable' "$DAEMON_LOG" && error "droverd's own fork failed during the bomb"
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || wait_for 2 eval '[ "$(count_zombies_of "$DAEMON_PID")" = 0 ]'
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS"
measured "bomb of $size processes (RLIMIT_NPROC 128, uid $U): slowest of 30 status round trips $before ms before, $max ms during; restart of victim ok; bomb gone $gone_ms ms after stop"
pass
