#!/bin/bash
# RELIABILITY T33: a worker tries to truncate its scoreboard object to 0 bytes and to 1 byte, to
# grow it, and to take its seals off, 100 times each. The object is sealed: every attempt fails
# with EPERM and nothing happens (the helper has the object mapped and reads its last byte after
# each round: a truncation would kill it with SIGBUS). droverd notices nothing, logs nothing,
# keeps supervising: a killed worker is restarted and reports.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker sb-truncate

write_config <<EOF
[program:w1]
command = $HELPERS/sb-worker -s one -i 20 -H
startsecs = 0
autorestart = true

[program:trunc]
command = $HELPERS/sb-truncate -n 100 -d $T/trunc.done
startsecs = 0
EOF
start_daemon
wait_for 10 all_in_state RUNNING "" 2
wait_for 10 test -s "$T/trunc.done"
log "trunc: $(cat "$T/trunc.done")"
grep -qx 'eperm 100' "$T/trunc.done" || error "the scoreboard object could be changed: $(cat "$T/trunc.done")"
t=$(pid_of trunc)
[ "$(last_field trunc state)" = RUNNING ] && [ "$(field_of trunc restarts)" = 0 ] ||
	error "trunc: $(last_field trunc state), restarts $(last_field trunc restarts) (a SIGBUS would have killed it)"
about=$(grep -v "instance '$NAME'" "$DAEMON_LOG" | grep -iE "scoreboard.*(truncat|rebuil|restor)|SIGBUS")
[ -z "$about" ] || error "droverd logged about it: $(echo "$about" | head -3)"
daemon_alive || fail "droverd died"

# Supervision intact: w1 is killed, comes back, reports.
w1=$(pid_of w1)
kill -KILL "$w1"
wait_for 5 eval 'p=$(pid_of w1) && [ "$p" != "$w1" ] && [ "$p" != 0 ] && [ "$(last_field w1 state)" = RUNNING ]'
wait_for 5 eval '[[ "$(field_of w1 status)" == "one #"* ]]'
[ "$(pid_of trunc)" = "$t" ] || error "trunc was restarted"
log "$(ctl status)"
pass
