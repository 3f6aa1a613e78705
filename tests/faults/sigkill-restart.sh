#!/bin/bash
# droverd SIGKILLed with 50 workers running (40 sleepers, 5 that ignore SIGTERM, 5 launchers whose
# setsid'd grandchild escaped), then started again with the same config (issue 7 #1, RELIABILITY T10
# reduced): every worker of the old run is gone within 2 s (PR_SET_PDEATHSIG), even the ones that
# ignore SIGTERM; the new droverd starts despite the stale lock and control queue, answers at once
# and runs 50 fresh workers; after its clean exit no IPC object of the instance is left (/dev/shm,
# sem.*, mq). Escaped grandchildren (no PDEATHSIG: it is not inherited across fork) are reported.
# Then 8 kills at random moments of a start-up burst (3 under ASan): no orphaned worker 2 s later,
# and workers that drop privileges (user = nobody) report PR_GET_PDEATHSIG = SIGKILL after exec.
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep worker-probe fault-grandkids

mkdir -p "$T/probe"
chmod 1777 "$T/probe"
chmod 0755 "$T"
write_config <<EOF2
[program:s]
command = /bin/sleep 1000
numprocs = 40
process_name = %(program_name)s_%(process_num)02d
startsecs = 0

[program:stubborn]
command = $WSLEEP -T
numprocs = 5
process_name = %(program_name)s_%(process_num)d
startsecs = 0
stopwaitsecs = 1

[program:launcher]
command = $HELPERS/fault-grandkids -n 1 -a 100000000 -m 100000000 -s -p $T/gk.%(process_num)d
numprocs = 5
process_name = %(program_name)s_%(process_num)d
startsecs = 0
stopwaitsecs = 2
EOF2
cp "$CONF" "$T/main.ini"
start_daemon
wait_for 15 all_in_state RUNNING "" 50
wait_for 5 eval '[ "$(cat "$T"/gk.* 2>/dev/null | grep -c "^start")" = 5 ]'
refresh_status
old_workers=$(_st names "$STATUS_JSON" | awk '{ print $2 }' | sort -n)
old_gk=$(cat "$T"/gk.* | awk '$1 == "start" { print $2 }')
[ "$(echo "$old_workers" | wc -w)" = 50 ] || fail "expected 50 worker pids, got $(echo "$old_workers" | wc -w)"
ipc_objects "$NAME" | sort > "$T/ipc.run1"
old_daemon=$DAEMON_PID

t0=$(now_ms)
kill -KILL "$DAEMON_PID"
workers_gone() { local p; for p in $old_workers; do proc_alive "$p" && return 1; done; return 0; }
wait_for 2 workers_gone
gone_ms=$(($(now_ms) - t0))
wait "$old_daemon" 2>/dev/null
survivors=0
for p in $old_gk; do proc_alive "$p" && survivors=$((survivors + 1)); done
log "50 old workers gone $(fmt_ms $gone_ms)s after SIGKILL; escaped grandchildren still alive: $survivors of 5 (ppid now: $(for p in $old_gk; do awk '{ print $4 }' /proc/$p/stat 2>/dev/null; done | sort -u | tr '\n' ' '))"
ipc_objects "$NAME" | sort > "$T/ipc.stale"
log "stale IPC objects: $(tr '\n' ' ' < "$T/ipc.stale")"

# Same config, new droverd: starts, answers, runs 50 new workers.
t0=$(now_ms)
start_daemon
ready_ms=$(($(now_ms) - t0))
wait_for 15 all_in_state RUNNING "" 50
refresh_status
new_workers=$(_st names "$STATUS_JSON" | awk '{ print $2 }' | sort -n)
for p in $new_workers; do
	case " $(echo $old_workers) " in *" $p "*) fail "worker pid $p of the old run is in the new run's status" ;; esac
done
ipc_objects "$NAME" | sort > "$T/ipc.run2"
cmp -s "$T/ipc.run1" "$T/ipc.run2" || error "IPC objects of the new run differ from the first run's: [$(tr '\n' ' ' < "$T/ipc.run1")] -> [$(tr '\n' ' ' < "$T/ipc.run2")]"
# The new droverd kills what the old run left behind (escaped grandchildren carry the instance's
# worker environment) before it starts anything.
esc_alive() { local n=0 p; for p in $old_gk; do proc_alive "$p" && n=$((n + 1)); done; echo $n; }
try_for 2 eval '[ "$(esc_alive)" = 0 ]'
ESC_AFTER=$(esc_alive)
[ "$ESC_AFTER" = 0 ] || error "$ESC_AFTER escaped grandchildren of the old run are still alive under the new droverd"
grep -F "left behind by an earlier run" "$DAEMON_LOG" | tail -n 2
[ -z "$old_gk" ] || grep -qF "left behind by an earlier run" "$DAEMON_LOG" || error "the new droverd did not log the leftovers it killed"
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "second droverd exited $DAEMON_STATUS"
left=$(ipc_objects "$NAME" | tr '\n' ' ')
[ -z "$left" ] || error "IPC objects left after the clean exit of the new droverd: $left"
for p in $old_gk; do kill -KILL "$p" 2>/dev/null; done

# Kills at random moments of a start-up burst (between fork and prctl included): no orphan.
write_config <<EOF2
[program:s]
command = /bin/sleep 1000
numprocs = 30
process_name = %(program_name)s_%(process_num)02d
startsecs = 0

[program:probe]
command = $WPROBE $T/probe
user = nobody
numprocs = 10
process_name = %(program_name)s_%(process_num)02d
startsecs = 0
EOF2
rounds=$(scaled 8 3)
orphans=0
for i in $(seq 1 "$rounds"); do
	launch_daemon
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"   # pacing: a random moment (0-99 ms) of the start-up burst
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	if ! try_for 2 no_workers_left; then
		orphans=$((orphans + $(worker_pids | wc -l)))
		error "round $i: orphaned workers 2 s after SIGKILL of droverd: $(worker_pids | tr '\n' ' ')"
		kill -KILL $(worker_pids) 2>/dev/null
	fi
done
reports=0 bad=0
for f in "$T"/probe/[0-9]*; do
	[ -e "$f" ] || continue
	reports=$((reports + 1))
	grep -qx 'pdeathsig 9' "$f" || { bad=$((bad + 1)); log "probe $(basename "$f"): $(tr '\n' ' ' < "$f")"; }
done
[ "$bad" = 0 ] || error "$bad of $reports privilege-dropping probes report a PDEATHSIG other than SIGKILL"

# And the instance still starts cleanly after all that.
start_daemon
wait_for 15 all_in_state RUNNING "" 40
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "last droverd exited $DAEMON_STATUS"
left=$(ipc_objects "$NAME" | tr '\n' ' ')
[ -z "$left" ] || error "IPC objects left after the last clean exit: $left"
measured "old workers gone ${gone_ms} ms after SIGKILL; restart answered after ${ready_ms} ms; stale [$(tr '\n' ' ' < "$T/ipc.stale")]; escaped grandchildren surviving the restart $ESC_AFTER/5; random-time kills $rounds, orphans $orphans; probes $reports, bad pdeathsig $bad"
pass
