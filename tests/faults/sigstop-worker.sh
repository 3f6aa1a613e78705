#!/bin/bash
# A SIGSTOPped worker (RELIABILITY T06, compressed): (a) `kill -STOP` for 3 s: no restart, same pid,
# still RUNNING (a stopped process has not exited); (b) `droverctl stop` on a SIGSTOPped worker that
# handles SIGTERM: droverd sends TERM and CONT, the worker sees both and exits before stopwaitsecs, no
# SIGKILL is needed (stopwaitsecs = 5; droverd logs no "killing ... SIGKILL").
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers fault-graceful

write_config <<EOF2
[program:g]
command = $HELPERS/fault-graceful $T/sig.log
startsecs = 0
stopwaitsecs = 5

[program:other]
command = /bin/sleep 1000
startsecs = 0
EOF2
start_daemon
wait_for 10 all_in_state RUNNING "" 2
pid=$(pid_of g)
other=$(pid_of other)

# (a) stopped for 3 s: nothing happens to it.
kill -STOP "$pid"
wait_for 10 eval '[ "$(proc_state '"$pid"')" = T ]'
same() { refresh_status > /dev/null && [ "$(last_field g pid)" = "$pid" ] && [ "$(last_field g state)" = RUNNING ] && [ "$(last_field g restarts)" = 0 ]; }
hold_for 3 same
shown=$(last_field g status; last_field g description)
kill -CONT "$pid"
log "(a) worker $pid stopped 3 s: still RUNNING, 0 restarts (status line while stopped: '$(echo $shown)')"

# (b) stop it while it is stopped.
kill -STOP "$pid"
wait_for 10 eval '[ "$(proc_state '"$pid"')" = T ]'
: > "$T/sig.log"
t0=$(now_ms)
ctl stop g > /dev/null || error "droverctl stop g failed"
ms=$(($(now_ms) - t0))
_gone "$pid" || error "worker $pid still alive after droverctl stop returned"
got=$(awk -v p="$pid" '$1 == p { print $2 }' "$T/sig.log" | sort -u | tr '\n' ' ')
case $got in *TERM*) ;; *) error "the stopped worker never saw SIGTERM (got: $got)" ;; esac
case $got in *CONT*) ;; *) error "the stopped worker never got SIGCONT (got: $got)" ;; esac
# well before its stopwaitsecs, with no SIGKILL (below): the SIGCONT woke it (the time holds
# droverctl's start-up: not judged closer)
[ "$ms" -lt 4500 ] || error "stopping a SIGSTOPped worker took $ms ms (stopwaitsecs 5 s: SIGCONT missing?)"
grep -q 'killing: .*g.*SIGKILL' "$DAEMON_LOG" && error "droverd needed SIGKILL: $(grep 'killing:' "$DAEMON_LOG" | head -n 1)"
[ "$(field_of g state)" = STOPPED ] || error "g is $(last_field g state), want STOPPED"
[ "$(last_field g exitstatus)" = 0 ] || log "note: exitstatus of g is $(last_field g exitstatus)"
[ "$(pid_of other)" = "$other" ] || error "the other worker was disturbed"
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS"
measured "(a) 3 s SIGSTOP: 0 restarts, RUNNING; (b) stop of a stopped worker: signals seen [$got], exited in $ms ms, no SIGKILL"
pass
