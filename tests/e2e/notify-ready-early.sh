#!/bin/bash
# A worker's READY=1 that reaches droverd before droverd knows the worker's pid counts. droverd
# learns a pid from its spawn helper's answer, and a quick worker's first notify message can come
# first (under load it did: "notify message dropped (no worker)", then the worker was killed as not
# ready within startsecs, e2e/health-restart). Here 30 workers say READY=1 as the first thing they
# do: every one is RUNNING, ready through notify, long before its startsecs (20 s), and droverd
# dropped no message.
# timeout: 60
. "$(dirname "$0")/lib.sh"
command -v systemd-notify > /dev/null || skip "systemd-notify missing"

write_config <<EOF
[program:n]
command = /bin/sh -c 'systemd-notify --ready; exec sleep 1000'
numprocs = 30
process_name = n_%(process_num)02d
ready = notify
startsecs = 20
EOF
start_daemon
try_for 15 all_in_state RUNNING "" 30 ||
	error "not all 30 notify workers RUNNING after 15 s: $(_st names "$STATUS_JSON" | awk '$3 != "RUNNING"' | tr '\n' ' ')"
grep 'notify message dropped' "$DAEMON_LOG" && error "droverd dropped notify messages"
pass
