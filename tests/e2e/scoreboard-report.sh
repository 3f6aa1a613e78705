#!/bin/bash
# Issue 4, test 1: a C worker linked with libdrover, a shell worker using `droverctl report`, a
# Python worker whose `droverctl report` child does not inherit descriptor 10 (subprocess closes
# it: droverctl finds the worker's through /proc), and a C worker running as another user (nobody)
# all appear in `droverctl status` with their status lines, busy/idle, heartbeat age and counters.
# Each worker holds its own scoreboard object as descriptor 10; droverd holds none, and nothing
# of the scoreboard has a name in /dev/shm.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker

id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
# subprocess.run() closes every descriptor but 0, 1, 2 in the child (close_fds).
cat > "$T/py-worker.py" <<'EOF'
import subprocess, sys, time
while True:
    subprocess.run([sys.argv[1], "report", "--ready", "--heartbeat", "--status", "from a python child"], check=True)
    time.sleep(0.1)
EOF
write_config <<EOF
[program:cw]
command = $HELPERS/sb-worker -s "c worker" -i 50 -H -r
ready = scoreboard
startsecs = 10

[program:sh]
command = /bin/bash -c 'n=0; while :; do n=\$((n+1)); "$DROVERCTL" report --ready --heartbeat --busy --status "shell step \$n" || exit 9; sleep 0.1; done'
ready = scoreboard
startsecs = 10

[program:nobody]
command = $HELPERS/sb-worker -s "as nobody" -i 50 -H -r
user = nobody
ready = scoreboard
startsecs = 10

[program:py]
command = $PY $T/py-worker.py $DROVERCTL
ready = scoreboard
startsecs = 10
EOF
start_daemon
wait_for 15 all_in_state RUNNING "" 4

first_counter() { local c; c=$(field_of "$1" counters) || return 1; c=${c#[}; c=${c%%[],]*}; echo "${c:-0}"; }
status_has() { local s; s=$(field_of "$1" status) && [[ $s == "$2"* ]]; }
wait_for 5 status_has cw "c worker #"
wait_for 5 status_has sh "shell step "
wait_for 5 status_has nobody "as nobody #"
wait_for 5 status_has py "from a python child"
c1=$(first_counter cw)
wait_for 5 eval '[ "$(first_counter cw)" -gt "$c1" ]'
[ "$(first_counter nobody)" -gt 0 ] || error "nobody: counters $(last_field nobody counters)"

refresh_status || fail "no status"
for p in cw sh nobody py; do
	[ "$(last_field $p ready)" = true ] || error "$p: ready = $(last_field $p ready)"
	age=$(last_field $p heartbeat_age)
	[ -n "$age" ] || error "$p: no heartbeat age"
	[ "$(to_ms "${age:-99}")" -lt 2000 ] || error "$p: heartbeat age $age"
done
[ "$(last_field sh busy)" = true ] || error "sh: busy = $(last_field sh busy)"
[ "$(last_field sh counters)" = "[]" ] || error "sh: counters $(last_field sh counters)"
ctl status cw | grep -q "counters .*| c worker #" || error "table: $(ctl status cw)"
log "$(ctl status)"

# Objects: each worker's own, as its descriptor 10; none in droverd; no name in /dev/shm.
names=$(ls /dev/shm | grep -E "^($NAME\.scoreboard|sem\.$NAME\..*)\$")
[ -z "$names" ] || error "scoreboard names in /dev/shm: $names"
declare -A seen
for p in cw sh nobody py; do
	pid=$(last_field $p pid)
	t=$(readlink "/proc/$pid/fd/10" 2>/dev/null)
	[[ $t == *memfd:drover-scoreboard* ]] || error "$p (pid $pid): descriptor 10 is '$t', not its scoreboard object"
	ino=$(stat -L -c %i "/proc/$pid/fd/10" 2>/dev/null)
	[ -n "${seen[$ino]:-}" ] && error "$p shares its scoreboard object with ${seen[$ino]}"
	seen[$ino]=$p
done
for f in /proc/"$DAEMON_PID"/fd/*; do
	[[ $(readlink "$f") == *memfd:drover-scoreboard* ]] && error "droverd holds a scoreboard object: $f"
done
# A stopped process shows nothing of its last worker's reports (that incarnation is gone).
ctl stop cw >/dev/null || error "droverctl stop cw failed"
refresh_status || fail "no status"
[ "$(last_field cw state)" = STOPPED ] || error "cw: $(last_field cw state) after stop"
[ -z "$(last_field cw status)" ] || error "cw, stopped, shows its worker's status line: $(last_field cw status)"
[ "$(last_field cw ready)" != true ] || error "cw, stopped, shows ready"
# Outside droverd, `droverctl report` fails cleanly.
env -u DROVER_NAME -u DROVER_SLOT -u DROVER_GENERATION "$DROVERCTL" report --ready >/dev/null 2>&1
[ $? = 1 ] || error "droverctl report outside droverd: want exit 1"
daemon_alive || fail "droverd died"
pass
