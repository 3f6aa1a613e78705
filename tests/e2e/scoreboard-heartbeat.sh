#!/bin/bash
# Issue 4, test 3: heartbeat_timeout = 1. A worker that stops heartbeating (and keeps running) is
# logged and restarted within 2 s; one that heartbeats is left alone for 10 s.
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

# The first incarnation stops heartbeating after 1 s: restarted within 2 s of that moment.
wait_for 5 eval '[ -s "$T/stale.events" ]'
t0=$(now_ms)
read -r _ pid0 _ < "$T/stale.events"
wait_for 4 eval 'p=$(pid_of stale) && [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pid0" ]'
dt=$(($(now_ms) - t0))
log "stale: heartbeat stopped, pid $pid0 replaced by $(last_field stale pid) after $(fmt_ms $dt)s"
[ "$dt" -le 2000 ] || error "restart took $(fmt_ms $dt)s, want <= 2 s"
grep -q "stale: heartbeat stale" "$DAEMON_LOG" || error "no 'heartbeat stale' log line"

# The heartbeating worker keeps its pid for 10 s (the stale one keeps being restarted meanwhile).
hold_for 10 eval '[ "$(pid_of good)" = "$good" ] && [ "$(last_field good state)" = RUNNING ]'
[ "$(last_field good restarts)" = 0 ] || error "good restarted"
[ "$(last_field stale restarts)" -ge 2 ] || error "stale restarts $(last_field stale restarts), want >= 2 in 10 s"
daemon_alive || fail "droverd died"
pass
