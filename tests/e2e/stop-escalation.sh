#!/bin/bash
# A worker that ignores SIGTERM is sent TERM (+CONT), then SIGKILLed after stopwaitsecs=2 (±0.5 s);
# `droverctl stop` returns once it is reaped, state STOPPED. With stopasgroup=true (which implies
# killasgroup, as in supervisord) its grandchildren, which ignore SIGTERM too, die as well.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

write_config <<EOF2
[program:stubborn]
command = $WSLEEP -T -l $T/sig.stubborn
startsecs = 0
stopwaitsecs = 2
autorestart = true

[program:tree]
command = $WSLEEP -T -l $T/sig.tree -g 3 -p $T/tree.children
startsecs = 0
stopwaitsecs = 2
stopasgroup = true
autorestart = true
EOF2
start_daemon
wait_for 10 all_in_state RUNNING "" 2
wait_for 5 eval '[ "$(wc -l < "$T/tree.children" 2>/dev/null)" = 3 ]'

# stop_timed PROC: stop PROC, check the time it took and the outcome.
stop_timed() {
	local p=$1 pid t0 t1 ms rc
	pid=$(pid_of "$p")
	proc_alive "$pid" || fail "$p: pid $pid not alive before stop"
	t0=$(now_ms)
	ctl stop "$p"; rc=$?
	t1=$(now_ms)
	ms=$((t1 - t0))
	log "droverctl stop $p: exit $rc after $(fmt_ms $ms)s"
	[ "$rc" = 0 ] || fail "droverctl stop $p exited $rc"
	[ "$ms" -ge 1500 ] && [ "$ms" -le 2500 ] || fail "stop of $p took $(fmt_ms $ms)s, want 2s ±0.5s (stopwaitsecs=2)"
	# stop returned: the worker is reaped already (not even a zombie) and the state is STOPPED.
	[ -e "/proc/$pid" ] && fail "$p: pid $pid still exists (state $(proc_state "$pid")) after stop returned"
	is_state "$p" STOPPED || fail "$p: state $(last_field "$p" state) after stop, want STOPPED"
	grep -q " TERM " "$T/sig.$p" || fail "$p never received SIGTERM"
	cat "$T/sig.$p"
}

stop_timed stubborn
stop_timed tree
for c in $(cat "$T/tree.children"); do
	wait_for 2 eval "! [ -e /proc/$c ]"
done
log "grandchildren $(tr '\n' ' ' < "$T/tree.children")gone"
no_workers_left || fail "processes of the instance still alive: $(worker_pids)"
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || fail "zombies among droverd's children"
# Stopped means stopped: autorestart does not bring them back.
hold_for 1 eval 'is_state stubborn STOPPED && is_state tree STOPPED'
pass
