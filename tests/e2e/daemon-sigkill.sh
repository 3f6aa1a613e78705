#!/bin/bash
# droverd SIGKILLed with 20 workers running: within 2 s no worker is alive (PR_SET_PDEATHSIG), also not
# one that ignores SIGTERM. Then a new droverd with the same name starts despite the stale IPC objects.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

write_config <<EOF2
[program:w]
command = /bin/sleep 1000
numprocs = 18
process_name = %(program_name)s_%(process_num)02d
startsecs = 0

[program:stubborn]
command = $WSLEEP -T
stopwaitsecs = 1
numprocs = 2
process_name = %(program_name)s_%(process_num)d
startsecs = 0
EOF2
start_daemon
wait_for 10 all_in_state RUNNING "" 20
[ "$(worker_pids | wc -l)" = 20 ] || fail "expected 20 workers, found $(worker_pids | wc -l)"

t0=$(now_ms)
kill -KILL "$DAEMON_PID"
wait_for 2 no_workers_left
log "all workers gone $(fmt_ms $(($(now_ms) - t0)))s after SIGKILL of droverd"
wait "$DAEMON_PID" 2>/dev/null
log "left behind: $(ipc_objects "$NAME" | tr '\n' ' ')"

log "restart with the same name"
start_daemon
wait_for 10 all_in_state RUNNING "" 20
stop_daemon TERM 10
[ "$DAEMON_STATUS" = 0 ] || fail "second droverd exited $DAEMON_STATUS"
pass
