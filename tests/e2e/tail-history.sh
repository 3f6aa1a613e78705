#!/bin/bash
# `droverctl tail -n N` gives N lines when the log file has them, although droverd's 64 KiB in
# memory do not: older output (more than 64 KiB ago), and output from before droverd restarted
# (the memory is empty then). With stdout_logfile = NONE only memory is there.
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
wait_for 10 have_last mem

# 20000 lines of 12 bytes: 240 KB, memory holds the last 64 KiB (about 5460 lines).
[ "$(ctl tail -n 15000 w)" = "$(seq -f 'line %06g' 5001 20000)" ] ||
	error "tail -n 15000 w: $(ctl tail -n 15000 w | wc -l) lines, first '$(ctl tail -n 15000 w | head -n 1)'"
n=$(ctl tail -n 15000 mem | wc -l)
[ "$n" -gt 5000 ] && [ "$n" -lt 5500 ] || error "tail -n 15000 mem (no log file): $n lines, want what memory holds"
[ "$(ctl tail -n 3 w)" = "$(seq -f 'line %06g' 19998 20000)" ] || error "tail -n 3 w: $(ctl tail -n 3 w | tr '\n' ' ')"

# droverd restarts; w and mem are not started again: memory is empty, the log file is not.
stop_daemon TERM
conf false
start_daemon
[ "$(ctl tail -n 3 w)" = "$(seq -f 'line %06g' 19998 20000)" ] ||
	error "tail -n 3 w after droverd's restart: '$(ctl tail -n 3 w | tr '\n' ' ')'"
[ -z "$(ctl tail -n 3 mem)" ] || error "tail -n 3 mem after droverd's restart: '$(ctl tail -n 3 mem)'"
pass
