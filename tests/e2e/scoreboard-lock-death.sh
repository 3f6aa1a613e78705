#!/bin/bash
# Issue 4, test 4 + RELIABILITY T30: lock holders that die. Four workers update their slots in a
# tight loop; one is SIGKILLed 200 times at random moments (restarted each time): the other three
# never stall for more than 1 s (counters keep rising), the daemon answers `status` throughout,
# semaphore values stay in {0,1}. Then workers that die while holding their slot's lock, recorded
# as holder or not (killed between sem_wait and recording itself), mid-write: each next
# incarnation gets the lock within 1 s (droverd recovered it after reaping the holder).
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
command = $HELPERS/sb-lockhold -f $T/lh.events
startsecs = 0
autorestart = true

[program:lhu]
command = $HELPERS/sb-lockhold -u -s -f $T/lhu.events
startsecs = 0
autorestart = true
EOF
start_daemon
wait_for 10 all_in_state RUNNING "" 6

counter0() { local c; c=$(last_field "$1" counters); c=${c#[}; c=${c%%[],]*}; echo "${c:-0}"; }
sems_ok() {
	"$PY" - "$NAME" <<'PY'
import glob, struct, sys
bad = []
for f in glob.glob("/dev/shm/sem.%s.sb.*" % sys.argv[1]):
    with open(f, "rb") as fh:
        b = fh.read(8)
    if len(b) == 8 and (struct.unpack("<Q", b)[0] & 0xffffffff) not in (0, 1):
        bad.append(f)
print(" ".join(bad))
sys.exit(1 if bad else 0)
PY
}

declare -A last last_t
refresh_status || fail "no status"
for w in w1 w2 w3; do last[$w]=$(counter0 $w); last_t[$w]=$(now_ms); done
# The issue asks for 200 kills; make check runs 100 (40 under ASan) to stay inside its time
# budget with this test running alone; DROVER_LOCK_KILLS=200 runs the full count.
KILLS=${DROVER_LOCK_KILLS:-$([ "$DROVER_SANITIZED" = 1 ] && echo 40 || echo 100)}
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
	[ $((kills % 25)) = 0 ] && { sems_ok >/dev/null || fail "semaphore value out of {0,1}: $(sems_ok)"; }
done
log "$KILLS kills of w0; longest pause of w1..w3 ${worst} ms; $(ctl status w0)"
refresh_status
[ "$(last_field w0 restarts)" -ge "$KILLS" ] || error "w0 restarts $(last_field w0 restarts)"
c=$(counter0 w0)
wait_for 3 eval 'refresh_status && [ "$(counter0 w0)" != "$c" ]'   # its last incarnation reports
sems_ok >/dev/null || error "semaphore value out of {0,1}: $(sems_ok)"

# Holders that die with the lock: 20 kills each; every next incarnation gets the lock.
for prog in lh lhu; do
	for i in $(seq 1 $([ "$DROVER_SANITIZED" = 1 ] && echo 8 || echo 20)); do
		wait_for 5 eval 'p=$(pid_of '$prog') && grep -q "^locked $p\$" "$T/'$prog'.events"'
		kill -KILL "$(last_field $prog pid)"
		wait_for 5 eval 'q=$(pid_of '$prog') && [ "$q" != "$p" ] && [ "$q" != 0 ]'
	done
	wait_for 5 eval 'p=$(pid_of '$prog') && grep -q "^locked $p\$" "$T/'$prog'.events"'
	grep -q "^stuck" "$T/$prog.events" && error "$prog: an incarnation could not get the lock: $(grep -c stuck "$T/$prog.events") times"
	log "$prog: $(grep -c ^locked "$T/$prog.events") incarnations each got the lock"
done
grep -q "lh: died holding its scoreboard lock" "$DAEMON_LOG" || error "no recovery logged for lh"
grep -q "lhu: scoreboard lock .* left held" "$DAEMON_LOG" || error "no replacement logged for lhu"
daemon_alive || fail "droverd died"
pass
