#!/bin/bash
# reread, avail and update, droverctl against supervisorctl 4.2.5: the same config under both
# daemons, then the same edit of it (a program removed, one of a group changed, a program and a
# group added), and what each tool prints and how it exits, compared line by line (as sets:
# supervisorctl lists groups in its own order): reread before and after update, avail before and
# after, update, a config with an error; update GROUP... with changes in three groups (only the
# named ones applied, the others still pending for reread), unknown names.
# timeout: 120
. "$(dirname "$0")/lib.sh"
compat_plain_only

PROGRAMS='[program:a]
command = /bin/sleep 1000
startsecs = 0

[program:b]
command = /bin/sleep 1000
startsecs = 0
autostart = false

[group:g]
programs = c,d

[program:c]
command = /bin/sleep 1000
startsecs = 0

[program:d]
command = /bin/sleep 1000
startsecs = 0
autostart = false
'
compat_config <<< "$PROGRAMS"
launch_daemon
sv_start
wait_daemon_ready

# both WHAT ARGS...: run ARGS with both tools; exit status and output (as a set) must agree.
both() {
	local what=$1 svo dro svr drr; shift
	# (the statuses are taken here: PIPESTATUS does not survive a command substitution)
	svctl "$@" > "$T/both.sv" 2>&1; svr=$?
	drctl "$@" > "$T/both.dr" 2>/dev/null; drr=$?
	svo=$(sed 's/[[:space:]]*$//' "$T/both.sv" | sort)
	dro=$(sed 's/[[:space:]]*$//' "$T/both.dr" | sort)
	same "exit status of '$*' ($what)" "$svr" "$drr"
	same "output of '$*' ($what)" "$svo" "$dro"
}
# states: "NAME STATE" of each daemon must agree.
states() { same "states ($1)" "$(sv_states)" "$(dr_states)"; }

both "nothing changed" reread
both "nothing changed" avail
both "nothing changed" update

log "the file changes: b removed, c's command changed, x and group h (y) added"
compat_config <<'EOF'
[program:a]
command = /bin/sleep 1000
startsecs = 0

[group:g]
programs = c,d

[program:c]
command = /bin/sleep 1001
startsecs = 0

[program:d]
command = /bin/sleep 1000
startsecs = 0
autostart = false

[program:x]
command = /bin/sleep 1000
startsecs = 0

[group:h]
programs = y

[program:y]
command = /bin/sleep 1000
startsecs = 0
EOF
both "changed file" reread
both "changed file, not applied" avail
both "reread applies nothing" reread
states "after reread"
both "changed file" update
wait_for 10 all_in_state RUNNING x
states "after update"
both "applied" reread
both "applied" avail

log "a config with an error: refused, nothing changes"
cp "$CONF" "$T/good.conf"
printf '\n[program:broken]\nautostart = false\n' >> "$CONF"
svo=$(svctl reread 2>&1); svr=$?
dro=$(drctl reread 2>/dev/null); drr=$?
same "exit status of 'reread' (broken file)" "$svr" "$drr"
case $svo in "ERROR: CANT_REREAD: "*) ;; *) error "supervisorctl reread of a broken file printed: $svo" ;; esac
case $dro in "ERROR: CANT_REREAD: "*) ;; *) error "droverctl reread of a broken file printed: $dro" ;; esac
svctl update > /dev/null 2>&1; svr=$?
drctl update > /dev/null 2>&1; drr=$?
same "exit status of 'update' (broken file)" "$svr" "$drr"
states "after a refused update"
cp "$T/good.conf" "$CONF"
both "good again" reread

log "update GROUP: the file changes a, group g (c) and group h (y); update g applies g only"
sed -e '/^\[program:a\]/,/^$/s|sleep 1000|sleep 1002|' -e '/^\[program:c\]/,/^$/s|sleep 1001|sleep 1003|' \
    -e '/^\[program:y\]/,/^$/s|sleep 1000|sleep 1004|' "$T/good.conf" > "$T/three.conf"
compat_config < <(sed -n '/^\[program:a\]/,$p' "$T/three.conf")
agree() { [ "$(sv_states)" = "$(dr_states)" ]; }
both "three groups changed" reread
both "three groups changed" update g
try_for 10 agree
states "after update g"
both "g applied, a and h pending" reread
both "a name of no group" update nosuch
both "a program inside a group is no group" update c
both "an unknown and a valid group" update nosuch h
try_for 10 agree
states "after update nosuch h"
both "a pending" reread
both "the rest" update all nosuch
try_for 10 agree
states "after update all"
both "everything applied" reread
pass
