#!/bin/bash
# droverd SIGKILLed over and over with a control request in flight (RELIABILITY T09 reduced to what
# can be shown without systemd as PID 1, T10): 8 rounds (4 under ASan) of: start (answers within
# 5 s despite the stale objects of the previous round), 8 workers RUNNING with exactly one process
# per worker name, the IPC objects equal to the first round's set; a `droverctl wait` in flight;
# SIGKILL. Then: the old workers are gone within 2 s, the in-flight droverctl (a `wait` with a 2 s
# deadline: --timeout 1 + wait --timeout 1) returns exit 4 by its deadline + 2 s (it never hangs)
# and removes its reply queue. After the last round a clean
# SIGTERM leaves no IPC object.
# timeout: 120
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

ROUNDS=$(scaled 8 4)
write_config <<EOF2
[program:w]
command = /bin/sleep 1000
numprocs = 6
process_name = %(program_name)s_%(process_num)d
startsecs = 0

[program:stubborn]
command = $WSLEEP -T
numprocs = 2
process_name = %(program_name)s_%(process_num)d
startsecs = 0
stopwaitsecs = 1
EOF2
# per_name: "NAME COUNT" for every DROVER_PROCESS among the live processes of this instance.
per_name() {
	"$PY" - "$NAME" <<'EOF2'
import collections, os, sys
c = collections.Counter()
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        env = open("/proc/%s/environ" % d, "rb").read().split(b"\0")
        st = open("/proc/%s/stat" % d).read()
    except OSError:
        continue
    if st[st.rfind(")") + 2] == "Z" or ("DROVER_NAME=" + sys.argv[1]).encode() not in env:
        continue
    for e in env:
        if e.startswith(b"DROVER_PROCESS="):
            c[e.split(b"=", 1)[1].decode()] += 1
for k in sorted(c):
    print(k, c[k])
EOF2
}
reply_queues() { ipc_objects "$NAME" | grep -c '\.reply\.'; }
worst_ready=0 worst_gone=0 worst_ctl=0 ctl_rcs=
for i in $(seq 1 "$ROUNDS"); do
	t0=$(now_ms)
	start_daemon
	ready=$(($(now_ms) - t0))
	[ "$ready" -gt "$worst_ready" ] && worst_ready=$ready
	[ "$ready" -le 5000 ] || error "round $i: droverd answered after $ready ms (want <= 5 s)"
	wait_for 10 all_in_state RUNNING "" 8
	old=$(_st names "$STATUS_JSON" | awk '{ print $2 }')
	dup=$(per_name | awk '$2 != 1')
	[ "$(per_name | wc -l)" = 8 ] && [ -z "$dup" ] || error "round $i: not exactly one process per worker name: $(per_name | tr '\n' ' ')"
	ipc_objects "$NAME" | grep -v '\.reply\.' | sort > "$T/ipc.now"
	[ -f "$T/ipc.first" ] || cp "$T/ipc.now" "$T/ipc.first"
	cmp -s "$T/ipc.first" "$T/ipc.now" || error "round $i: IPC objects [$(tr '\n' ' ' < "$T/ipc.now")], first round had [$(tr '\n' ' ' < "$T/ipc.first")]"

	"$DROVERCTL" -n "$NAME" --timeout 1 wait STOPPED w:w_0 --timeout 1 > "$T/inflight.out" 2>&1 &
	inflight=$!
	wait_for 2 eval '[ "$(reply_queues)" -ge 1 ]'
	kill -KILL "$DAEMON_PID"
	t0=$(now_ms)
	wait "$DAEMON_PID" 2>/dev/null
	gone() { local p; for p in $old; do proc_alive "$p" && return 1; done; return 0; }
	try_for 2 gone || error "round $i: old workers alive 2 s after SIGKILL: $(for p in $old; do proc_alive "$p" && echo "$p"; done | tr '\n' ' ')"
	g=$(($(now_ms) - t0))
	[ "$g" -gt "$worst_gone" ] && worst_gone=$g
	if try_for 4 _gone "$inflight"; then
		wait "$inflight"; rc=$?
		c=$(($(now_ms) - t0))
		[ "$c" -gt "$worst_ctl" ] && worst_ctl=$c
		ctl_rcs="$ctl_rcs$rc "
		[ "$rc" = 4 ] || error "round $i: the in-flight droverctl exited $rc, want 4 (daemon unreachable): $(head -c 200 "$T/inflight.out")"
	else
		error "round $i: the in-flight droverctl (2 s deadline) still runs 4 s after droverd's death"
		kill -KILL "$inflight"
	fi
	try_for 2 eval '[ "$(reply_queues)" = 0 ]' || error "round $i: reply queue left by the in-flight droverctl: $(ipc_objects "$NAME" | grep reply)"
	[ ${#ERRORS[@]} -le 10 ] || break
done
start_daemon
wait_for 10 all_in_state RUNNING "" 8
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "last droverd exited $DAEMON_STATUS"
left=$(ipc_objects "$NAME" | tr '\n' ' ')
[ -z "$left" ] || error "IPC objects left after the final clean exit: $left"
measured "$ROUNDS SIGKILLs with a request in flight: ready after restart <= $worst_ready ms, old workers gone <= $worst_gone ms, in-flight droverctl returned <= $worst_ctl ms (exit codes: $(echo $ctl_rcs | tr ' ' '\n' | sort | uniq -c | awk '{ printf "%sx%s ", $1, $2 }')), IPC set stable [$(tr '\n' ' ' < "$T/ipc.first")]"
pass
