#!/bin/bash
# A worker that ignores SIGTERM is sent TERM (+CONT), then SIGKILLed after stopwaitsecs=2 (by
# droverd's own log times: 2 s to 2.5 s from its "stopping:" line to its "killing:" line);
# `droverctl stop` returns once it is reaped (not before 1.5 s; its own time, with droverctl's
# start-up on a loaded machine, is not judged beyond that), state STOPPED. With stopasgroup=true (which implies
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
	[ "$ms" -ge 1500 ] || fail "stop of $p returned after $(fmt_ms $ms)s, before stopwaitsecs (2 s) could pass"
	local esc
	esc=$(awk -v p="$p" -v pid="$pid" '
		function ms(t) { return ((substr(t, 12, 2) * 60 + substr(t, 15, 2)) * 60 + substr(t, 18, 2)) * 1000 + substr(t, 21, 3) }
		$4 == "stopping:" && $5 == p && $6 == "(pid" && $7 == pid ")" { t0 = ms($1) }
		$4 == "killing:" && $5 == p && $6 == "(pid" && $7 == pid ")" && t0 != "" { d = ms($1) - t0; if (d < 0) d += 86400000; print d; exit }' "$DAEMON_LOG")
	log "droverd: $p SIGKILLed ${esc:-?} ms after its SIGTERM"
	[ -n "$esc" ] && [ "$esc" -ge 2000 ] && [ "$esc" -le 2500 ] ||
		fail "$p: SIGKILL ${esc:-never} ms after SIGTERM by droverd's log, want 2 s to 2.5 s (stopwaitsecs=2)"
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
