#!/bin/bash
# Log rotation as supervisord does it: stdout_logfile_maxbytes / _backups give NAME, NAME.1 ..
# NAME.N (N = backups, never more), each at most maxbytes and cut at a line boundary (so at least
# maxbytes - one line), oldest in the highest number, and together exactly the end of what the
# worker printed; backups = 0 truncates the file instead; a path (not AUTO) works the same.
# SIGUSR1 reopens log files (logrotate's "move, then signal" without copytruncate).
# timeout: 60
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/custom"
write_config <<EOF2
[program:r]
command = /bin/sh -c 'trap "echo after-reopen" USR1; seq -f "%%06g" 1 20000; while :; do sleep 0.05; done'
startsecs = 0
stdout_logfile_maxbytes = 10KB
stdout_logfile_backups = 3

[program:t]
command = /bin/sh -c 'seq -f "%%06g" 1 20000 >&2; exec sleep 1000'
startsecs = 0
stderr_logfile = $T/custom/t.err
stderr_logfile_maxbytes = 10KB
stderr_logfile_backups = 0
EOF2
start_daemon

R=$LOG_DIR/r-stdout.log
E=$T/custom/t.err
wait_for 20 grep -qx 020000 "$R"
wait_for 20 grep -qx 020000 "$E"
ls -l "$LOG_DIR" "$T/custom"

max=10240 line=7
check_size() {   # FILE: at most maxbytes, at least maxbytes - one line, whole lines
	local s
	s=$(stat -c %s "$1") || { error "$1 missing"; return; }
	[ "$s" -le $max ] && [ "$s" -gt $((max - line)) ] || error "$1 has $s bytes, want $((max - line + 1))..$max"
	[ $((s % line)) = 0 ] || error "$1: $s bytes is not a whole number of $line-byte lines"
}
for i in 1 2 3; do check_size "$R.$i"; done
[ -e "$R.4" ] && error "$R.4 exists: more backups than stdout_logfile_backups = 3"
s=$(stat -c %s "$R")
[ "$s" -le $max ] || error "$R has $s bytes > maxbytes"
# Oldest first, the four files are the end of the output, byte for byte.
cat "$R.3" "$R.2" "$R.1" "$R" > "$T/joined"
n=$(stat -c %s "$T/joined")
[ "$(seq -f "%06g" 1 20000 | tail -c "$n" | md5sum)" = "$(md5sum < "$T/joined")" ] ||
	error "NAME.3 NAME.2 NAME.1 NAME are not the last $n bytes of the output in order"
[ "$(head -c $line "$R.3")" = "$(seq -f "%06g" 1 20000 | tail -c "$n" | head -c $line)" ] || error "NAME.3 does not start at a line"

# backups = 0: truncated in place, no NAME.1.
ls "$T/custom"
[ -e "$E.1" ] && error "$E.1 exists although stderr_logfile_backups = 0"
s=$(stat -c %s "$E")
[ "$s" -le $max ] || error "$E has $s bytes > maxbytes"
[ "$(tail -n 1 "$E")" = 020000 ] || error "$E does not end with the last line"
[ "$(seq -f "%06g" 1 20000 | tail -c "$s" | md5sum)" = "$(md5sum < "$E")" ] || error "$E is not the end of the output"

# logrotate: move the file away, SIGUSR1, and the next line lands in a fresh file at the path.
mv "$R" "$R.moved"
kill -USR1 "$DAEMON_PID"
wait_for 5 grep -q "reopened [0-9]* log files" "$DAEMON_LOG"
ctl signal USR1 r >/dev/null || fail "droverctl signal USR1 r failed"
wait_for 5 grep -qx after-reopen "$R"
grep -q after-reopen "$R.moved" && error "the line after SIGUSR1 went to the moved file"
[ "$(cat "$R")" = after-reopen ] || error "the reopened file holds more than the new line: $(head -3 "$R")"
pass
