#!/bin/bash
# Reload while a program is in BACKOFF (crash loop) and while another is slowly stopping.
# Documented behaviour (man/drover.ini.5, RELOAD):
#  - a changed program in BACKOFF is restarted at once with the new settings (its backoff is reset);
#  - an unchanged program in BACKOFF keeps its schedule;
#  - a removed program that is STOPPING keeps stopping with its OLD stop settings, then disappears;
#  - a changed program that is STOPPING finishes stopping and stays stopped (a stop is never undone).
# How long slow took to stop is read from droverd's own log (its "stopping:" and "killing:" lines):
# the test's polls take their own time on a loaded machine, and slow may well be gone by the time a
# poll after the reload looks for it. What the status is asked for is only what must still hold then.
# timeout: 60
. "$(dirname "$0")/lib.sh"

need_helpers worker-sleep
write_config <<EOF2
[program:crash]
command = /bin/sh -c 'exit 1'
startsecs = 1
startretries = 100

[program:slow]
command = $WSLEEP -T
stopwaitsecs = 4
startsecs = 0

[program:slow2]
command = $WSLEEP -T
stopwaitsecs = 3
startsecs = 0
EOF2
start_daemon
wait_for 10 is_state crash BACKOFF
wait_for 10 is_state slow RUNNING
wait_for 10 is_state slow2 RUNNING
slowpid=$(pid_of slow)
slow2pid=$(pid_of slow2)

# slow and slow2 ignore SIGTERM: stop them without waiting; they stay STOPPING 4 s and 3 s.
# (droverd logs "stopping:" as it sends SIGTERM, before it answers: a poll of the status could
# come after slow2's 3 s.)
ctl stop --no-wait slow slow2 >/dev/null || true
wait_for 10 grep -q "stopping: slow (pid $slowpid)" "$DAEMON_LOG"
wait_for 10 grep -q "stopping: slow2 (pid $slow2pid)" "$DAEMON_LOG"

# New config: crash's command changes (now it works), slow is removed, slow2's command changes.
write_config <<EOF2
[program:crash]
command = /bin/sleep 1003
startsecs = 1

[program:slow2]
command = $WSLEEP -T -l /dev/null
stopwaitsecs = 3
startsecs = 0
EOF2
ctl reload > "$T/out" 2>&1 || { cat "$T/out"; fail "reload failed"; }
cat "$T/out"
grep -q "^removed: slow$" "$T/out" || fail "slow not reported removed"
grep -q "^changed: crash" "$T/out" || fail "crash not reported changed"
# slow: still listed while it stops; SIGKILLed with its old stopwaitsecs (4 s), then gone from status.
gone_from_status() { refresh_status && ! "$PY" "$LIBPY" get "$STATUS_JSON" slow state >/dev/null 2>&1; }
if ! grep -q "killing: slow " "$DAEMON_LOG"; then
	# (not killed yet: then it must still be there, stopping)
	st=$(state_of slow 2>/dev/null)
	[ "$st" = STOPPING ] || grep -q "killing: slow " "$DAEMON_LOG" ||
		fail "removed slow is '${st:-gone}' before its old stopwaitsecs ran out: it should keep STOPPING"
fi
# crash restarts with the new command right away (no wait for its backoff).
wait_for 15 is_state crash RUNNING
wait_for 15 gone_from_status
_gone "$slowpid" || fail "slow's worker is still alive"
# droverd's own times (ms) of slow's SIGTERM and SIGKILL: 4 s apart, the old stopwaitsecs.
log_ms() {   # log_ms PATTERN: the time of droverd's first log line matching PATTERN, in ms
	local l; l=$(grep -m 1 -- "$1" "$DAEMON_LOG") || return 1
	echo $(( $(date -d "${l%% *}" +%s%3N) ))
}
term_ms=$(log_ms "stopping: slow (pid $slowpid)") || fail "no 'stopping: slow' line in droverd's log"
kill_ms=$(log_ms "killing: slow (pid $slowpid) with SIGKILL after 4 s") ||
	fail "no 'killing: slow ... after 4 s' line in droverd's log: $(grep 'killing: slow' "$DAEMON_LOG")"
log "slow: SIGTERM at $term_ms, SIGKILL at $kill_ms ($((kill_ms - term_ms)) ms later)"
[ $((kill_ms - term_ms)) -ge 3990 ] || fail "slow was SIGKILLed $((kill_ms - term_ms)) ms after SIGTERM: its old stopwaitsecs (4 s) was not honoured"
# slow2 finished stopping and stays STOPPED.
wait_for 15 is_state slow2 STOPPED
_gone "$slow2pid" || fail "slow2's worker is still alive"
hold_for 1 is_state slow2 STOPPED
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || fail "zombies"
pass
