#!/bin/bash
# Spawn failures: a missing binary, a non-executable file, an unknown user, a missing directory, a
# script whose interpreter is missing (execve fails in the child) each
# end FATAL with a description naming the path (or user) and the errno text, while another program
# keeps running. Then 250 processes x 2 failed attempts, three rounds: over the last 1000 failed spawns
# droverd's fd count is unchanged and its RSS grows < 1 MiB (not checked under ASan: its quarantine grows).
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

printf '#!/bin/sh\nexit 0\n' > "$T/noexec.sh"
chmod 0644 "$T/noexec.sh"
# Executable, but execve() itself fails (ENOENT for the interpreter): the failure happens in the child.
printf '#!%s/no/such/interp\n' "$T" > "$T/badinterp.sh"
chmod 0755 "$T/badinterp.sh"
write_config <<EOF2
[program:missing]
command = $T/no/such/binary --flag
startretries = 0

[program:noexec]
command = $T/noexec.sh
startretries = 0

[program:baduser]
command = /bin/sleep 1000
user = nosuchuser_drover_e2e
startretries = 0

[program:baddir]
command = /bin/sleep 1000
directory = $T/no/such/dir
startretries = 0

[program:badinterp]
command = $T/badinterp.sh
startretries = 0

[program:good]
command = $WSLEEP
startsecs = 0

[program:flood]
command = $T/badinterp.sh
numprocs = 250
process_name = %(program_name)s_%(process_num)03d
startretries = 1
EOF2
start_daemon

wait_for 10 eval 'is_state missing FATAL && is_state noexec FATAL && is_state baduser FATAL && is_state baddir FATAL && is_state badinterp FATAL'
good=$(pid_of good)
# expect_desc PROC TEXT...: the status line of PROC names every TEXT.
expect_desc() {
	local p=$1 d t; shift
	d="$(last_field "$p" description) $(last_field "$p" status)"
	log "$p: $(last_field "$p" state): $d"
	for t in "$@"; do
		case $d in *"$t"*) ;; *) error "$p: description '$d' lacks '$t'" ;; esac
	done
}
refresh_status
expect_desc missing "$T/no/such/binary" "No such file or directory"
expect_desc noexec "$T/noexec.sh" "Permission denied"
expect_desc baduser "nosuchuser_drover_e2e"
expect_desc baddir "$T/no/such/dir" "No such file or directory"
expect_desc badinterp "$T/badinterp.sh" "No such file or directory"
for t in "$T/no/such/binary" "$T/noexec.sh" nosuchuser_drover_e2e "$T/no/such/dir"; do
	grep -qF "$t" "$DAEMON_LOG" || error "droverd's log does not name '$t'"
done

# The flood: 250 processes of badinterp.sh (fork, failed execve) fail twice each (1 s backoff) = 500
# failed spawns per round. Round 1 warms up; rounds 2 and 3 (1000 failures) must leave no trace.
flood_fatal() { [ "$(count_in_state FATAL flood)" = 250 ]; }
flood_restarts() { refresh_status && "$PY" -c '
import json, sys
print(sum(o["restarts"] for o in json.load(open(sys.argv[1])) if o["name"].startswith("flood")))' "$STATUS_JSON"; }
wait_for 60 flood_fatal
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || fail "zombies among droverd's children"
fds0=$(fd_count "$DAEMON_PID"); rss0=$(rss_kb "$DAEMON_PID")
log "after round 1 (500 failures): droverd fds $fds0, RSS ${rss0} kB, restarts counted $(flood_restarts)"
for round in 2 3; do
	ctl start --no-wait 'flood:*' > "$T/start.out" 2>&1; rc=$?
	[ "$rc" = 0 ] || { head -n 3 "$T/start.out"; fail "droverctl start --no-wait flood:* exited $rc"; }
	# The started processes left FATAL before start replied; wait until all 250 are back in FATAL.
	wait_for 60 flood_fatal
	fds=$(fd_count "$DAEMON_PID"); rss=$(rss_kb "$DAEMON_PID")
	log "after round $round ($((round * 500)) failures): droverd fds $fds, RSS ${rss} kB, restarts counted $(flood_restarts)"
done
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || fail "zombies among droverd's children"
[ "$fds" = "$fds0" ] || { ls -l "/proc/$DAEMON_PID/fd"; fail "droverd's fd count changed: $fds0 -> $fds"; }
if [ "$DROVER_SANITIZED" = 1 ]; then
	log "RSS growth $((rss - rss0)) kB not checked under ASan"
else
	[ $((rss - rss0)) -lt 1024 ] || fail "droverd's RSS grew by $((rss - rss0)) kB over 1000 failed spawns"
fi
[ "$(pid_of good)" = "$good" ] && [ "$(last_field good state)" = RUNNING ] || fail "good was disturbed"
daemon_alive || fail "droverd died"
pass
