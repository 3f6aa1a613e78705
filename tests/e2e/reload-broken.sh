#!/bin/bash
# 50 broken configs, each applied by `droverctl reload`: each reload fails (exit 1) naming the
# file and the exact line, and changes nothing (all pids identical); SIGHUP with a broken config
# changes nothing either; then a good config applies normally. (RELIABILITY T19.)
# timeout: 120
. "$(dirname "$0")/lib.sh"

base() {
	write_config <<EOF2
[program:a]
command = /bin/sleep 1001
startsecs = 0

[program:b]
command = /bin/sleep 1002
numprocs = 2
process_name = b_%(process_num)d
startsecs = 0
EOF2
}
base
start_daemon
wait_for 10 all_in_state RUNNING "" 3
names_pids > "$T/before"
base_lines=$(wc -l < "$CONF")

# Each variant: text appended after the base config | substring the error must contain.
# @L@ stands for the line number of the first appended line.
variants=(
	'[program:c]\ncommand = /bin/sleep 1\nstartsecs = 1e3|@L+2@: [program:c] startsecs'
	'[program:c]\ncommand = /bin/sleep 1\nnumprocs = 10001|@L+2@: [program:c] numprocs'
	'[program:c]\ncommand = /bin/sleep 1\nnumprocs = 1.5|@L+2@: [program:c] numprocs'
	'[program:c]\ncommand = /bin/sleep 1\nnumprocs = many|@L+2@: [program:c] numprocs'
	'[program:c]\ncommand = /bin/sleep 1\nnumprocs = 99999999999999999999|@L+2@: [program:c] numprocs'
	'[program:c]\ncommand = /bin/sleep 1\nnumprocs = 2|@L@: [program:c]'
	'[program:c]\ncommand = /bin/sleep 1\nstartsecs = -1x|@L+2@: [program:c] startsecs'
	'[program:c]\ncommand = /bin/sleep 1\nstartsecs = 1.5x|@L+2@: [program:c] startsecs'
	'[program:c]\ncommand = /bin/sleep 1\nstartretries = forever|@L+2@: [program:c] startretries'
	'[program:c]\ncommand = /bin/sleep 1\nstopwaitsecs = abc|@L+2@: [program:c] stopwaitsecs'
	'[program:c]\ncommand = /bin/sleep 1\nstopsignal = BOGUS|@L+2@: [program:c] stopsignal'
	'[program:c]\ncommand = /bin/sleep 1\nstopsignal = 99|@L+2@: [program:c] stopsignal'
	'[program:c]\ncommand = /bin/sleep 1\nautorestart = sometimes|@L+2@: [program:c] autorestart'
	'[program:c]\ncommand = /bin/sleep 1\nautostart = maybe|@L+2@: [program:c] autostart'
	'[program:c]\ncommand = /bin/sleep 1\nexitcodes = 0,300|@L+2@: [program:c] exitcodes'
	'[program:c]\ncommand = /bin/sleep 1\nexitcodes = zero|@L+2@: [program:c] exitcodes'
	'[program:c]\ncommand = /bin/sleep 1\numask = 999|@L+2@: [program:c] umask'
	'[program:c]\ncommand = /bin/sleep 1\npriority = high|@L+2@: [program:c] priority'
	'[program:c]\ncommand = /bin/sleep 1\nstdout_logfile_maxbytes = 12XB|@L+2@: [program:c] stdout_logfile_maxbytes'
	'[program:c]\ncommand = /bin/sleep 1\nstdout_logfile_backups = 1001|@L+2@: [program:c] stdout_logfile_backups'
	'[program:c]\ncommand = /bin/sleep 1\nredirect_stderr = perhaps|@L+2@: [program:c] redirect_stderr'
	'[program:c]\ncommand = /bin/sleep 1\nready = whenever|@L+2@: [program:c] ready'
	'[program:c]\ncommand = /bin/sleep 1\nheartbeat_timeout = -5|@L+2@: [program:c] heartbeat_timeout'
	'[program:c]\ncommand = /bin/sleep 1\nenvironment = A="unterminated|@L+2@: [program:c] environment'
	'[program:c]\ncommand = /bin/sleep "unterminated|@L+1@: [program:c] command'
	'[program:c]\ncommand =|@L+1@: [program:c] command'
	'[program:c]\nnumprocs = 1|@L@: [program:c]'
	'[program:c]\ncommand = /bin/sleep %(nosuch)s|@L+1@: [program:c] command'
	'[program:c]\ncommand = /bin/sleep %(program_name|@L+1@: [program:c] command'
	'[program:c]\ncommand = /bin/sleep %(ENV_DROVER_NO_SUCH_VAR)s|@L+1@: [program:c] command'
	'[program: a]\ncommand = /bin/sleep 1|@L@: [program: a]'
	'[program:]\ncommand = /bin/sleep 1|@L@'
	'[program:c\ncommand = /bin/sleep 1|@L@'
	'garbage line without equals|@L@'
	'[program:c]\ncommand = /bin/sleep 1\nenvironment = A=1 B=2|@L+2@: [program:c] environment'
	'[program:c]\ncommand = /bin/sleep 1\ndepends_on = nosuch|@L+2@: [program:c] depends_on'
	'[program:c]\ncommand = /bin/sleep 1\ndepends_on = c|@L+2@: [program:c] depends_on'
	'[program:c]\ncommand = /bin/sleep 1\nbackoff = sideways|@L+2@: [program:c] backoff'
	'[program:c]\ncommand = /bin/sleep 1\nfatal_retry = -1|@L+2@: [program:c] fatal_retry'
	'[program:c]\ncommand = /bin/sleep 1\nkilltree = sure|@L+2@: [program:c] killtree'
	'[drover]\nlog_dir =|@L+1@: [drover] log_dir'
	'[drover]\nname = another-name|name'
	'[drover]\ncontrol_mode = 0999|@L+1@: [drover] control_mode'
	'[drover]\nsubreaper = often|@L+1@: [drover] subreaper'
	'[drover]\ninclude = @T@/fifo.ini|@L+1@: [drover] include'
	'[include]\nfiles = @T@/loop.ini|loop.ini'
	'[group:g]\nprograms = a,nosuch|@L+1@: [group:g] programs'
	'[program:c]\ncommand = /bin/sleep 1\nstartsecs = 99999999999|@L+2@: [program:c] startsecs'
	'[program:c]\ncommand = /bin/sleep 1\nprocess_name = %(program_name)s_%(bad)d|@L+2@: [program:c] process_name'
	'[program:c]\ncommand = /bin/sleep 1\nstdout_logfile = NONE\nstdout_logfile_maxbytes = -1MB|@L+3@: [program:c] stdout_logfile_maxbytes'
)
printf '[include]\nfiles = %s/loop.ini\n' "$T" > "$T/loop.ini"
mkfifo "$T/fifo.ini"
[ "${#variants[@]}" -ge 50 ] || fail "only ${#variants[@]} variants"

n=0
for v in "${variants[@]}"; do
	n=$((n + 1))
	text=${v%|*}
	want=${v##*|}
	want=${want//@T@/$T}
	first=$((base_lines + 2))   # a blank separator line, then the variant
	for k in 0 1 2 3; do want=${want//@L+$k@/drover.ini:$((first + k))}; done
	want=${want//@L@/drover.ini:$first}
	base
	if [ "${text#\[drover\]\\n}" != "$text" ]; then
		# [drover] keys go into the existing section, right after its 4 lines.
		first=5
		for k in 1 2 3; do want=${want//drover.ini:$((base_lines + 2 + k)):/drover.ini:$((first + k - 1)):}; done
		body=$(printf '%b' "${text#\[drover\]\\n}")
		body=${body//@T@/$T}
		{ head -n 4 "$CONF"; printf '%s\n' "$body"; tail -n +5 "$CONF"; } > "$CONF.new" && mv "$CONF.new" "$CONF"
	else
		printf '\n%b\n' "${text//@T@/$T}" >> "$CONF"
	fi
	if ctl reload > "$T/out" 2>&1; then
		cat "$CONF"; cat "$T/out"
		fail "variant $n: reload succeeded on a broken config"
	fi
	grep -qF -- "$want" "$T/out" || { cat "$CONF"; cat "$T/out"; fail "variant $n: reply lacks '$want'"; }
done
log "$n broken reloads refused with the right FILE:LINE"

# SIGHUP with a broken config: nothing changes either.
kill -HUP "$DAEMON_PID"
names_pids > "$T/after"
diff "$T/before" "$T/after" || fail "processes changed across broken reloads"
grep -q "reload failed\|reload: " "$DAEMON_LOG" || fail "no reload error in the log"

# A good config applies normally afterwards.
base
printf '\n[program:c]\ncommand = /bin/sleep 1003\nstartsecs = 0\n' >> "$CONF"
ctl reload > "$T/out" 2>&1 || { cat "$T/out"; fail "good reload failed"; }
grep -q "^added: c" "$T/out" || fail "good reload did not add c: $(cat "$T/out")"
wait_for 10 all_in_state RUNNING "" 4
for p in a b:b_0 b:b_1; do
	[ "$(awk -v p="$p" '$1 == p { print $2 }' "$T/before")" = "$(pid_of "$p")" ] || fail "$p restarted by the good reload"
done
daemon_alive || fail "droverd died"
pass
