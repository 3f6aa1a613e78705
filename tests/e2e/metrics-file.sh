#!/bin/bash
# [drover] metrics_file: the Prometheus text of 3 programs (two sleepers, a FATAL one, a scoreboard
# worker with counters and heartbeats) is written, passes `promtool check metrics`, and says what
# `droverctl status --json` says (states, up, ready, restarts, start times, heartbeat age, counters,
# dropped log bytes, processes per state); it is replaced atomically (no temporary file left, never
# half a file); a reload counts, a refused reload counts as a failure; a reload that moves the file
# removes the old one; a reload that unsets it leaves droverd without the timer (no more writes);
# an unwritable path is logged once and droverd goes on; a clean exit removes the file.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker

PROM=$T/prom
mkdir -p "$PROM"
programs() {
	cat <<EOF
[program:sleeper]
command = /bin/sleep 1000
numprocs = 2
process_name = %(program_name)s_%(process_num)d

[program:crasher]
command = /bin/false
startsecs = 1
startretries = 0

[program:sb]
command = $HELPERS/sb-worker -s "metrics" -i 100000 -H -r
ready = scoreboard
startsecs = 10
EOF
}
config() {   # config [metrics keys...]
	{ printf '%s\n' "$@"; echo; programs; } | write_config
}
config "metrics_file = $PROM/drover.prom" "metrics_interval = 1"
start_daemon
wait_for 15 all_in_state RUNNING sleeper 2
wait_for 15 is_state sb RUNNING
wait_for 15 is_state crasher FATAL

# The file as written once every process settled (the sb worker's counters are 1 and 10 after its
# first iteration): a write after the FATAL, the counters and the sleepers' startsecs.
file_settled() {
	grep -q 'drover_process_reported_total{.*process="sb",index="1"} 10$' "$PROM/drover.prom" 2>/dev/null &&
		grep -q 'drover_processes{.*state="FATAL"} 1$' "$PROM/drover.prom" &&
		grep -q 'drover_processes{.*state="RUNNING"} 3$' "$PROM/drover.prom"
}
wait_for 5 file_settled
cp "$PROM/drover.prom" "$T/m1.prom"
refresh_status || fail "no status"

# Content: the file against status --json, fetched right after it (start times within 2.5 s; the
# heartbeat age within the file's age).
"$PY" "$E2E_DIR/metrics_check.py" "$T/m1.prom" "$STATUS_JSON" "$NAME" || error "metrics_file does not say what status --json says"

# Written whole, through a temporary file that never stays.
leftovers=$(ls -A "$PROM" | grep -v '^drover\.prom$')
[ -z "$leftovers" ] || error "files left next to metrics_file: $leftovers"
[ "$(stat -c %a "$PROM/drover.prom")" = 644 ] || error "metrics_file mode $(stat -c %a "$PROM/drover.prom")"

# Something planted at the temporary name (a symbolic link to another file, in a shared
# directory) is replaced, never written through; the writes go on.
echo keep > "$T/victim"
ln -s "$T/victim" "$PROM/.$NAME.drover.prom.tmp"
before=$(md5sum < "$PROM/drover.prom")
# (each write differs: the sb worker's heartbeat age grows)
rewritten() { [ "$(md5sum < "$PROM/drover.prom")" != "$before" ] && [ ! -L "$PROM/.$NAME.drover.prom.tmp" ]; }
wait_for 5 rewritten
[ "$(cat "$T/victim")" = keep ] || error "the file a planted link pointed to was written: $(head -c 100 "$T/victim")"

# Every write is a whole file (renamed into place): 30 reads while it is rewritten every second.
for i in $(seq 30); do
	tail -n 1 "$PROM/drover.prom" | grep -q '^drover_process_reported_total' || error "read $i: a file that does not end with its last family"
	sleep 0.1
done

# A reload that moves the file: the old one goes, the new one counts the reload.
mkdir -p "$PROM/b"
config "metrics_file = $PROM/b/drover.prom" "metrics_interval = 1"
ctl reload >/dev/null || fail "reload refused"
wait_for 5 eval '[ ! -e "$PROM/drover.prom" ] && grep -q "^drover_reloads_total{.*} 1$" "$PROM/b/drover.prom" 2>/dev/null'
# A refused reload counts as a failure.
{ echo "metrics_interval = 0"; echo; programs; } | write_config
ctl reload >/dev/null 2>&1 && error "a reload with metrics_interval = 0 was applied"
wait_for 5 eval 'grep -q "^drover_reload_failures_total{.*} 1$" "$PROM/b/drover.prom"'

# An unwritable path: logged once, droverd goes on.
config "metrics_file = $T/no/such/dir/drover.prom" "metrics_interval = 1"
ctl reload >/dev/null || fail "reload refused"
wait_for 5 eval '[ ! -e "$PROM/b/drover.prom" ] && grep -q "metrics_file .*no/such/dir.*cannot write" "$DAEMON_LOG"'
hold_for 2.5 daemon_alive
[ "$(grep -c 'metrics_file .*cannot write' "$DAEMON_LOG")" = 1 ] || error "the failing write is logged $(grep -c 'metrics_file .*cannot write' "$DAEMON_LOG") times, not once"

# Unset: no timer any more (no write, no attempt, in 2.5 s; with metrics_interval = 1 there were
# several per 2.5 s above).
config
ctl reload >/dev/null || fail "reload refused"
if command -v strace >/dev/null 2>&1; then
	timeout 2.5 strace -f -qq -e trace=openat,rename -p "$DAEMON_PID" -o "$T/strace" 2>/dev/null
	grep -E 'tmp|drover\.prom' "$T/strace" && error "droverd still writes metrics with metrics_file unset"
else
	log "strace missing: the no-timer check is skipped"
fi

# A clean exit removes the file.
config "metrics_file = $PROM/drover.prom"
ctl reload >/dev/null || fail "reload refused"
wait_for 5 test -s "$PROM/drover.prom"
stop_daemon TERM
[ -e "$PROM/drover.prom" ] && error "metrics_file left behind after a clean exit"

# The format, as Prometheus's own tool reads it.
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics < "$T/m1.prom" > "$T/promtool.out" 2>&1 || error "promtool check metrics: $(cat "$T/promtool.out")"
	cp "$T/m1.prom" "$ART/metrics.prom"
else
	[ ${#ERRORS[@]} -eq 0 ] && skip "promtool missing (Debian package prometheus, mk/deps.sh tools): the file was not checked with it"
fi
pass
