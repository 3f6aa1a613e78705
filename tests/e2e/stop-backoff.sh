#!/bin/bash
# `stop` of a process in BACKOFF (a start failed, a retry is pending) stops it: STOPPED at once, the
# pending retry cancelled, no spawn afterwards (supervisorctl answers "stopped" too); alone, and in
# one request with a RUNNING process.
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:flaky]
command = /bin/false
startsecs = 1
startretries = 100
[program:app]
command = /bin/sleep 1000
startsecs = 0
stopwaitsecs = 2
[program:flaky2]
command = /bin/false
startsecs = 1
startretries = 100
EOF2
start_daemon
wait_for 10 is_state flaky BACKOFF

t0=$(now_ms)
ctl stop flaky --timeout 10; rc=$?
ms=$(($(now_ms) - t0))
log "droverctl stop flaky: exit $rc after $(fmt_ms $ms)s"
[ "$rc" = 0 ] || fail "droverctl stop of a BACKOFF process exited $rc"
is_state flaky STOPPED || fail "state $(last_field flaky state) after stop, want STOPPED"
spawns=$(last_field flaky restarts)
# The retry that was pending must not spawn it again (its delay is at most a few seconds).
hold_for 2.5 eval '[ "$(state_of flaky)" = STOPPED ] && [ "$(last_field flaky restarts)" = "$spawns" ]'

# A stop batch with a BACKOFF process and something else (RUNNING): both end STOPPED.
wait_for 10 is_state flaky2 BACKOFF
ctl stop flaky2 app --timeout 10; rc=$?
[ "$rc" = 0 ] || fail "droverctl stop flaky2 app exited $rc"
is_state flaky2 STOPPED || fail "flaky2 $(last_field flaky2 state) after stop, want STOPPED"
[ "$(last_field app state)" = STOPPED ] || fail "app $(last_field app state) after stop, want STOPPED"
daemon_alive || fail "droverd died"
pass
