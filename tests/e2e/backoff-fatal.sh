#!/bin/bash
# A program that exits 1 at once ends FATAL after exactly startretries+1 = 4 attempts, spawned with
# backoff delays of 1, 2, 3 s (±0.5 s) between them; no attempt follows FATAL. Another program is undisturbed.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

write_config <<EOF2
[program:crash]
command = $WSLEEP -f $T/spawns -x 1
startretries = 3
startsecs = 1

[program:steady]
command = $WSLEEP
startsecs = 0
EOF2
start_daemon

wait_for 15 is_state crash FATAL
cat "$T/spawns"
n=$(wc -l < "$T/spawns")
[ "$n" = 4 ] || fail "expected exactly 4 attempts before FATAL, got $n"
# Delays between consecutive spawns (monotonic clock, column 3).
awk 'NR > 1 { printf "%.3f\n", $3 - prev } { prev = $3 }' "$T/spawns" > "$T/delays"
log "delays between attempts: $(tr '\n' ' ' < "$T/delays")"
i=1
while read -r d; do
	awk -v d="$d" -v want="$i" 'BEGIN { exit !(d >= want - 0.5 && d <= want + 0.5) }' ||
		fail "delay before attempt $((i + 1)) is ${d}s, want ${i}s ±0.5s"
	i=$((i + 1))
done < "$T/delays"
refresh_status
proc_json crash
desc="$(last_field crash description) $(last_field crash status)"
log "crash: state FATAL, description: $desc"
# No fifth attempt after FATAL (observed for longer than the last backoff step would take).
hold_for 1.5 eval '[ "$(wc -l < "$T/spawns")" = 4 ] && is_state crash FATAL'
steady=$(pid_of steady)
[ "$(last_field steady state)" = RUNNING ] || fail "steady is not RUNNING"
[ "$(last_field steady restarts)" = 0 ] || fail "steady restarted: $(last_field steady restarts)"
proc_alive "$steady" || fail "steady pid $steady not alive"
daemon_alive || fail "droverd died"
pass
