#!/bin/bash
# Process names and what a program sees, supervisord 4.2.5 vs droverd, one config for both:
# numprocs with process_name patterns, a [group:x], %(program_name)s / %(group_name)s /
# %(process_num)02d in command and environment, %(ENV_X)s, [supervisord] environment overridden by
# a program's, directory. Compared: the process names each ctl lists, and per process the
# environment, the arguments, the uid/gid/groups and the working directory its program recorded.
# The only variables allowed to differ are each daemon's own: DROVER_* (drover's worker identity)
# and SUPERVISOR_SERVER_URL (the XML-RPC URL supervisorctl inside a program would use; drover has
# no XML-RPC).
# timeout: 60
COMPAT_PLAIN_ONLY=1
. "$(dirname "$0")/lib.sh"

export COMPAT_X="hello, world"
SV_EXTRA='environment = GLOBAL_A="g a",SHARED="from supervisord"'
compat_config <<EOF
[program:web]
command = $PROBE run web %(program_name)s %(process_num)d
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
environment = PORT="80%(process_num)02d",HOMEDIR="%(ENV_HOME)s",SHARED="from program"
startsecs = 0

[group:jobs]
programs = mail,cron

[program:mail]
command = $PROBE run %(group_name)s %(program_name)s
environment = COMPAT_Y="%(ENV_COMPAT_X)s and more"
startsecs = 0

[program:cron]
command = $PROBE run
directory = $T
startsecs = 0

[program:solo]
command = $PROBE run "two words" 'single quoted'
startsecs = 0
EOF
sv_start
dr_start
names() { ls "$COMPAT_OUT/$1" 2>/dev/null | sed -n 's/^cwd\.//p' | sort; }
all_recorded() { [ "$(names supervisord | wc -l)" -ge 5 ] && [ "$(names drover | wc -l)" -ge 5 ]; }
wait_for 20 all_recorded
wait_for 10 eval '[ "$(sv_states | grep -c RUNNING)" -ge 5 ]'
wait_for 10 eval '[ "$(dr_states | grep -c RUNNING)" -ge 5 ]'

same "process names (ctl status)" "$(sv_states)" "$(dr_states)"
same "recorded process names" "$(names supervisord)" "$(names drover)"
# NOTIFY_SOCKET: the daemons' own, when the test runs under systemd or a container manager;
# supervisord passes it on, droverd never does (drover.ini(5), DIFFERENCES FROM SUPERVISORD):
# checked below instead of compared
filter_env() { grep -vE '^(DROVER_[A-Z_]*|SUPERVISOR_SERVER_URL|NOTIFY_SOCKET)=' | grep -v '^_='; }
for n in $(names drover); do
	probe_out drover "env.$n" | grep -q '^NOTIFY_SOCKET=' && error "$n sees a NOTIFY_SOCKET under droverd"
done
for n in $(names supervisord); do
	same "environment of $n" "$(probe_out supervisord "env.$n" | filter_env)" "$(probe_out drover "env.$n" | filter_env)"
	same "arguments of $n" "$(probe_out supervisord "argv.$n")" "$(probe_out drover "argv.$n")"
	same "identity of $n" "$(probe_out supervisord "id.$n")" "$(probe_out drover "id.$n")"
	same "working directory of $n" "$(probe_out supervisord "cwd.$n")" "$(probe_out drover "cwd.$n")"
done
# What drover adds is its own and nothing else.
extra=$(probe_out drover "env.web:web_00" | grep -E '^DROVER_' | cut -d= -f1 | tr '\n' ' ')
log "drover's own variables: $extra"
sv_stop TERM
dr_stop TERM
pass
