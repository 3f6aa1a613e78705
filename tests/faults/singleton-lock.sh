#!/bin/bash
# Singleton lock hygiene (RELIABILITY T11, the part e2e/singleton.sh does not cover): droverd is
# SIGKILLed while a worker is SIGSTOPped and a setsid'd grandchild of another worker has escaped.
# The stopped worker dies anyway (PDEATHSIG SIGKILL), the escaped grandchild lives on; it holds no
# descriptor of the instance (lock, queue, scoreboard, run_dir), so it cannot block a new instance:
# the new droverd starts and answers (a held lock would make it exit at once; how long its start
# took is logged, not judged). In the new instance too, no worker holds the lock.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers fault-grandkids

write_config <<EOF2
[program:w]
command = /bin/sleep 1000
numprocs = 3
process_name = %(program_name)s_%(process_num)d
startsecs = 0

[program:launcher]
command = $HELPERS/fault-grandkids -n 2 -a 100000000 -m 100000000 -s -p $T/gk.log
startsecs = 0
EOF2
start_daemon
wait_for 10 all_in_state RUNNING "" 4
wait_for 5 eval '[ "$(grep -c ^start "$T/gk.log" 2>/dev/null)" = 2 ]'
escaped=$(awk '$1 == "start" { print $2 }' "$T/gk.log")
stopped=$(pid_of w_0)
kill -STOP "$stopped"
wait_for 2 eval '[ "$(proc_state '"$stopped"')" = T ]'
workers=$(_st names "$STATUS_JSON" | awk '{ print $2 }')

# holds_instance PID: print PID's descriptors that belong to the instance.
holds_instance() {
	local fd l
	for fd in /proc/"$1"/fd/*; do
		l=$(readlink "$fd" 2>/dev/null) || continue
		case $l in *"$NAME"*|"$RUN_DIR"*|/dev/shm/*) echo "$fd -> $l" ;; esac
	done
}
t0=$(now_ms)
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
workers_gone() { local p; for p in $workers; do proc_alive "$p" && return 1; done; return 0; }
wait_for 10 workers_gone
gone_ms=$(($(now_ms) - t0))
proc_alive "$stopped" && error "the SIGSTOPped worker $stopped survived droverd's death"
alive=0
for p in $escaped; do
	proc_alive "$p" && alive=$((alive + 1))
	h=$(holds_instance "$p")
	[ -z "$h" ] || error "escaped grandchild $p holds instance descriptors: $h"
done
[ "$alive" = 2 ] || error "the escaped grandchildren died too ($alive of 2 alive): the test did not test a survivor"

t0=$(now_ms)
start_daemon
ready_ms=$(($(now_ms) - t0))
wait_for 10 all_in_state RUNNING "" 4
held=0
for p in $(worker_pids); do
	h=$(holds_instance "$p")
	[ -z "$h" ] || { held=$((held + 1)); error "process $p holds instance descriptors: $h"; }
done
kill -KILL $escaped 2>/dev/null
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "new droverd exited $DAEMON_STATUS"
measured "old workers (one SIGSTOPped) gone $gone_ms ms after SIGKILL; $alive escaped grandchildren alive, holding no instance fd; new instance answered after $ready_ms ms; instance fds in workers: $held"
pass
