#!/bin/bash
# 1000 `droverctl status` requests from 20 concurrent clients (50 each, 400 under
# ASan) while one more client runs `stop w`: the stop completes (w: stopped, exit 0, w STOPPED),
# every status exits 0, 3 (w no longer RUNNING) or 4 (busy / queue budget) within its timeout,
# and none has to be killed by the outer `timeout` (a hang).
# 21 droverctl at once each take a reply queue from root's RLIMIT_MSGQUEUE (800 KiB, shared by
# every test and every droverctl of root; exit 4 "cannot create a reply queue" when it is used
# up): the flood runs alone so that it neither starves nor is starved by other tests.
# exclusive
# timeout: 90
. "$(dirname "$0")/lib.sh"

need_helpers worker-sleep
CLIENTS=20
PER=50
[ "$DROVER_SANITIZED" = 1 ] && PER=20
CTL_TIMEOUT=5          # droverctl --timeout
HANG=$((CTL_TIMEOUT + 10))   # outer limit per droverctl run: reaching it means droverctl hung
write_config <<EOF
[program:w]
command = $WSLEEP
startsecs = 0

[program:s]
command = /bin/sleep 1000
numprocs = 20
process_name = s_%(process_num)02d
startsecs = 0
EOF
start_daemon
wait_for 10 all_in_state RUNNING "" 21
fd0=$(fd_count "$DAEMON_PID")
rcv0=$(ctl version | tr ' ' '\n' | sed -n 's/^received=//p')

# client K: PER status requests, one exit status a line into $T/rc.K
client() {
	local k=$1 i
	for ((i = 0; i < PER; i++)); do
		timeout -s KILL "$HANG" "$DROVERCTL" -n "$NAME" --timeout "$CTL_TIMEOUT" status > /dev/null 2>> "$T/err.$k"
		echo $? >> "$T/rc.$k"
	done
}
log "$CLIENTS clients x $PER status requests"
t0=$(now_ms)
pids=()
for ((k = 0; k < CLIENTS; k++)); do
	client "$k" &
	pids+=($!)
done
# Start the stop once the flood is under way (some requests done by several clients).
flooding() { [ "$(cat "$T"/rc.* 2>/dev/null | wc -l)" -ge $((CLIENTS * 2)) ]; }
wait_for 30 flooding
log "flood under way ($(cat "$T"/rc.* | wc -l) done): stop w"
ts=$(now_ms)
for attempt in 1 2 3; do
	timeout -s KILL "$HANG" "$DROVERCTL" -n "$NAME" --timeout "$CTL_TIMEOUT" stop w --timeout 10 > "$T/stop.out" 2>&1
	src=$?
	# The flood may hold the whole RLIMIT_MSGQUEUE of root for a moment (other suites too):
	# then droverctl cannot even create its reply queue, nothing was sent; try again.
	[ "$src" = 4 ] && grep -q 'cannot create a reply queue' "$T/stop.out" || break
	log "stop attempt $attempt: $(cat "$T/stop.out")"
done
tstop=$(( $(now_ms) - ts ))
log "stop exited $src after $tstop ms: $(cat "$T/stop.out")"
done_at_stop=$(cat "$T"/rc.* | wc -l)
for p in "${pids[@]}"; do wait "$p"; done
total_ms=$(( $(now_ms) - t0 ))

[ "$src" = 0 ] || error "stop w exited $src: $(cat "$T/stop.out")"
grep -qx 'w: stopped' "$T/stop.out" || error "stop w printed: $(cat "$T/stop.out")"
[ "$done_at_stop" -lt $((CLIENTS * PER)) ] || log "note: the flood was over when stop returned"
daemon_alive || fail "droverd died during the flood"
[ "$(state_of w)" = STOPPED ] || error "w is $(state_of w) after stop"

cat "$T"/rc.* | sort | uniq -c | sed 's/^/exit codes: /'
n=$(cat "$T"/rc.* | wc -l)
[ "$n" = $((CLIENTS * PER)) ] || error "$n status runs recorded, expected $((CLIENTS * PER))"
hung=$(grep -cx 137 "$T"/rc.* | awk -F: '{ s += $2 } END { print s + 0 }')
[ "$hung" = 0 ] || error "$hung droverctl runs hung past ${HANG}s and were killed"
other=$(grep -vxE '0|3|4' "$T"/rc.* | grep -vc ':137$')
[ "$other" = 0 ] || error "$other status runs exited with something else than 0, 3, 4: $(grep -vxE '0|3|4' "$T"/rc.* | sort | uniq -c | head)"
answered=$(grep -xE '0|3' "$T"/rc.* | wc -l)
busy=$(grep -cx 4 "$T"/rc.* | awk -F: '{ s += $2 } END { print s + 0 }')
log "$answered of $n answered, $busy unreachable/busy, in $total_ms ms"
if [ "$busy" -gt 0 ]; then
	cat "$T"/err.* | sort | uniq -c | sort -rn | head -5
fi
# The flood must be real traffic, not 1000 quick refusals.
[ "$answered" -ge $((n * 9 / 10)) ] || error "only $answered of $n status requests were answered"
idle() { ctl version > "$T/version" 2>&1 && grep -q " waiters=0 outboxes=0 outbox_bytes=0" "$T/version"; }
wait_for 5 idle
cat "$T/version"
rcv1=$(tr ' ' '\n' < "$T/version" | sed -n 's/^received=//p')
[ $((rcv1 - rcv0)) -ge "$answered" ] || error "droverd received $((rcv1 - rcv0)) requests, $answered were answered"
# w's pipes went with it: start it again, then droverd holds as many descriptors as before.
ctl start w > /dev/null || error "start w after the flood failed"
fds_back() { [ "$(fd_count "$DAEMON_PID")" -le "$fd0" ]; }
try_for 3 fds_back || error "droverd's descriptors: $fd0 before, $(fd_count "$DAEMON_PID") after the flood (w running again): $(ls -l /proc/$DAEMON_PID/fd | tail -n +2 | awk '{ print $9 $10 $11 }' | tr '\n' ' ')"
pass
