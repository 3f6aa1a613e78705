#!/bin/bash
# droverctl against supervisorctl 4.2.5: the same config under both daemons, the same command
# lines, and the two tools' exit statuses and output compared by this test (not with answers
# written down): already running, already stopped, unknown names and groups, the group forms
# (all, g:*, g:) with mixed states, spawn error, a signal to a stopped
# process, bad signal names, pid, tail -BYTES, status of STARTING, BACKOFF, FATAL and EXITED
# processes, and the commands without a daemon.
# What is compared: the exit status always; the output as lines, in order for single names and
# as a set for the group forms (droverd lists a group in its table order, supervisorctl a start
# in the order the processes came up); status as "NAME STATE" (the third column is each
# daemon's own text); pids as "0" or "PID".
# exits runs 1.5 s: a program that exits at once with startsecs = 0 is a race in supervisord
# (RUNNING, then EXITED: "started"; or the exit seen while STARTING: retried, "spawn error").
# timeout: 360
. "$(dirname "$0")/lib.sh"
compat_plain_only

compat_config <<EOF
[program:a]
command = /bin/sleep 1000
startsecs = 0

[program:b]
command = /bin/sleep 1000
startsecs = 0
autostart = false

[program:fail]
command = /bin/false
startsecs = 1
startretries = 0

[program:exits]
command = /bin/sh -c 'echo out-line; echo err-line >&2; sleep 1.5; exit 3'
startsecs = 0
autorestart = false

[program:slow]
command = /bin/sleep 1000
startsecs = 8

[program:back]
command = /bin/sh -c 'sleep 0.3; exit 1'
startsecs = 2
; in BACKOFF for about 6 s in all (1 s, 2 s, then 3 s), long enough to be sampled under load
startretries = 3

[group:g]
programs = c,d

[program:c]
command = /bin/sleep 1000
startsecs = 0

[program:d]
command = /bin/sleep 1000
startsecs = 0
autostart = false

[program:multi]
command = /bin/sleep 1000
numprocs = 2
process_name = %(program_name)s_%(process_num)d
startsecs = 0
EOF

# --- the commands without a daemon ---------------------------------------------------------------
log "no daemon: exit statuses"
for c in "status" "status a" "start a" "stop a" "restart a" "signal HUP a" "pid" "pid a" "tail a" \
         "version" "shutdown" "reread" "update" "avail"; do
	# shellcheck disable=SC2086
	svctl $c > /dev/null 2>&1; sv=$?
	# shellcheck disable=SC2086
	drctl $c > /dev/null 2>&1; dr=$?
	same "exit status of '$c' without a daemon" "$sv" "$dr"
done

# --- STARTING and BACKOFF: status exits 0 for both (sampled while each daemon shows the state) ---
# state_rc TOOL NAME STATE: the exit status of `status NAME` once TOOL shows NAME in STATE.
state_rc() {
	local tool=$1 name=$2 want=$3 end=$(($(now_ms) + 30000)) out rc
	while [ "$(now_ms)" -lt "$end" ]; do
		out=$($tool status "$name" 2>/dev/null); rc=$?
		[ "$(echo "$out" | awk '{ print $2 }')" = "$want" ] && { echo "$rc"; return 0; }
		sleep 0.1
	done
	echo "never $want"
}
# The passing states are sampled from the launch on, side by side: a sampler of back's BACKOFF that
# started only after slow's STARTING had been seen (5 s on a loaded machine) found it over. The
# states that last (FATAL, RUNNING) are sampled after them.
sample() { state_rc svctl "$1" "$2" > "$T/sv.$1:$2.rc" & samplers+=($!); state_rc drctl "$1" "$2" > "$T/dr.$1:$2.rc" & samplers+=($!); }
# compare NAME STATE: the two samples of NAME in STATE.
compare() {
	local sv dr
	sv=$(cat "$T/sv.$1:$2.rc") dr=$(cat "$T/dr.$1:$2.rc")
	case "$sv $dr" in
	*never*) error "'status $1' while $2: not sampled (supervisord: $sv, droverd: $dr)"; return ;;
	esac
	same "exit status of 'status $1' while $2" "$sv" "$dr"
}
samplers=()
sample slow STARTING
sample back BACKOFF
launch_daemon
sv_start
wait_daemon_ready
wait "${samplers[@]}"
samplers=()
sample back FATAL
sample slow RUNNING
wait "${samplers[@]}"
compare slow STARTING
compare back BACKOFF
compare back FATAL
compare slow RUNNING

# --- the same state in both -----------------------------------------------------------------------
# a, slow, g:c, multi:* RUNNING; b, g:d STOPPED; fail, back FATAL; exits EXITED.
WANT="a RUNNING
b STOPPED
back FATAL
exits EXITED
fail FATAL
g:c RUNNING
g:d STOPPED
multi:multi_0 RUNNING
multi:multi_1 RUNNING
slow RUNNING"
# reset TOOL STATES: bring TOOL's processes to WANT with TOOL's own commands.
# One round of starts can take 10 s by itself on a loaded machine (supervisorctl's `start slow`
# waits out startsecs = 8, `start back` its retries), so the deadline is generous, and the state is
# read once more after it: a round that ended past the deadline with every process in place passes.
reset() {
	local tool=$1 n w cur end=$(($(now_ms) + 60000)) states jobs
	while :; do
		jobs=()
		states=$($tool status 2>/dev/null | awk 'NF >= 2 { print $1, $2 }' | sort)
		[ "$states" = "$WANT" ] && return 0
		[ "$(now_ms)" -lt "$end" ] || break
		while read -r n w; do
			cur=$(echo "$states" | awk -v n="$n" '$1 == n { print $2 }')
			[ "$cur" = "$w" ] && continue
			case $w:$cur in
			# on its way to EXITED: a start now would run it again (and race its exit)
			EXITED:RUNNING | EXITED:STARTING) ;;
			RUNNING:* | EXITED:* | FATAL:*) $tool start "$n" > /dev/null 2>&1 & jobs+=($!) ;;
			STOPPED:*) $tool stop "$n" > /dev/null 2>&1 & jobs+=($!) ;;
			esac
		done <<< "$WANT"
		# side by side: a round lasts as long as its slowest start, not the sum of all of them
		# (only these commands are waited for: the daemons are background jobs too)
		[ ${#jobs[@]} -eq 0 ] || wait "${jobs[@]}"
	done
	error "$tool: cannot bring the processes to the common state: $($tool status 2>&1 | awk '{ print $1, $2 }' | tr '\n' ' ')"
	return 1
}

# normal MODE: the output made comparable (MODE: lines, set, status, pid, pidset).
normal() {
	sed 's/[[:space:]]*$//' | case $1 in
		lines) cat ;;
		set) sort ;;
		status) awk 'NF >= 2 && $2 ~ /^[A-Z]+$/ { print $1, $2; next } { print }' ;;
		pid) sed 's/^[1-9][0-9]*$/PID/' ;;
		pidset) sed 's/^[1-9][0-9]*$/PID/' | sort ;;
	esac
}

# dr_words: droverctl's failure lines as supervisorctl's, the one difference made on purpose:
# droverctl says why a start gave up ("ERROR (gave up: Exited too quickly (exit status 1))",
# "ERROR (spawn error: unknown user 'x')") and where to look ("  see: droverctl tail NAME stderr")
# where supervisorctl says "ERROR (spawn error)" or "ERROR (abnormal termination)".
dr_words() {
	sed -E -e '/^  see: droverctl .*tail /d' -e 's/ERROR \((gave up|spawn error): .*\)$/ERROR (spawn error)/' \
	       -e 's/ERROR \(abnormal termination: .*\)$/ERROR (abnormal termination)/'
}

# run_case MODE ARGS...: run ARGS with both tools from the common state; compare exit status and
# output. ro_case: the same for a command that changes no state (no reset after it is needed).
DIRTY=1
ro_case() { run_case "$@"; DIRTY=0; }
run_case() {
	local mode=$1 svo dro svr drr; shift
	if [ "$DIRTY" = 1 ]; then
		reset svctl && reset drctl || return
	fi
	DIRTY=1
	svo=$(svctl "$@" 2>&1); svr=$?
	dro=$(drctl "$@" 2>/dev/null); drr=$?
	dro=$(printf '%s\n' "$dro" | dr_words)
	same "exit status of '$*'" "$svr" "$drr"
	same "output of '$*'" "$(printf '%s\n' "$svo" | normal "$mode")" "$(printf '%s\n' "$dro" | normal "$mode")"
}

log "status"
ro_case status status
ro_case status status a
ro_case status status b
ro_case status status fail
ro_case status status exits
ro_case status status nope
ro_case status status a nope
ro_case status status nope b
ro_case status status 'g:*'
ro_case status status 'g:'
ro_case status status 'nope:*'
ro_case status status 'multi:*' a

log "start"
ro_case lines start a
run_case lines start b
ro_case lines start nope
ro_case lines start a nope
run_case lines start nope b
run_case set start 'g:*'
run_case set start 'g:'
ro_case lines start 'nope:*'
run_case lines start fail
run_case lines start exits
run_case set start all
run_case set start all nope

log "stop"
ro_case lines stop b
run_case lines stop a
ro_case lines stop nope
ro_case lines stop b nope
run_case set stop 'g:*'
ro_case lines stop 'nope:'
run_case set stop all

log "restart"
run_case lines restart a
run_case lines restart b
ro_case lines restart nope
run_case lines restart b nope
ro_case lines restart 'nope:*'
run_case lines restart fail

log "signal"
run_case lines signal HUP a
ro_case lines signal HUP b
ro_case lines signal HUP fail
run_case lines signal HUP nope a
ro_case lines signal BOGUS a
ro_case lines signal 0 a
run_case set signal HUP 'g:*'
run_case set signal USR1 all

log "pid, tail"
ro_case pid pid a
ro_case pid pid b
ro_case pid pid nope
ro_case pid pid a nope
ro_case pid pid a b
ro_case pidset pid all
ro_case lines tail nope
ro_case lines tail -4 exits
ro_case lines tail -9 exits stderr

log "shutdown"
svo=$(svctl shutdown 2>&1); svr=$?
dro=$(drctl shutdown 2>/dev/null); drr=$?
same "exit status of 'shutdown'" "$svr" "$drr"
same "output of 'shutdown'" "$svo" "$dro"
wait_for 15 _gone "$DAEMON_PID"
wait_for 15 _gone "$SV_PID"
pass
