#!/bin/bash
# A second droverd with the same instance name exits 1 within 1 s saying "already running"; the first
# keeps running, its workers undisturbed, its control queue answering; the instance lock is in no
# worker's /proc/PID/fd.
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:w]
command = /bin/sleep 1000
numprocs = 3
process_name = %(program_name)s_%(process_num)d
startsecs = 0
EOF2
start_daemon
wait_for 10 all_in_state RUNNING "" 3
names_pids > "$T/before"
ipc_objects "$NAME" > "$T/ipc.before"
log "IPC objects: $(tr '\n' ' ' < "$T/ipc.before")"

# The second one, from a copy of the config (same name), in the foreground under a hard limit.
cp "$CONF" "$T/second.ini"
t0=$(now_ms)
timeout -k 1 5 "$DROVERD" -c "$T/second.ini" > "$ART/droverd-second.log" 2>&1 < /dev/null; rc=$?
ms=$(($(now_ms) - t0))
log "second droverd: exit $rc after $(fmt_ms $ms)s: $(head -c 300 "$ART/droverd-second.log")"
[ "$rc" = 1 ] || error "second droverd exited $rc, want 1"
[ "$ms" -le 1000 ] || error "second droverd took $(fmt_ms $ms)s to give up, want <= 1s"
grep -qi "already running" "$ART/droverd-second.log" || error "second droverd's message lacks 'already running'"

daemon_alive || fail "the first droverd died"
ctl version > /dev/null || fail "the first droverd stopped answering"
wait_for 5 all_in_state RUNNING "" 3
names_pids > "$T/after"
cmp -s "$T/before" "$T/after" || { diff "$T/before" "$T/after"; error "workers of the first droverd were disturbed"; }
ipc_objects "$NAME" > "$T/ipc.after"
cmp -s "$T/ipc.before" "$T/ipc.after" || error "IPC objects changed: $(tr '\n' ' ' < "$T/ipc.after")"
[ "$(children_of "$DAEMON_PID" | wc -l)" = 3 ] || error "first droverd has $(children_of "$DAEMON_PID" | wc -l) children, want 3"

# The lock (whatever droverd uses: /dev/shm/NAME.lock, a pidfile in run_dir) is in no worker.
for pid in $(worker_pids); do
	for fd in /proc/"$pid"/fd/*; do
		l=$(readlink "$fd")
		case $l in
		*"$NAME"*|"$RUN_DIR"*) error "worker $pid holds $fd -> $l" ;;
		esac
	done
done
pass
