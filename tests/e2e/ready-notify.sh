#!/bin/bash
# ready = notify: a worker is RUNNING only after READY=1 through its own NOTIFY_SOCKET. redis-server
# --supervised systemd (the real daemon: never RUNNING before it answers PING), and a shell worker
# using systemd-notify --ready; STATUS= shows as the status line; a worker of another program never
# sees the socket, and droverd's own NOTIFY_SOCKET never reaches a worker.
# timeout: 60
. "$(dirname "$0")/lib.sh"
command -v redis-server >/dev/null || skip "redis-server missing (make check installs it: mk/deps.sh daemons)"
command -v systemd-notify >/dev/null || skip "systemd-notify missing"
PORT=$(free_ports 1)

write_config <<EOF
[program:redis]
; a second's delay before redis starts: a window in which it is not listening yet
command = /bin/sh -c 'sleep 1; exec redis-server --port $PORT --bind 127.0.0.1 --supervised systemd --save "" --appendonly no --daemonize no --dir $T'
ready = notify
startsecs = 20

[program:shell]
command = /bin/sh -c 'echo "socket=\$NOTIFY_SOCKET" > $T/shell.env; sleep 0.5; systemd-notify --status="warming up"; sleep 0.5; systemd-notify --ready --status="serving"; exec sleep 600'
ready = notify
startsecs = 20

[program:other]
command = /bin/sh -c 'echo "socket=\${NOTIFY_SOCKET:-none}" > $T/other.env; exec sleep 600'
EOF
# droverd itself runs with a NOTIFY_SOCKET (as under systemd): it must not leak
"$HELPERS/notify-sink" "$T/sd.sock" "$T/sd.log" 2>&1 &
SINK=$!
wait_for 5 test -S "$T/sd.sock"
NOTIFY_SOCKET=$T/sd.sock start_daemon

# redis: STARTING while PING fails; once RUNNING, PING answers
saw_starting_unreachable=0
redis_check() {
	local st
	st=$(state_of redis) || return 1
	if [ "$st" = RUNNING ]; then
		redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG || fail "redis is RUNNING but does not answer PING"
		return 0
	fi
	[ "$st" = STARTING ] || fail "redis is $st"
	redis-cli -p "$PORT" ping >/dev/null 2>&1 || saw_starting_unreachable=1
	return 1
}
wait_for 15 redis_check
[ "$saw_starting_unreachable" = 1 ] || error "never saw redis STARTING while unreachable (the test proves nothing)"
[ "$(last_field redis ready_via)" = notify ] || error "redis ready_via: $(last_field redis ready_via)"
[ "$(last_field redis ready)" = true ] || error "redis ready flag: $(last_field redis ready)"
log "redis: $(ctl status redis)"

wait_for 10 is_state shell RUNNING
[ "$(last_field shell ready_via)" = notify ] || error "shell ready_via: $(last_field shell ready_via)"
[ "$(last_field shell status)" = serving ] || error "shell status line: '$(last_field shell status)'"
ctl status shell | grep -q "ready via notify" || error "status table does not say 'ready via notify'"
grep -q "socket=/" "$T/shell.env" || error "shell worker got no NOTIFY_SOCKET: $(cat "$T/shell.env")"
grep -qx "socket=none" "$T/other.env" || error "a worker without ready = notify saw a NOTIFY_SOCKET: $(cat "$T/other.env")"
grep -q "$T/sd.sock" "$T/shell.env" && error "droverd's own NOTIFY_SOCKET leaked to a worker"
[ "$(last_field shell notify_dropped)" = 0 ] || error "shell: notify_dropped $(last_field shell notify_dropped)"
log "$(ctl status)"
stop_daemon
kill "$SINK" 2>/dev/null
pass
