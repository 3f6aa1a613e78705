#!/bin/bash
# Crash-loop rate: a startsecs = 0 program that exits at once is respawned about once a second
# (supervisord: 8-11 spawns in 8 s; droverd used to do 83-85). Spawns counted over 5 s: 4 to 7.
# Meanwhile `status` shows it BACKOFF with the time to its next attempt (at most 1 s). With
# respawn_interval = 0 the same loop is not held back (its 20 spawns, after which it stays up, take
# well under the 20 s they would at one a second: within 5 s). A worker
# that ran longer than a second is restarted at once when it dies (its next start within 700 ms of
# the SIGKILL, 900 ms under ASan, by its own clock: a crash-loop wait would be a second).
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[program:quick]
command = /bin/sh -c 'echo spawn >> $T/spawns; exit 1'
startsecs = 0
autorestart = true

[program:long]
command = /bin/sh -c 'echo "\$(date +%%s%%N)" >> $T/long; exec sleep 1000'
startsecs = 0
autorestart = true

[program:eager]
command = /bin/sh -c 'echo spawn >> $T/eager; [ "\$(wc -l < $T/eager)" -ge 20 ] && exec sleep 1000; exit 1'
startsecs = 0
autorestart = true
respawn_interval = 0
EOF
start_daemon
wait_for 5 test -s "$T/spawns"
n0=$(wc -l < "$T/spawns")
t0=$(now_ms)
# The observation window itself: what happens in these 5 s is the measurement.
backoff_seen=0
while [ $(( $(now_ms) - t0 )) -lt 5000 ]; do
	if refresh_status && [ "$(last_field quick state)" = BACKOFF ]; then
		next=$(last_field quick next_attempt)
		if [ -n "$next" ] && [ "$(to_ms "$next")" -le 1000 ]; then
			backoff_seen=1
		else
			error "quick is BACKOFF with next attempt '$next', not within 1 s"
		fi
	fi
	sleep 0.1
done
n1=$(wc -l < "$T/spawns")
spawns=$((n1 - n0))
e1=$(wc -l < "$T/eager")
log "quick: $spawns spawns in 5 s; eager (respawn_interval = 0): $e1 spawns"
[ "$spawns" -ge 4 ] && [ "$spawns" -le 7 ] || error "quick was spawned $spawns times in 5 s, not about once a second (4-7)"
[ "$backoff_seen" = 1 ] || error "status never showed quick BACKOFF with its next attempt"
[ "$e1" -ge 20 ] || error "with respawn_interval = 0 the loop spawned only $e1 times in 5 s or more"

# The long-running worker (up more than a second by now) is restarted at once.
old=$(pid_of long)
[ -n "$old" ] && [ "$old" -gt 0 ] || fail "long is not running"
t0=$(date +%s%N)
kill -KILL "$old"
wait_for 5 eval '[ "$(wc -l < "$T/long")" -ge 2 ]'
dt=$(( ($(sed -n 2p "$T/long") - t0) / 1000000 ))
log "long: started again $dt ms after SIGKILL"
limit=700; [ "$DROVER_SANITIZED" = 1 ] && limit=900
[ "$dt" -le "$limit" ] || error "a worker that ran for seconds was restarted after $dt ms, not at once (<= $limit ms)"
pass
