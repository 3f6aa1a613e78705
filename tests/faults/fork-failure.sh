#!/bin/bash
# fork() failing with EAGAIN (issue 7 #2, RELIABILITY T12 with RLIMIT_NPROC): droverd runs as an
# unprivileged uid of its own (root is exempt from RLIMIT_NPROC) with a soft limit of 7 tasks:
# droverd's own 4 (its main and spawn threads, and the two spawn helpers that six starts at once put
# to work) + 3 workers. Of 6 programs, 3 run and 3 fail to spawn: droverd logs the EAGAIN ("fork:
# Resource temporarily unavailable"), shows it in `droverctl status`, retries with backoff (at most
# one attempt per backoff interval), keeps its fd count and keeps answering; once the limit is lifted
# (prlimit on droverd's pid from outside) all 6 run within one backoff interval (+ 1 s slack).
# timeout: 60
. "$(dirname "$0")/lib.sh"
command -v setpriv > /dev/null && command -v prlimit > /dev/null || skip "setpriv or prlimit missing (util-linux)"

# A uid nobody else uses (the process count is per user: another test's processes must not count).
U=
for u in $((61000 + $$ % 3000)) $((64000 + RANDOM % 1000)) $((65000 + RANDOM % 500)); do
	[ -z "$(pgrep -U "$u")" ] && ! getent passwd "$u" > /dev/null && { U=$u; break; }
done
[ -n "$U" ] || skip "no unused uid found"
AS_U=(setpriv --reuid="$U" --regid="$U" --clear-groups)
chmod 0755 "$T"
chown "$U:$U" "$LOG_DIR" "$RUN_DIR"
HARD=$(ulimit -Hu)

write_config <<EOF2
[program:w]
command = /bin/sleep 1000
numprocs = 6
process_name = %(program_name)s_%(process_num)d
startsecs = 0
startretries = 1000
backoff = exponential
backoff_initial = 1
backoff_max = 1
EOF2
CTL_PREFIX=("${AS_U[@]}")
start_daemon prlimit --nproc=7:"$HARD" "${AS_U[@]}"
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$DAEMON_PID/status")" = "$U" ] || fail "droverd does not run as uid $U"
log "droverd pid $DAEMON_PID as uid $U, $(grep 'Max processes' "/proc/$DAEMON_PID/limits")"

three_and_three() {
	refresh_status || return 1
	[ "$(_st count "$STATUS_JSON" RUNNING)" = 3 ] &&
		[ "$(status_py 'print(sum(1 for o in d if o["state"] in ("BACKOFF", "STARTING")))')" = 3 ]
}
wait_for 10 three_and_three
grep -q 'fork: Resource temporarily unavailable' "$DAEMON_LOG" || fail "droverd's log does not show the EAGAIN of fork"
desc=$(status_py 'print("; ".join("%s %s: %s" % (o["name"], o["state"], o.get("description") or o.get("status")) for o in d if o["state"] != "RUNNING"))')
log "not running: $desc"
case $desc in *"Resource temporarily unavailable"*) ;; *) error "droverctl status does not show the EAGAIN: $desc" ;; esac

# Retries with backoff: over 3 s, each failing process tries at most 4 times (1 s interval), at least once.
fds0=$(fd_count "$DAEMON_PID")
n0=$(grep -c 'fork: Resource temporarily unavailable' "$DAEMON_LOG")
hold_for 3 daemon_alive
n1=$(grep -c 'fork: Resource temporarily unavailable' "$DAEMON_LOG")
retries=$((n1 - n0))
log "failed forks in 3 s: $retries (3 processes, backoff 1 s)"
[ "$retries" -ge 3 ] || error "only $retries retries in 3 s: droverd stopped retrying"
[ "$retries" -le 12 ] || error "$retries retries in 3 s: faster than the 1 s backoff"
fds1=$(fd_count "$DAEMON_PID")
[ "$fds0" = "$fds1" ] || error "droverd's fd count changed while fork failed: $fds0 -> $fds1"
ctl version > /dev/null || fail "droverd does not answer while fork fails"

# Lift the limit (as the same uid: raising the soft limit up to the hard one needs no privilege).
t0=$(now_ms)
"${AS_U[@]}" prlimit --pid "$DAEMON_PID" --nproc="$HARD":"$HARD" || fail "prlimit --pid $DAEMON_PID failed"
wait_for 3 all_in_state RUNNING "" 6
rec_ms=$(($(now_ms) - t0))
log "all 6 RUNNING $(fmt_ms $rec_ms)s after the limit was lifted"
fds2=$(fd_count "$DAEMON_PID")
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || error "zombies among droverd's children"
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS after SIGTERM"
measured "3 of 6 spawns failing with EAGAIN; $retries retries in 3 s; fds $fds0 -> $fds1 during failures ($fds2 with 6 running); recovered $rec_ms ms after the limit was lifted"
pass
