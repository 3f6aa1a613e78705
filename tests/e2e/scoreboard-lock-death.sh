#!/bin/bash
# Issue 4, test 4 + RELIABILITY T30: lock holders that die. Four workers update their slots in a
# tight loop; one is SIGKILLed 200 times at random moments (restarted each time): the other three
# never stall for more than 1 s (counters keep rising), the daemon answers `status` throughout.
# Then, inside one worker's tree, children that die holding the slot's lock (also mid-write): the
# worker's next report gets the lock at once (robust mutex: EOWNERDEAD) and its data whole; and a
# child that holds it stopped: the worker's report gives up after the 100 ms bound, it does not
# wait for the child.
# timeout: 300
# exclusive (four workers spin on both cores for minutes; the 1 s stall criterion needs the CPUs)
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker sb-lockhold

write_config <<EOF
[program:w]
command = $HELPERS/sb-worker -t -s tight
numprocs = 4
process_name = w%(process_num)d
startsecs = 0
autorestart = true
; w0 is killed within a second of its spawn over and over: restart it at once, not once a second
respawn_interval = 0

[program:lh]
command = $HELPERS/sb-lockhold -n 20 -f $T/lh.events
startsecs = 0

[program:lhs]
command = $HELPERS/sb-lockhold -n 20 -s -f $T/lhs.events
startsecs = 0
EOF
start_daemon
wait_for 10 all_in_state RUNNING "" 6

counter0() { local c; c=$(last_field "$1" counters); c=${c#[}; c=${c%%[],]*}; echo "${c:-0}"; }

declare -A last last_t
refresh_status || fail "no status"
for w in w1 w2 w3; do last[$w]=$(counter0 $w); last_t[$w]=$(now_ms); done
# The full measure is 200 kills (DROVER_LOCK_KILLS=200). make check runs 30 (15 under ASan): the
# test runs alone with four workers spinning on both CPUs, the largest share of the suite's CPU
# time, and each kill lands at a random moment of the update loop all the same.
KILLS=${DROVER_LOCK_KILLS:-$([ "$DROVER_SANITIZED" = 1 ] && echo 15 || echo 30)}
kills=0 worst=0
while [ $kills -lt "$KILLS" ]; do
	pid=$(last_field w0 pid)
	if [ -n "$pid" ] && [ "$pid" != 0 ] && [ "$(last_field w0 state)" = RUNNING ]; then
		# a random moment inside its update loop (randomisation, not synchronisation)
		sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
		kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
		try_for 5 eval 'refresh_status && p=$(last_field w0 pid) && [ "$p" != "$pid" ] && [ "$p" != 0 ]' ||
			fail "w0 not restarted after kill $kills"
	else
		refresh_status || fail "status does not answer (kill $kills)"
	fi
	now=$(now_ms)
	for w in w1 w2 w3; do
		c=$(counter0 $w)
		if [ "$c" -gt "${last[$w]}" ]; then
			last[$w]=$c; last_t[$w]=$now
		elif [ $((now - last_t[$w])) -gt $worst ]; then
			worst=$((now - last_t[$w]))
		fi
		[ $((now - last_t[$w])) -le 1000 ] || fail "$w stalled: counter ${last[$w]} for $((now - last_t[$w])) ms (kill $kills)"
	done
done
log "$KILLS kills of w0; longest pause of w1..w3 ${worst} ms; $(ctl status w0)"
refresh_status
[ "$(last_field w0 restarts)" -ge "$KILLS" ] || error "w0 restarts $(last_field w0 restarts)"
c=$(counter0 w0)
wait_for 3 eval 'refresh_status && [ "$(counter0 w0)" != "$c" ]'   # its last incarnation reports

# Holders that die with the lock, in a worker's own tree: 20 each (plain, mid-write); then one
# that stops while it holds it.
for prog in lh lhs; do
	wait_for 30 eval 'grep -qE "^(done|failed)" "$T/'$prog'.events"'
	log "$prog: $(grep -c ^recovered "$T/$prog.events") deaths recovered; $(grep -E "^(stalled|done|failed)" "$T/$prog.events" | tr '\n' ';')"
	grep -q "^failed" "$T/$prog.events" && error "$prog: $(grep "^failed" "$T/$prog.events")"
	read -r _ n worst < <(grep "^done" "$T/$prog.events")
	[ "${n:-0}" = 20 ] || error "$prog: $(grep -c ^recovered "$T/$prog.events") of 20 deaths recovered"
	[ "${worst:-9999}" -le 1000 ] || error "$prog: a report after a holder's death took $worst ms (limit 1 s)"
	read -r _ ms err < <(grep "^stalled" "$T/$prog.events")
	[ "${err:-0}" = 110 ] || error "$prog: a report while the holder was stopped ended with errno ${err:-?}, want ETIMEDOUT"
	[ "${ms:-9999}" -le "$([ "$DROVER_SANITIZED" = 1 ] && echo 1000 || echo 600)" ] ||
		error "$prog: a report waited ${ms} ms for a stopped holder (bound 100 ms)"
done
daemon_alive || fail "droverd died"
pass
