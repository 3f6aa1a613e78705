#!/bin/bash
# Reload while a program is in BACKOFF (crash loop) and while another is slowly stopping.
# Documented behaviour (man/drover.ini.5, RELOAD):
#  - a changed program in BACKOFF is restarted at once with the new settings (its backoff is reset);
#  - an unchanged program in BACKOFF keeps its schedule;
#  - a removed program that is STOPPING keeps stopping with its OLD stop settings, then disappears;
#  - a changed program that is STOPPING finishes stopping and stays stopped (a stop is never undone).
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
stopwaitsecs = 3
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

# slow and slow2 ignore SIGTERM: stop them without waiting; they stay STOPPING ~3 s.
ctl stop --no-wait slow slow2 >/dev/null || true
wait_for 5 is_state slow STOPPING
wait_for 5 is_state slow2 STOPPING
t0=$(now_ms)

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
# crash restarts with the new command right away (no wait for its backoff).
wait_for 5 is_state crash RUNNING
# slow: still stopping with its old stopwaitsecs (3 s), SIGKILLed at ~3 s, then gone from status.
is_state slow STOPPING || fail "removed slow should keep STOPPING until its old stopwaitsecs"
gone_from_status() { refresh_status && ! "$PY" "$LIBPY" get "$STATUS_JSON" slow state >/dev/null 2>&1; }
wait_for 6 gone_from_status
t1=$(now_ms)
[ $((t1 - t0)) -ge 2500 ] || fail "slow disappeared after $((t1 - t0)) ms: its old stopwaitsecs (3 s) was not honoured"
_gone "$slowpid" || fail "slow's worker is still alive"
# slow2 finished stopping and stays STOPPED.
wait_for 6 is_state slow2 STOPPED
_gone "$slow2pid" || fail "slow2's worker is still alive"
hold_for 1 is_state slow2 STOPPED
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || fail "zombies"
pass
