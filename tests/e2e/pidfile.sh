#!/bin/bash
# pidfile in [supervisord] and in [drover] (relative to the config's directory):
#   a stale pidfile naming a live, unrelated process is replaced, and that process left alone;
#   the file holds droverd's pid once droverctl answers, mode 0644, no temporary file beside it;
#   the container pattern `kill -TERM $(cat pidfile)` stops the workers in order, droverd exits 0
#   and removes the file.
. "$(dirname "$0")/lib.sh"

sleep 1000 &
BYSTANDER=$!
round() {
	local section=$1 value=$2 file=$3
	printf '%s\n' "$BYSTANDER" > "$file"   # stale: a live process that is not droverd
	# (not write_config: its [drover] section would be a second one)
	cat > "$CONF" <<EOF2
[drover]
name = $NAME
log_dir = $LOG_DIR
run_dir = $RUN_DIR
$([ "$section" = drover ] && echo "pidfile = $value")
$([ "$section" = supervisord ] && printf '[supervisord]\npidfile = %s\n' "$value")

[program:w]
startsecs = 0
command = /bin/sh -c 'trap "echo stopped >> $T/stopped.$section; exit 0" TERM; echo ready > $T/ready.$section; while :; do sleep 1; done'
EOF2
	start_daemon
	wait_for 5 test -s "$T/ready.$section"
	[ "$(cat "$file")" = "$DAEMON_PID" ] || error "[$section] pidfile holds '$(cat "$file")', not droverd's pid $DAEMON_PID"
	[ "$(stat -c %a "$file")" = 644 ] || error "[$section] pidfile mode $(stat -c %a "$file"), not 644"
	ls "$(dirname "$file")" | grep -q "$(basename "$file")\." && error "a temporary file is left beside the pidfile: $(ls "$(dirname "$file")")"
	proc_alive "$BYSTANDER" || fail "the process named by the stale pidfile was killed"
	# The container pattern.
	kill -TERM "$(cat "$file")"
	wait_for 10 _gone "$DAEMON_PID"
	wait "$DAEMON_PID"; DAEMON_STATUS=$?
	[ "$DAEMON_STATUS" = 0 ] || error "[$section] droverd exited $DAEMON_STATUS after kill -TERM \$(cat pidfile)"
	[ "$(cat "$T/stopped.$section" 2>/dev/null)" = stopped ] || error "[$section] the worker was not stopped with its stopsignal"
	[ -e "$file" ] && error "[$section] the pidfile is still there after a clean exit: $(cat "$file")"
	try_for 2 no_workers_left || error "[$section] workers left: $(worker_pids)"
	return 0
}
round supervisord "$RUN_DIR/supervisord.pid" "$RUN_DIR/supervisord.pid"
mkdir -p "$T/rel"
round drover rel/droverd.pid "$T/rel/droverd.pid"
proc_alive "$BYSTANDER" || error "the bystander died"
kill "$BYSTANDER"
pass
