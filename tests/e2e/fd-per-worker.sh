#!/bin/bash
# With both logs NONE a worker costs droverd one descriptor (its pidfd) and nothing more, however
# often it is spawned: 50 such processes crash and are respawned until 1000 spawns have been made;
# droverd's descriptors, sampled throughout, never exceed what it holds with no worker at all plus
# one per process plus a constant (a second spawn helper, spawns in flight), and are back within
# that constant at the end.
# timeout: 90
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:crash]
command = /bin/true
numprocs = 50
process_name = %(program_name)s_%(process_num)02d
startsecs = 0
autorestart = true
autostart = false
stdout_logfile = NONE
stderr_logfile = NONE
EOF2
start_daemon
base=$(fd_count "$DAEMON_PID")
log "droverd holds $base descriptors with no worker"
const=8
limit=$((base + 50 + const))

ctl start --no-wait 'crash:*' > /dev/null || fail "start crash:* failed"
spawns() { refresh_status && "$PY" -c '
import json, sys
print(sum(o["restarts"] + 1 for o in json.load(open(sys.argv[1])) if o.get("pid") or o["restarts"]))' "$STATUS_JSON"; }
max=0 n=0 end=$(($(now_ms) + 60000))
while :; do
	fds=$(fd_count "$DAEMON_PID")
	[ "$fds" -gt "$max" ] && max=$fds
	[ "$fds" -le "$limit" ] || { ls -l "/proc/$DAEMON_PID/fd" | tail -n 20; fail "droverd holds $fds descriptors (no worker: $base, limit $limit)"; }
	n=$((n + 1))
	if [ $((n % 10)) = 0 ]; then
		s=$(spawns)
		[ "$s" -ge 1000 ] && break
		[ "$(now_ms)" -lt "$end" ] || fail "only $s spawns in 60 s"
	fi
	sleep 0.01   # sampling pace
done
log "$s spawns, $n samples: at most $max descriptors (no worker $base, limit $limit)"
ctl stop 'crash:*' > /dev/null || fail "stop crash:* failed"
wait_for 10 eval '[ "$(fd_count "$DAEMON_PID")" -le $((base + const)) ]'
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || fail "zombies among droverd's children"
daemon_alive || fail "droverd died"
pass
