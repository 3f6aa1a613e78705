#!/bin/bash
# Issue 4, test 3: heartbeat_timeout = 1. A worker that stops heartbeating (and keeps running) is
# logged and restarted; one that heartbeats is left alone for 10 s. When the stale worker was found
# out is droverd's own figure (its log line says how long ago the last heartbeat was): never before
# heartbeat_timeout, and within a second after it (the sweep runs every heartbeat_timeout / 4). The
# time the test itself takes to see the new pid is not judged: on a loaded machine each of its
# status polls, and the spawn of the new worker, take their own time.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker

write_config <<EOF
[program:stale]
command = $HELPERS/sb-worker -H -i 100 -S 1000 -f $T/stale.events
heartbeat_timeout = 1
startsecs = 0
stopwaitsecs = 2

[program:good]
command = $HELPERS/sb-worker -H -i 100
heartbeat_timeout = 1
startsecs = 0
EOF
start_daemon
wait_for 10 all_in_state RUNNING "" 2
good=$(pid_of good)

# The first incarnation stops heartbeating after 1 s: found out and replaced.
wait_for 10 eval '[ -s "$T/stale.events" ]'
read -r _ pid0 _ < "$T/stale.events"
wait_for 20 eval 'p=$(pid_of stale) && [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pid0" ]'
line=$(grep -m 1 "stale: heartbeat stale" "$DAEMON_LOG") || fail "no 'heartbeat stale' log line"
log "droverd: ${line#* droverd: }"
ago=$(echo "$line" | sed -n 's/.*heartbeat stale (last \([0-9.]*\) s ago.*/\1/p')
[ -n "$ago" ] || fail "no 'last N s ago' in droverd's line: $line"
awk -v a="$ago" 'BEGIN { exit !(a >= 1.0 && a <= 2.0) }' ||
	error "stale worker found out $ago s after its last heartbeat, want 1.0 to 2.0 s (heartbeat_timeout 1 s)"

# The heartbeating worker keeps its pid for 10 s (the stale one keeps being restarted meanwhile).
hold_for 10 eval '[ "$(pid_of good)" = "$good" ] && [ "$(last_field good state)" = RUNNING ]'
[ "$(last_field good restarts)" = 0 ] || error "good restarted"
wait_for 20 eval '[ "$(field_of stale restarts)" -ge 2 ]'
daemon_alive || fail "droverd died"
pass
