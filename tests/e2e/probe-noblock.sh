#!/bin/bash
# Probes never block the loop: 200 workers whose http probes hit a server that accepts and never
# answers, and 20 whose exec probes hang; droverctl status keeps answering while more than 1000
# attempts time out, and afterwards droverd holds exactly the descriptors it held before, with no
# zombie and no probe command left.
# timeout: 90
. "$(dirname "$0")/lib.sh"
PORT=$(free_ports 1)
MARK="probe-hang-$$"

cat > "$T/blackhole.py" <<'EOF'
import selectors, socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port)); ls.listen(4096); ls.setblocking(False)
sel = selectors.DefaultSelector(); sel.register(ls, selectors.EVENT_READ)
n = 0
while True:
    for key, _ in sel.select():
        if key.fileobj is ls:
            try:
                c, _ = ls.accept()
            except BlockingIOError:
                continue
            c.setblocking(False); sel.register(c, selectors.EVENT_READ); n += 1
            if n % 100 == 0:
                open(out + ".tmp", "w").write(str(n)); __import__("os").replace(out + ".tmp", out)
        else:
            try:
                d = key.fileobj.recv(4096)      # read the request, never answer
            except OSError:
                d = b""
            if not d:
                sel.unregister(key.fileobj); key.fileobj.close()
EOF
"$PY" "$T/blackhole.py" "$PORT" "$T/accepted" &
BH=$!
trap 'kill $BH 2>/dev/null; _cleanup' EXIT
listening() { "$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$PORT" 2>/dev/null; }
wait_for 5 listening

write_config <<EOF
[program:hang]
command = /bin/sh -c 'exec sleep 600'
numprocs = 200
process_name = hang_%(process_num)03d
autostart = false
ready = http://127.0.0.1:$PORT/ready
ready_interval = 0.1
ready_timeout = 0.3
startsecs = 120
stdout_logfile = NONE
stderr_logfile = NONE

[program:exe]
command = /bin/sh -c 'exec sleep 600'
numprocs = 20
process_name = exe_%(process_num)02d
autostart = false
environment = PROBE_MARK=$MARK
ready = exec:sleep 30
ready_interval = 0.1
ready_timeout = 0.2
startsecs = 120
stdout_logfile = NONE
stderr_logfile = NONE
EOF
start_daemon
fds0=$(fd_count "$DAEMON_PID")
t0=$(now_ms); ctl status > /dev/null; base=$(( $(now_ms) - t0 ))
log "baseline: $fds0 descriptors, status in $base ms"

ctl start --no-wait all > /dev/null
worst=0
busy() {
	local t0 dt
	t0=$(now_ms); ctl status hang_000 > /dev/null; dt=$(( $(now_ms) - t0 ))
	[ "$dt" -gt "$worst" ] && worst=$dt
	[ -s "$T/accepted" ] && [ "$(cat "$T/accepted")" -ge 1000 ]
}
wait_for 60 busy
log "1000 probe connections accepted and left unanswered; slowest status meanwhile: $worst ms"
[ "$worst" -lt 2000 ] || error "droverctl status took $worst ms while probes hung"
[ "$(count_in_state STARTING hang)" = 200 ] || error "hang: $(count_in_state STARTING hang) of 200 STARTING"
[ "$(last_field hang_000 ready_detail)" = "timed out after 0.300 s" ] || error "hang_000 ready_detail: '$(last_field hang_000 ready_detail)'"
[ "$(last_field exe_00 ready_detail)" = "timed out after 0.200 s" ] || error "exe_00 ready_detail: '$(last_field exe_00 ready_detail)'"
probes() { _st envpids "PROBE_MARK=$MARK" | grep -vxF "$(names_pids exe | awk '{print $2}')" | wc -l; }
[ "$(probes)" -le 40 ] || error "$(probes) exec probe processes alive (20 workers, one attempt each)"

ctl stop all > /dev/null
wait_for 30 all_in_state STOPPED
no_probes() { [ -z "$(_st envpids "PROBE_MARK=$MARK")" ]; }
wait_for 5 no_probes
settled() { [ "$(fd_count "$DAEMON_PID")" = "$fds0" ] && [ "$(count_zombies_of "$DAEMON_PID")" = 0 ]; }
try_for 5 settled || error "after: $(fd_count "$DAEMON_PID") descriptors (before: $fds0), $(count_zombies_of "$DAEMON_PID") zombies"
ls -l /proc/"$DAEMON_PID"/fd > "$ART/fds-after.txt" 2>&1
daemon_alive || fail "droverd died"
stop_daemon
pass
