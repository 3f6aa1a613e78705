#!/bin/bash
# [supervisord] user = nobody, both daemons started as root, same config: what each program runs as
# (`id`: uid, gid, groups), for a program without its own user and one with user = nobody; and
# what becomes of a program with user = root (supervisord, running as nobody, cannot switch to
# root: its child fails after the fork; droverd refuses before it; with the default startsecs both
# end FATAL, its command never run). By design, supervisord itself runs as nobody while droverd keeps its identity (droverd(8),
# drover.ini(5)): the daemons' own uids and file owners are not compared.
# timeout: 60
COMPAT_PLAIN_ONLY=1
. "$(dirname "$0")/lib.sh"

id nobody > /dev/null 2>&1 || skip "no user 'nobody' on this machine"
# supervisord as nobody must reach its files and the programs' records.
chmod 0755 "$T"
chmod 1777 "$SV_DIR" "$COMPAT_OUT"
SV_EXTRA='user = nobody'
compat_config <<EOF
[program:plain]
command = $PROBE run
startsecs = 0

[program:named]
command = $PROBE run
startsecs = 0
user = nobody

[program:asroot]
command = $PROBE run
startretries = 0
user = root
EOF
launch_daemon
sv_start
wait_daemon_ready
recorded() { probe_has "$1" "id.$2:$2"; }
for d in supervisord drover; do
	wait_for 10 recorded "$d" plain
	wait_for 10 recorded "$d" named
done
state() { awk -v p="$2" '$1 == p { print $2 }' <<< "$1"; }
settled() { [ "$(state "$(sv_states)" asroot)" = FATAL ] && [ "$(state "$(dr_states)" asroot)" = FATAL ]; }
try_for 10 settled
for p in plain named; do
	same "identity of $p" "$(probe_out supervisord "id.$p:$p")" "$(probe_out drover "id.$p:$p")"
done
same "state of the user = root program" "$(state "$(sv_states)" asroot)" "$(state "$(dr_states)" asroot)"
same "user = root program ran" "$(probe_has supervisord id.asroot:asroot && echo yes || echo no)" \
	"$(probe_has drover id.asroot:asroot && echo yes || echo no)"
sv_stop TERM
dr_stop TERM
pass
