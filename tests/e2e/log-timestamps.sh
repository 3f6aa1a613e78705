#!/bin/bash
# Times on log lines. droverd's own lines on stderr start with an RFC 3339 time (local with its
# offset by default; [drover] log_timestamps = utc | none, applied by a reload). A program's log
# file lines start with one when the program sets log_timestamps (a line written in two pieces
# gets one stamp; the in-memory tail keeps the worker's bytes as they are); another program's
# file stays as the worker wrote it.
# timeout: 60
. "$(dirname "$0")/lib.sh"

conf() {
	write_config <<EOF2
[drover]
log_timestamps = $1

[program:stamped]
command = /bin/sh -c 'printf "one\\\\ntw"; sleep 0.3; printf "o\\\\nthree\\\\n"; exec sleep 1000'
startsecs = 0
log_timestamps = utc
stdout_logfile = $LOG_DIR/stamped.log

[program:plain]
command = /bin/sh -c 'echo plain line; exec sleep 1000'
startsecs = 0
stdout_logfile = $LOG_DIR/plain.log
EOF2
}
RFC_LOCAL='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2} droverd: (info|warning|error|debug): '
RFC_UTC='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z '

conf local
start_daemon
wait_for 10 all_in_state RUNNING
grep -Eq "${RFC_LOCAL}spawned: 'plain'" "$DAEMON_LOG" || fail "no local RFC 3339 time on droverd's lines: $(grep spawned "$DAEMON_LOG" | head -n 2)"
# The stamp is now (within a minute of the test's clock, in UTC as well).
line=$(grep -E "${RFC_LOCAL}spawned: 'plain'" "$DAEMON_LOG" | head -n 1)
t=$(date -d "${line%% *}" +%s) || fail "date(1) cannot read the stamp '${line%% *}'"
[ $((t - $(date +%s))) -le 1 ] && [ $(($(date +%s) - t)) -le 60 ] || fail "stamp ${line%% *} is not now ($(date -Is))"

three() { [ "$(grep -c . "$LOG_DIR/stamped.log" 2>/dev/null)" = 3 ]; }
wait_for 10 three
grep -Evq "${RFC_UTC}(one|two|three)\$" "$LOG_DIR/stamped.log" &&
	error "stamped.log has lines without a stamp or with two: $(cat -A "$LOG_DIR/stamped.log")"
[ "$(sed -E 's/^[^ ]+ //' "$LOG_DIR/stamped.log" | tr '\n' ' ')" = "one two three " ] ||
	error "stamped.log: $(cat "$LOG_DIR/stamped.log")"
[ "$(cat "$LOG_DIR/plain.log")" = "plain line" ] || error "plain.log changed: $(cat -A "$LOG_DIR/plain.log")"
tail=$(ctl tail stamped)
[ "$(echo "$tail" | tr '\n' ' ')" = "one two three " ] || error "tail shows '$tail', want the worker's bytes"

# utc, then none, by reloads.
conf utc
ctl reload >/dev/null || fail "reload to utc failed"
ctl stop plain >/dev/null
grep -Eq "^[0-9-]{10}T[0-9:.]{12}Z droverd: info: stopped: plain" "$DAEMON_LOG" ||
	error "no UTC stamp after the reload: $(grep 'stopped: plain' "$DAEMON_LOG")"
conf none
ctl reload >/dev/null || fail "reload to none failed"
ctl start plain >/dev/null
grep -q "^droverd: info: spawned: 'plain'" "$DAEMON_LOG" || error "still stamped with log_timestamps = none: $(grep "spawned: 'plain'" "$DAEMON_LOG" | tail -n 1)"

# A bad value is refused with the values it may take.
printf '[drover]\nlog_timestamps = sometimes\n' > "$T/bad.ini"
out=$("$DROVERD" -t -c "$T/bad.ini" 2>&1) && error "droverd -t accepts log_timestamps = sometimes"
echo "$out" | grep -q "none, local, utc" || error "droverd -t: $out"
pass
