#!/bin/bash
# fd exhaustion, in two forms.
# At start-up: droverd with RLIMIT_NOFILE 64:64 (it cannot raise it) and 200 logged processes. The
# config cannot fit, so droverd refuses it when it reads it: exit 1, one error that says how many
# descriptors the config needs, the limit, and how many of its processes fit; nothing created (no
# instance lock, queue or scoreboard, no worker, no log file).
# While running: the same 200 processes (autostart = false) under a droverd whose limit is lowered to
# 64:64 from outside (prlimit --pid) after it started. `start all` runs as many as its descriptors
# allow, refuses the rest with a clear message ("Too many open files") that ends in FATAL
# (startretries = 1: no endless retry); droverd stays within its limit, keeps answering the control
# queue (20 round trips), keeps supervising what it has (3 SIGKILLed workers are reaped and
# replaced), survives a second `start all` against the wall, and exits 0 on SIGTERM with all stopped.
# timeout: 90
. "$(dirname "$0")/lib.sh"
command -v prlimit > /dev/null || skip "prlimit missing (util-linux)"

config() {
	write_config <<EOF2
[program:w]
command = /bin/sleep 1000
numprocs = 200
process_name = %(program_name)s_%(process_num)03d
startsecs = 0
startretries = 1
stopwaitsecs = 2
autostart = $1
EOF2
}

# --- At start-up: refused whole when the config is read. A logged process costs 5 descriptors (its
# pidfd, two pipes' read ends, two log files): 1000 needed, 64 - 128 kept for droverd = none fit.
config true
launch_daemon prlimit --nofile=64:64
wait_for 10 _gone "$DAEMON_PID"
wait "$DAEMON_PID"; DAEMON_STATUS=$?
[ "$DAEMON_STATUS" = 1 ] || fail "droverd exited $DAEMON_STATUS at RLIMIT_NOFILE 64 with 200 logged processes, want 1"
refusal=$(grep -m 1 'of them fit' "$DAEMON_LOG")
[ -n "$refusal" ] || { tail -n 5 "$DAEMON_LOG"; fail "droverd's start-up refusal does not say how many processes fit"; }
case $refusal in
*"200 processes need 1000 descriptors"*"limit is 64"*"0 of them fit"*) ;;
*) fail "start-up refusal does not give the need, the limit and what fits: $refusal" ;;
esac
[ -z "$(ipc_objects "$NAME")" ] || fail "a refused start left IPC objects: $(ipc_objects "$NAME")"
no_workers_left || fail "a refused start left workers: $(worker_pids)"
[ -z "$(ls "$LOG_DIR")" ] || fail "a refused start created log files: $(ls "$LOG_DIR" | head -n 3)"

# --- While running: the limit lowered under droverd's feet.
config false
start_daemon
prlimit --pid "$DAEMON_PID" --nofile=64:64 || fail "prlimit --pid $DAEMON_PID failed"
grep -q 'Max open files *64 *64' "/proc/$DAEMON_PID/limits" || fail "droverd's RLIMIT_NOFILE is not 64:64"
base=$(fd_count "$DAEMON_PID")
log "droverd holds $base descriptors before any worker"

settled() { # every process RUNNING or FATAL
	refresh_status || return 1
	[ "$(status_py 'print(sum(1 for o in d if o["state"] in ("RUNNING", "FATAL")))')" = 200 ]
}
ctl start --no-wait all > "$T/start1.out" 2>&1
log "droverctl start --no-wait all: exit $?"
wait_for 30 settled
running=$(_st count "$STATUS_JSON" RUNNING)
fatal=$(_st count "$STATUS_JSON" FATAL)
fds=$(fd_count "$DAEMON_PID")
log "settled: $running RUNNING, $fatal FATAL; droverd holds $fds fds"
# A logged worker costs droverd 5 descriptors: (64 - base) / 5 of them fit, less what stays free.
[ "$running" -ge 5 ] || error "only $running processes run with 64 descriptors"
[ "$fatal" -ge 1 ] || error "all 200 processes run with 64 descriptors: the limit was not in force"
[ "$fds" -le 64 ] || error "droverd holds $fds fds, above its limit 64?"
descs=$(status_py 'import collections
c = collections.Counter(o.get("description") or "" for o in d if o["state"] == "FATAL")
print("; ".join("%dx %s" % (n, k) for k, n in c.most_common(3)))')
log "FATAL descriptions: $descs"
unclear=$(status_py 'print(sum(1 for o in d if o["state"] == "FATAL" and "Too many open files" not in (o.get("description") or "")))')
[ "$unclear" = 0 ] || error "$unclear FATAL processes do not say 'Too many open files' in their description"
emfile_lines=$(grep -c 'Too many open files' "$DAEMON_LOG")
log "log lines naming EMFILE: $emfile_lines"
[ "$emfile_lines" -ge 1 ] || error "droverd's log never says 'Too many open files'"
[ "$emfile_lines" -le $((fatal * 4 + 10)) ] || error "$emfile_lines EMFILE log lines for $fatal refused processes: a retry loop?"

# The control queue keeps answering.
slow=0 maxms=0
for i in $(seq 1 20); do
	t0=$(now_ms)
	ctl version > /dev/null 2>&1 || fail "droverctl version failed (round trip $i) with droverd at its fd limit"
	ms=$(($(now_ms) - t0))
	[ "$ms" -gt "$maxms" ] && maxms=$ms
	[ "$ms" -gt 1000 ] && slow=$((slow + 1))
done
[ "$slow" = 0 ] || error "$slow of 20 control round trips took over 1 s"

# It keeps supervising what it has: 3 SIGKILLed workers are reaped and replaced. (Seen failing: the
# respawn needs more descriptors for a moment than the dead worker gave back, so at the limit a worker
# that dies goes FATAL with EMFILE instead of being restarted: droverd kept no headroom.)
victims=$(_st names "$STATUS_JSON" | awk '$3 == "RUNNING" { print $1, $2 }' | head -n 3)
echo "$victims" | awk '{ print $2 }' | xargs kill -KILL
replaced() {
	local n p
	refresh_status || return 1
	while read -r n p; do
		[ "$(last_field "$n" state)" = RUNNING ] && [ "$(last_field "$n" pid)" != "$p" ] || return 1
	done <<< "$victims"
}
REPLACED=yes
try_for 10 replaced || {
	REPLACED=no
	error "killed workers not replaced within 10 s: $(while read -r n p; do echo "$n $(last_field "$n" state) $(last_field "$n" description);"; done <<< "$victims" | tr '\n' ' ')"
}
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || error "zombies among droverd's children after the kills"

# Against the wall again: start everything; droverd refuses what does not fit and stays healthy.
ctl start --no-wait all > "$T/start2.out" 2>&1
log "droverctl start --no-wait all (again): exit $?, $(grep -c . "$T/start2.out") lines"
wait_for 30 settled
running2=$(_st count "$STATUS_JSON" RUNNING)
fds2=$(fd_count "$DAEMON_PID")
ctl version > /dev/null || fail "droverd does not answer after start all"
[ "$REPLACED" = no ] || [ "$running2" -ge "$running" ] || error "fewer processes run after start all: $running -> $running2"
[ "$fds2" -le 64 ] || error "droverd holds $fds2 fds, above its limit 64?"
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || error "zombies among droverd's children"
t0=$(now_ms)
stop_daemon TERM 20
stop_ms=$(($(now_ms) - t0))
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS after SIGTERM"
no_workers_left || error "workers left after shutdown: $(worker_pids | wc -l)"
measured "start-up at RLIMIT_NOFILE 64: refused ($refusal); lowered to 64 while running: $running RUNNING + $fatal FATAL of 200 ($fds fds, $base before); EMFILE log lines $emfile_lines; 20 ctl round trips max $maxms ms; 3 killed workers replaced: $REPLACED; after start all $running2 RUNNING ($fds2 fds); shutdown $stop_ms ms"
pass
