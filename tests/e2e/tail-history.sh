#!/bin/bash
# `droverctl tail -n N` gives N lines when the log file has them, although droverd's 64 KiB in
# memory do not: older output (more than 64 KiB ago), and output from before droverd restarted
# (the memory is empty then). With stdout_logfile = NONE the output is discarded (no pipe at all):
# tail says so.
# timeout: 60
. "$(dirname "$0")/lib.sh"

conf() {
	write_config <<EOF2
[program:w]
command = /bin/sh -c 'seq -f "line %%06g" 1 20000; exec sleep 1000'
startsecs = 0
autostart = $1
stdout_logfile = $LOG_DIR/w.log

[program:mem]
command = /bin/sh -c 'seq -f "line %%06g" 1 20000; exec sleep 1000'
startsecs = 0
autostart = $1
stdout_logfile = NONE
EOF2
}
conf true
start_daemon
have_last() { [ "$(ctl tail -n 1 "$1" 2>/dev/null)" = "line 020000" ]; }
wait_for 10 have_last w
ctl tail -n 1 mem > "$T/mem.out" 2>&1 && error "tail of mem (stdout_logfile = NONE) succeeded: $(cat "$T/mem.out")"
grep -q "discarded" "$T/mem.out" || error "tail of mem (stdout_logfile = NONE) does not say the output is discarded: $(cat "$T/mem.out")"

# 20000 lines of 12 bytes: 240 KB, memory holds the last 64 KiB (about 5460 lines).
[ "$(ctl tail -n 15000 w)" = "$(seq -f 'line %06g' 5001 20000)" ] ||
	error "tail -n 15000 w: $(ctl tail -n 15000 w | wc -l) lines, first '$(ctl tail -n 15000 w | head -n 1)'"
[ "$(ctl tail -n 3 w)" = "$(seq -f 'line %06g' 19998 20000)" ] || error "tail -n 3 w: $(ctl tail -n 3 w | tr '\n' ' ')"

# droverd restarts; w and mem are not started again: memory is empty, the log file is not.
stop_daemon TERM
conf false
start_daemon
[ "$(ctl tail -n 3 w)" = "$(seq -f 'line %06g' 19998 20000)" ] ||
	error "tail -n 3 w after droverd's restart: '$(ctl tail -n 3 w | tr '\n' ' ')'"
pass
