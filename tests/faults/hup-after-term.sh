#!/bin/bash
# SIGHUP during shutdown (issue 7 #9, RELIABILITY T16): SIGTERM, then SIGHUP 10 ms later (odd rounds)
# or 100 ms later (even rounds), 100 rounds (20 under ASan). Two workers take 150 ms to exit after
# their SIGTERM, so the SIGHUP lands in the middle of the shutdown. Before each SIGTERM the config
# file gets a new program z, so a reload applied during shutdown would show as a spawn. Each round:
# shutdown completes within stopwaitsecs + 1 = 2 s by droverd's own log times (under ASan 2 s
# more: its spawn helpers' exit), exit status 0, no spawn after SIGTERM (spawn log unchanged, z
# never started), no worker left, no SIGKILL needed. The issue asks 100 rounds; 50
# here (16 under ASan) keep make check within its budget, DROVER_FAULT_FULL=1 runs 100.
# Then 10 rounds (5 under ASan) where SIGTERM and SIGHUP are pending together (droverd SIGSTOPped,
# TERM, HUP, SIGCONT): shutdown must win, z must not be spawned, no SIGKILL needed. (Seen failing:
# libev runs pending signal watchers in signal-number order, so SIGHUP (1) is handled before SIGTERM
# (15): the reload spawns z, then the shutdown TERMs it right after its fork, before the child has
# reset the handlers it inherited from droverd, so it sometimes swallows the TERM and needs SIGKILL.)
# timeout: 240
. "$(dirname "$0")/lib.sh"
need_helpers fault-graceful

ROUNDS=$(scaled 50 16)
[ "${DROVER_FAULT_FULL:-0}" = 1 ] && ROUNDS=100
base() {
	cat <<EOF2
[program:a]
command = $HELPERS/fault-graceful -d 150 $T/spawn.log
numprocs = 2
process_name = %(program_name)s_%(process_num)d
startsecs = 0
stopwaitsecs = 1

[program:b]
command = /bin/sleep 1000
startsecs = 0
stopwaitsecs = 1
EOF2
}
worst=0 late=0 spawned_after=0 bad_exit=0
for i in $(seq 1 "$ROUNDS"); do
	base | write_config
	: > "$T/spawn.log"
	from=$(($(wc -l < "$DAEMON_LOG" 2>/dev/null || echo 0) + 1))
	start_daemon
	wait_for 10 all_in_state RUNNING "" 3
	wait_for 5 eval '[ "$(grep -c " start " "$T/spawn.log")" = 2 ]'
	n0=$(grep -c ' start ' "$T/spawn.log")
	{ base; printf '\n[program:z]\ncommand = %s %s\nstartsecs = 0\nstopwaitsecs = 1\n' "$HELPERS/fault-graceful" "$T/spawn.log"; } | write_config
	t0=$(now_ms)
	kill -TERM "$DAEMON_PID"
	if [ $((i % 2)) = 1 ]; then sleep 0.01; else sleep 0.1; fi   # the fault's timing: SIGHUP 10 / 100 ms after SIGTERM
	kill -HUP "$DAEMON_PID" 2>/dev/null
	try_for 15 _gone "$DAEMON_PID" || fail "round $i: droverd still running 15 s after SIGTERM (+SIGHUP)"
	ms=$(($(now_ms) - t0))
	wait "$DAEMON_PID"; DAEMON_STATUS=$?
	own=$(shutdown_ms "$from")
	[ "${own:-0}" -gt "$worst" ] && worst=$own
	[ -n "$own" ] && [ "$own" -le "$SHUTDOWN_MAX_MS" ] ||
		{ late=$((late + 1)); error "round $i: droverd's shutdown took ${own:-?} ms by its log (> $SHUTDOWN_MAX_MS ms; $ms ms to its exit)"; }
	[ "$DAEMON_STATUS" = 0 ] || { bad_exit=$((bad_exit + 1)); error "round $i: droverd exited $DAEMON_STATUS"; }
	n1=$(grep -c ' start ' "$T/spawn.log")
	[ "$n1" = "$n0" ] || { spawned_after=$((spawned_after + n1 - n0)); error "round $i: $((n1 - n0)) spawns after SIGTERM"; }
	no_workers_left || { error "round $i: workers left after shutdown: $(worker_pids | tr '\n' ' ')"; kill -KILL $(worker_pids) 2>/dev/null; }
	[ ${#ERRORS[@]} -le 10 ] || break
done
ignored=$(grep -c 'SIGHUP during shutdown' "$DAEMON_LOG")
paced_kills=$(grep -c 'killing: .*SIGKILL' "$DAEMON_LOG")
[ "$paced_kills" = 0 ] || error "SIGKILL needed in the paced rounds: $(grep 'killing:' "$DAEMON_LOG" | head -n 3 | tr '\n' ' ')"
# The SIGHUP must have landed during the shutdown in most rounds, or this tested nothing.
[ "$ignored" -ge $((ROUNDS / 2)) ] || error "only $ignored of $ROUNDS SIGHUPs arrived during a shutdown (droverd logs 'received SIGHUP during shutdown')"
# Both pending at once.
TOGETHER=$(scaled 10 5)
z_spawned=0 together_kills=0
for i in $(seq 1 "$TOGETHER"); do
	base | write_config
	from=$(($(wc -l < "$DAEMON_LOG") + 1))
	start_daemon
	wait_for 10 all_in_state RUNNING "" 3
	{ base; printf '\n[program:z]\ncommand = %s %s\nstartsecs = 0\nstopwaitsecs = 1\n' "$HELPERS/fault-graceful" "$T/spawn.log"; } | write_config
	kill -STOP "$DAEMON_PID"
	wait_for 2 eval '[ "$(proc_state "$DAEMON_PID")" = T ]'
	kill -TERM "$DAEMON_PID"
	kill -HUP "$DAEMON_PID"
	t0=$(now_ms)
	kill -CONT "$DAEMON_PID"
	try_for 15 _gone "$DAEMON_PID" || fail "together round $i: droverd still running 15 s after SIGTERM + SIGHUP"
	ms=$(($(now_ms) - t0))
	wait "$DAEMON_PID"; DAEMON_STATUS=$?
	[ "$DAEMON_STATUS" = 0 ] || error "together round $i: droverd exited $DAEMON_STATUS"
	tail -n "+$from" "$DAEMON_LOG" | grep -q "spawned: 'z'" && z_spawned=$((z_spawned + 1))
	tail -n "+$from" "$DAEMON_LOG" | grep -q 'killing: .*SIGKILL' && together_kills=$((together_kills + 1))
	no_workers_left || { error "together round $i: workers left"; kill -KILL $(worker_pids) 2>/dev/null; }
done
[ "$z_spawned" = 0 ] || error "SIGTERM and SIGHUP pending together: the reload ran first and spawned z after SIGTERM in $z_spawned of $TOGETHER rounds"
[ "$together_kills" = 0 ] || error "SIGTERM and SIGHUP pending together: SIGKILL needed in $together_kills of $TOGETHER rounds (a stop signal lost by a just-forked worker)"
measured "together (TERM+HUP pending at once): z spawned in $z_spawned/$TOGETHER, SIGKILL in $together_kills/$TOGETHER; paced $ROUNDS rounds: worst shutdown $worst ms (droverd's own), over $SHUTDOWN_MAX_MS ms $late, non-zero exits $bad_exit, spawns after SIGTERM $spawned_after; 'SIGHUP during shutdown: ignored' logged $ignored times"
pass
