#!/bin/bash
# Daemon logging. Outside systemd droverd logs to stderr as "TIME droverd: LEVEL: message" (TIME:
# RFC 3339, local time with its offset unless [drover] log_timestamps says otherwise). Under
# systemd (JOURNAL_STREAM or INVOCATION_ID set) it logs with sd_journal_send() and structured
# fields (DROVER_PROCESS=, DROVER_PID=, DROVER_STATE=, PRIORITY=) -- but only when journald's
# socket exists: sd_journal_send() silently drops everything otherwise, so droverd falls back
# to stderr. Without journald here (no /run/systemd/journal/socket on the build machines) this
# test checks the stderr format both ways; with a journald it checks the fields with journalctl.
# The real thing (systemd as PID 1, journalctl -u droverd) is tests/e2e/systemd-testbed.sh.
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:jw]
command = /bin/sleep 1000
startsecs = 0

[supervisorctl]
serverurl = unix:///tmp/x.sock
EOF2

run_once() {   # ENV...: start, wait for jw RUNNING, stop; the daemon log is $DAEMON_LOG
	: > "$DAEMON_LOG"
	launch_daemon env "$@"
	wait_daemon_ready
	wait_for 10 all_in_state RUNNING jw 1
	stop_daemon TERM
	[ "$DAEMON_STATUS" = 0 ] || fail "droverd exited $DAEMON_STATUS"
}
STAMP='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2} '
check_stderr_format() {   # WHAT
	local bad
	bad=$(grep -v '^=== start' "$DAEMON_LOG" | grep -Ev "^${STAMP}droverd: (error|warning|info|debug): .")
	[ -z "$bad" ] || fail "$1: lines not in the 'TIME droverd: LEVEL: message' format: $(head -3 <<< "$bad")"
	grep -Eq "^${STAMP}droverd: info: spawned: .jw. with pid [0-9]" "$DAEMON_LOG" || fail "$1: no 'droverd: info: spawned' line"
	grep -Eq "^${STAMP}droverd: warning: .*supervisorctl" "$DAEMON_LOG" || fail "$1: no 'droverd: warning:' line for [supervisorctl]"
	grep -Eq "^${STAMP}droverd: info: droverd stopped" "$DAEMON_LOG" || fail "$1: no final 'droverd stopped' line"
}

run_once -u JOURNAL_STREAM -u INVOCATION_ID
check_stderr_format "plain"
log "stderr format ok without JOURNAL_STREAM"

if [ -S /run/systemd/journal/socket ] && command -v journalctl >/dev/null; then
	since=$(date '+%Y-%m-%d %H:%M:%S')
	run_once JOURNAL_STREAM=0:0 INVOCATION_ID=0123456789abcdef0123456789abcdef
	[ -s "$DAEMON_LOG" ] && grep -q 'droverd: info: spawned' "$DAEMON_LOG" && fail "journald is there, yet droverd logged to stderr"
	got() { journalctl --since "$since" -o verbose SYSLOG_IDENTIFIER=droverd DROVER_PROCESS=jw 2>/dev/null | grep -q "DROVER_STATE="; }
	wait_for 5 got
	journalctl --since "$since" -o verbose SYSLOG_IDENTIFIER=droverd DROVER_PROCESS=jw | grep -E 'MESSAGE=|DROVER_|PRIORITY=' | head -n 12
else
	log "no journald here (/run/systemd/journal/socket missing): JOURNAL_STREAM set must still give stderr"
	run_once JOURNAL_STREAM=0:0 INVOCATION_ID=0123456789abcdef0123456789abcdef
	check_stderr_format "JOURNAL_STREAM set, no journald"
fi
pass
