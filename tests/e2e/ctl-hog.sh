#!/bin/bash
# Hostile clients (tests/helpers/mq-hog) whose reply queue holds
# one message, pre-filled and never read, send status requests 1000 at a time, over and over (2
# loops at once), keeping /NAME.ctl full; meanwhile another client sends `status` every 10 ms
# (tests/helpers/ctl-rtt: droverctl's request and reply without droverctl's process start-up).
# Every one of its round trips is answered within ctl-rtt's deadline (5 s for the send, 5 s for
# the reply): the hogs do not starve a well-behaved client. Its round trip times are logged with
# the result (median, p99, max), not judged: they are a figure of speed, which a loaded 2-CPU
# machine under ASan moves by tens of milliseconds. Real droverctl runs during the hog all succeed.
# Every hog request is accounted for: its reply counted
# as dropped (replies_dropped of `droverctl version`) or, for the last few of an mq-hog that had
# already exited and removed its queue, the request counted as bad (no reply route).
# timeout: 90
. "$(dirname "$0")/lib.sh"

need_helpers mq-hog ctl-rtt
HOGS=2
SAMPLES=200
write_config <<EOF
[program:s]
command = /bin/sleep 1000
numprocs = 20
process_name = s_%(process_num)02d
startsecs = 0
EOF
start_daemon
wait_for 10 all_in_state RUNNING "" 20

counter() { tr ' ' '\n' < "$T/version" | sed -n "s/^$1=//p"; }

# sample N FILE: N timed status round trips, 10 ms apart, one duration (us) a line.
sample() {
	"$HELPERS/ctl-rtt" "/$NAME.ctl" "$1" 10 > "$2" 2> "$T/rtt.err" || error "ctl-rtt: $(cat "$T/rtt.err")"
}
# pct P FILE: the P-th percentile (nearest rank) in ms, with 1 decimal.
pct() { sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 } END { r = int((p * NR + 99) / 100); if (r < 1) r = 1; printf "%.1f", v[r] / 1000 }'; }

sample 50 "$T/base"
log "without hogs: median $(pct 50 "$T/base") ms, p99 $(pct 99 "$T/base") ms (50 runs)"

ctl version > "$T/version"
drop0=$(counter replies_dropped); bad0=$(counter bad); sent0=$(counter replies_sent)

hog_loop() {
	local k=$1
	while [ ! -e "$T/stop-hogs" ]; do
		"$HELPERS/mq-hog" "/$NAME.ctl" 1000 0 >> "$T/hog.$k" 2>> "$T/hog.$k.err" || { echo "exit $?" >> "$T/hog.$k.err"; break; }
	done
}
log "$HOGS hog loops (1000 requests per mq-hog run) and $SAMPLES status runs 10 ms apart"
hogs=()
for ((k = 0; k < HOGS; k++)); do
	hog_loop "$k" &
	hogs+=($!)
done
hogging() { [ "$(cat "$T"/hog.[0-9] 2>/dev/null | wc -l)" -ge "$HOGS" ]; }
wait_for 20 hogging   # every loop finished a first run: the queue is under fire
sample "$SAMPLES" "$T/load"
# droverctl itself, under the same fire: answered (its timing includes its start-up: not judged).
ctl_ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	ctl status > /dev/null 2> "$T/ctl.err" && ctl_ok=$((ctl_ok + 1)) || log "droverctl status under the hogs: $(cat "$T/ctl.err")"
done
runs_during=$(cat "$T"/hog.[0-9] | wc -l)
touch "$T/stop-hogs"
for p in "${hogs[@]}"; do wait "$p"; done
cat "$T"/hog.*.err 2>/dev/null | head -5
sent=$(cat "$T"/hog.[0-9] | awk '$1 == "sent" { s += $2 } END { print s + 0 }')
runs=$(cat "$T"/hog.[0-9] | wc -l)
med=$(pct 50 "$T/load"); p99=$(pct 99 "$T/load"); max=$(pct 100 "$T/load")
log "under the hogs: median $med ms, p99 $p99 ms, max $max ms ($(wc -l < "$T/load") runs); $runs mq-hog runs ($runs_during while sampling), $sent requests"
[ "$runs_during" -ge $((HOGS * 2)) ] || error "only $runs_during mq-hog runs while sampling: the load was not sustained"
[ "$(wc -l < "$T/load")" = "$SAMPLES" ] || error "only $(wc -l < "$T/load") of $SAMPLES status runs"
[ "$ctl_ok" = 10 ] || error "only $ctl_ok of 10 droverctl status runs succeeded under the hogs"

daemon_alive || fail "droverd died"
# Every hog request is accounted for once droverd has drained the queue.
accounted() {
	ctl version > "$T/version" 2>/dev/null || return 1
	[ $(( $(counter replies_dropped) - drop0 + $(counter bad) - bad0 )) -ge "$sent" ]
}
try_for 15 accounted
cat "$T/version"
dropped=$(( $(counter replies_dropped) - drop0 ))
bad=$(( $(counter bad) - bad0 ))
delivered=$(( $(counter replies_sent) - sent0 ))
log "hog requests $sent: replies dropped $dropped, requests without a route (hog gone) $bad; replies delivered $delivered"
[ $((dropped + bad)) = "$sent" ] || error "hog requests $sent, but dropped $dropped + bad $bad = $((dropped + bad))"
[ "$dropped" -ge $((sent * 9 / 10)) ] || error "only $dropped of $sent replies to the hogs counted as dropped"
# The measured client's replies were delivered (plus our version requests).
[ "$delivered" -ge $((SAMPLES + 10)) ] || error "only $delivered replies delivered for $SAMPLES + 10 status requests"
grep -q ' outboxes=0 ' "$T/version" || error "outboxes left: $(cat "$T/version")"
pass
