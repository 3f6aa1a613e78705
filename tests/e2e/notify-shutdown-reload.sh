#!/bin/bash
# Once droverd has sent STOPPING=1 it never sends READY=1 again: a `droverctl reload` (and a
# SIGHUP) during the shutdown is refused and says so, and systemd hears nothing that would
# make it think droverd is back.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers notify-sink worker-sleep

SOCK=$T/notify.sock
NLOG=$T/notify.log
: > "$NLOG"
"$HELPERS/notify-sink" "$SOCK" "$NLOG" &
SINK=$!
wait_for 5 test -S "$SOCK"
# shellcheck disable=SC2154 # _rc is set inside the trap
trap '_rc=$?; kill $SINK 2>/dev/null; (exit $_rc); _cleanup' EXIT

write_config <<EOF
[program:stubborn]
command = $WSLEEP -T
startsecs = 0
stopwaitsecs = 4
EOF
launch_daemon env -u WATCHDOG_PID -u WATCHDOG_USEC NOTIFY_SOCKET="$SOCK"
wait_daemon_ready
wait_for 5 grep -q ' READY=1$' "$NLOG"
wait_for 5 is_state stubborn RUNNING
kill -TERM "$DAEMON_PID"
wait_for 5 grep -q ' STOPPING=1$' "$NLOG"
# stubborn ignores SIGTERM: the shutdown lasts stopwaitsecs.
ctl reload > "$T/reload.out" 2>&1 && error "reload during the shutdown succeeded: $(cat "$T/reload.out")"
log "reload during shutdown: $(cat "$T/reload.out")"
kill -HUP "$DAEMON_PID" 2>/dev/null
wait_for 10 _gone "$DAEMON_PID"
wait "$DAEMON_PID"; DAEMON_STATUS=$?
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS"
awk '/ STOPPING=1$/ { s = 1; next } s && / (READY|RELOADING)=1$/ { print; bad = 1 } END { exit bad }' "$NLOG" ||
	error "READY=1 or RELOADING=1 after STOPPING=1 (lines above)"
pass
