#!/bin/bash
# Children that die together are reaped in one batch, and their exits are acted on after the
# whole batch is reaped; by then every pid of the batch is free. A respawn for the first exit may
# take the pid of a later entry of the same batch. In a PID namespace of the test's own, droverd
# is stopped, two of its children are killed and the namespace's pid counter is set so that the
# respawn of worker a gets the pid of the other one. That exit must still go to its owner:
# (1) the other one is h's readiness probe command (ready = exec:): the probe gets its exit (a
#     failed attempt, then the next one), and a's new worker is not taken for the dead probe;
# (2) the two are workers b and a: both come back once, each with a worker of its own.
# Batches are the SIGCHLD path: workers spawned in droverd itself (DROVER_SPAWN_HELPER=0). Those a
# spawn helper makes have no exit signal and are reaped one by one from their pidfds, each exit
# handed over before the next child is looked at.
# timeout: 90
. "$(dirname "$0")/lib.sh"
export DROVER_SPAWN_HELPER=0
need_helpers pid-place
unshare --pid --fork --mount-proc --kill-child true 2>/dev/null || skip "unshare --pid --fork --mount-proc does not work here"
PLACE=$HELPERS/pid-place

write_config <<EOF
[program:a]
command = /bin/sleep 1000
startsecs = 0
autorestart = true

[program:b]
command = /bin/sleep 1001
startsecs = 0
autorestart = true

[program:h]
command = /bin/sleep 1002
ready = exec:exec /bin/sleep 1003
ready_timeout = 60
startsecs = 100
EOF
launch_daemon unshare --pid --fork --mount-proc --kill-child
wait_for 5 eval '[ -n "$(children_of "$DAEMON_PID")" ]'
inner=$(children_of "$DAEMON_PID")
DAEMON_PIDS+=("$inner")   # clean-up signals droverd itself: unshare does not pass SIGTERM on
CTL_PREFIX=(nsenter -t "$inner" -p -m)
wait_daemon_ready
in_ns() { nsenter -t "$inner" -p -m "$@"; }
trap '_rc=$?; kill -CONT $inner 2>/dev/null; (exit $_rc); _cleanup' EXIT

# ns_pid CMDLINE: the namespace pid of droverd's child running exactly CMDLINE.
ns_pid() {
	local p
	for p in $(children_of "$inner"); do
		[ "$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)" = "$1 " ] || continue
		awk '/^NSpid:/ { print $NF }' "/proc/$p/status"
		return 0
	done
	return 1
}
# a_workers: host pids of droverd's live children that are a's workers (by their DROVER_PROCESS mark).
a_workers() {
	local p
	for p in $(children_of "$inner"); do
		proc_alive "$p" && grep -qzx 'DROVER_PROCESS=a' "/proc/$p/environ" 2>/dev/null && echo "$p"
	done
}
up_2s() { [ "$(field_of a uptime | cut -d. -f1)" -ge 2 ] 2>/dev/null; }

# host_pid NSPID: the host pid of droverd's child NSPID.
host_pid() {
	local p
	for p in $(children_of "$inner"); do
		[ "$(awk '/^NSpid:/ { print $NF }' "/proc/$p/status" 2>/dev/null)" = "$1" ] && { echo "$p"; return 0; }
	done
	return 1
}
# kill_both OLDER OTHER: stop droverd, SIGKILL both (namespace pids; OLDER is droverd's older child),
# wait until both are zombies, make OTHER the next pid, resume: droverd reaps both in one batch,
# OLDER first, and OLDER's respawn gets OTHER's pid.
kill_both() {
	local h1 h2
	h1=$(host_pid "$1") && h2=$(host_pid "$2") || fail "no children $1 $2 of droverd"
	kill -STOP "$inner"
	wait_for 5 eval '[ "$(proc_state "$inner")" = T ]'
	in_ns kill -KILL "$1" "$2" || fail "kill $1 $2 in the namespace"
	wait_for 5 eval '[ "$(proc_state "$h1")" = Z ] && [ "$(proc_state "$h2")" = Z ]'
	in_ns "$PLACE" -n 0 "$2" || fail "pid-place could not set the namespace's pid counter"
	kill -CONT "$inner"
}

wait_for 10 eval 'is_state a RUNNING && is_state b RUNNING && is_state h STARTING'
wait_for 5 up_2s   # a crash of a younger worker waits before its respawn: this one respawns at once

# (1) a and h's probe command
A=$(pid_of a)
P=$(ns_pid "/bin/sleep 1003") || fail "h's probe command is not running"
log "(1) a is pid $A, h's probe command pid $P (namespace pids)"
kill_both "$A" "$P"
wait_for 5 eval '[ "$(field_of a restarts)" -ge 1 ] && is_state a RUNNING'
grep -q "spawned: 'a' with pid $P\$" "$DAEMON_LOG" ||
	skip "a's respawn did not get the probe's pid $P (the namespace forked meanwhile?)"
log "a respawned as pid $P, the probe's"
try_for 5 eval 'refresh_status && [ -n "$(last_field h ready_detail)" ]' ||
	error "(1) h's probe never got its command's exit (ready_detail still empty)"
log "h: $(last_field h state), ready_detail '$(last_field h ready_detail)'"
try_for 1 eval '[ "$(field_of a restarts)" != 1 ]' &&
	error "(1) a was restarted $(last_field a restarts) times: the probe's exit was taken for a's new worker ($(grep -c "exited: a " "$DAEMON_LOG") exits of a logged)"
w=$(a_workers)
[ "$(echo $w | wc -w)" = 1 ] || error "(1) a has $(echo $w | wc -w) live workers ($(echo $w))"
[ "$(pid_of a)" = "$P" ] || error "(1) a shows pid $(last_field a pid), not its worker $P"
wait_for 5 eval '[ -n "$(ns_pid "/bin/sleep 1003")" ]'   # the probe's next attempt runs

# (2) b and a: b is droverd's oldest child now (a was respawned), so b's respawn is the one that
# gets the other's pid
wait_for 5 up_2s
A=$(pid_of a)
B=$(pid_of b)
log "(2) b is pid $B, a pid $A"
kill_both "$B" "$A"
wait_for 5 eval '[ "$(field_of a restarts)" = 2 ] && [ "$(field_of b restarts)" = 1 ]'
wait_for 5 eval 'is_state a RUNNING && is_state b RUNNING'
A2=$(pid_of a); B2=$(pid_of b)
log "b respawned as pid $B2, a as $A2"
[ "$B2" = "$A" ] || skip "b's respawn got pid $B2, not a's old $A (the namespace forked meanwhile?)"
[ "$A2" != "$B2" ] || error "(2) a and b both show pid $A2"
hold_for 1 eval '[ "$(field_of a restarts)" = 2 ] && [ "$(field_of b restarts)" = 1 ]'
for p in "$A2" "$B2"; do
	in_ns kill -0 "$p" 2> /dev/null || error "(2) status shows pid $p, which is not alive"
done
t0=$(now_ms)
ctl stop a b > /dev/null || error "(2) stop a b failed"
[ $(( $(now_ms) - t0 )) -lt 5000 ] || error "(2) stop a b took $(( $(now_ms) - t0 )) ms"
pass
