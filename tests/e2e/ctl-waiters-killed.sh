#!/bin/bash
# A droverctl killed while it waits does not keep its waiter: droverd holds at most 256 waiting
# requests, and 256 clients SIGKILLed during `wait --timeout 3600` used to keep theirs for an
# hour, answering every later waiting command (wait, start, stop, restart) "busy". droverd drops
# a waiter once its client is gone, and removes the reply queue the dead client left behind.
# timeout: 120
. "$(dirname "$0")/lib.sh"
N=256
need_helpers ctl-waiter

write_config <<EOF
[program:x]
command = /bin/sleep 1000
startsecs = 0
EOF
start_daemon
wait_for 5 is_state x RUNNING
waiters() { ctl version | sed -n 's/.* waiters=\([0-9]*\).*/\1/p'; }

# Four clients with 64 waiting requests each, answered to one small reply queue per client (256
# droverctl reply queues would not fit in one user's RLIMIT_MSGQUEUE, nor in queues_max).
clients=()
for i in 1 2 3 4; do
	"$HELPERS/ctl-waiter" "/$NAME.ctl" x 3600000 $((N / 4)) > "$T/w.$i" 2>&1 &
	clients+=($!)
done
wait_for 60 eval '[ "$(waiters)" = '$N' ]'
log "$N clients wait; the next waiting command is refused"
"$DROVERCTL" -n "$NAME" --timeout 5 wait STOPPED x --timeout 1 > "$T/busy.out" 2>&1
grep -q busy "$T/busy.out" || error "not busy with $N waiters: $(cat "$T/busy.out")"

kill -KILL "${clients[@]}"
{ wait "${clients[@]}"; } 2> /dev/null
log "the clients of $N waiters SIGKILLed"
try_for 5 eval '[ "$(waiters)" = 0 ]' || error "droverd still holds $(waiters) waiters of killed clients"
t0=$(now_ms)
"$DROVERCTL" -n "$NAME" --timeout 5 wait STOPPED x --timeout 1 > "$T/wait.out" 2>&1; rc=$?
log "wait after the kill: exit $rc after $(( $(now_ms) - t0 )) ms: $(head -c 200 "$T/wait.out")"
grep -q busy "$T/wait.out" && error "a waiting command is refused as busy after the clients of $N waiters were killed"
ctl stop x > "$T/stop.out" 2>&1 || error "stop x: $(cat "$T/stop.out")"
left=$(ipc_objects "$NAME" | grep -c '^mq /.*\.reply\.')
[ "$left" = 0 ] || error "$left reply queues of killed clients are left behind"
pass
