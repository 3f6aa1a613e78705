#!/bin/bash
# autorestart=unexpected with exitcodes=0,3: a RUNNING worker that exits 3 (or 0) is expected and stays
# EXITED; one that exits 4 is restarted. autorestart=true restarts even an expected exit, false never.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

# Each worker runs 1.3 s (past startsecs=1, so it exits from RUNNING) and exits with its code.
prog() { # NAME CODE AUTORESTART
	printf '[program:%s]\ncommand = %s -f %s/%s.spawns -x %s -a 1300\nautorestart = %s\nexitcodes = 0,3\nstartsecs = 1\n\n' \
		"$1" "$WSLEEP" "$T" "$1" "$2" "$3"
}
{
	prog exit3 3 unexpected
	prog exit0 0 unexpected
	prog exit4 4 unexpected
	prog always0 0 true
	prog never4 4 false
} | write_config
start_daemon

spawns() { wc -l 2>/dev/null < "$T/$1.spawns" || echo 0; }
wait_for 10 eval '[ "$(spawns exit4)" -ge 2 ] && [ "$(spawns always0)" -ge 2 ]'
log "exit4 and always0 were restarted"
wait_for 5 eval 'is_state exit3 EXITED && is_state exit0 EXITED && is_state never4 EXITED'
for p in exit3 exit0 never4; do
	proc_json "$p"
done
[ "$(last_field exit3 exitstatus)" = 3 ] || fail "exit3: exitstatus $(last_field exit3 exitstatus), want 3"
[ "$(last_field never4 exitstatus)" = 4 ] || fail "never4: exitstatus $(last_field never4 exitstatus), want 4"
# The expected exits (and autorestart=false) stay EXITED: one spawn each, also a while later
# (a restart of a RUNNING exit would follow at once, without backoff).
hold_for 1 eval '[ "$(spawns exit3)" = 1 ] && [ "$(spawns exit0)" = 1 ] && [ "$(spawns never4)" = 1 ]'
is_state exit3 EXITED || fail "exit3 left EXITED: $(last_field exit3 state)"
[ "$(last_field exit4 restarts)" -ge 1 ] || fail "exit4: restarts counter $(last_field exit4 restarts), want >= 1"
daemon_alive || fail "droverd died"
pass
