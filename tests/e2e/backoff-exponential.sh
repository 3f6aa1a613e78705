#!/bin/bash
# backoff = exponential: a crashing program's spawn times follow initial x 2^k up to the cap
# (+-20 %); a program that stays RUNNING backoff_reset seconds starts the curve afresh; with
# fatal_retry a FATAL program is tried again. (issue 8 test 4, RELIABILITY T04.)
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:crash]
command = /bin/sh -c 'echo \$(cut -d" " -f1 /proc/uptime) >> $T/crash.times; exit 1'
startsecs = 1
startretries = infinite
backoff = exponential
backoff_initial = 1
backoff_max = 4

[program:steady]
command = /bin/sh -c 'echo \$(cut -d" " -f1 /proc/uptime) >> $T/steady.times; sleep 2; exit 1'
startsecs = 1
autorestart = true
startretries = infinite
backoff = exponential
backoff_initial = 1
backoff_max = 8
backoff_reset = 1

[program:retry]
command = /bin/sh -c 'echo \$(cut -d" " -f1 /proc/uptime) >> $T/retry.times; exit 1'
startsecs = 1
startretries = 1
fatal_retry = 2
EOF2
start_daemon
# crash: spawns at 0, +1, +2, +4, +4 (cap) -> 5 spawns within ~11 s.
wait_for 20 eval '[ "$(wc -l < "$T/crash.times" 2>/dev/null)" -ge 5 ]'
# status shows the next attempt while in BACKOFF.
wait_for 5 is_state crash BACKOFF
[ -n "$(last_field crash next_attempt)" ] || fail "no next_attempt for a BACKOFF process"
awk 'NR > 1 { print $1 - prev } { prev = $1 }' "$T/crash.times" | head -n 4 > "$T/crash.gaps"
cat "$T/crash.gaps"
awk 'BEGIN { split("1 2 4 4", want) } { w = want[NR]; if ($1 < w * 0.8 || $1 > w * 1.2 + 0.15) { print "gap " NR ": " $1 " want " w; bad = 1 } } END { exit bad }' "$T/crash.gaps" ||
	fail "exponential delays are off"
# steady runs 2 s (> backoff_reset = 1) before each crash: always restarted after the initial 1 s.
wait_for 20 eval '[ "$(wc -l < "$T/steady.times" 2>/dev/null)" -ge 4 ]'
awk 'NR > 1 { print $1 - prev } { prev = $1 }' "$T/steady.times" | head -n 3 > "$T/steady.gaps"
cat "$T/steady.gaps"
awk '{ if ($1 < 2.8 || $1 > 3.5) { print "gap " NR ": " $1 " want ~3 (2 s up + 1 s)"; bad = 1 } } END { exit bad }' "$T/steady.gaps" ||
	fail "backoff_reset did not restart the curve"
# retry: FATAL after 2 attempts, then tried again after fatal_retry = 2 s.
wait_for 10 is_state retry FATAL
n=$(wc -l < "$T/retry.times")
wait_for 6 eval '[ "$(wc -l < "$T/retry.times")" -gt '"$n"' ]'
pass
