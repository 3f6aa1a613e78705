#!/bin/bash
# droverctl update GROUP...: the file changes four groups and two lone programs; `update g`
# applies g only (its changed program restarts, its removed one stops, its new one starts); every
# other process keeps its pid and its old command line; `reread` then still lists the rest, and
# `reload` applies exactly the rest. Unknown names are errors (exit 1) that do not stop the valid
# ones; an update that would leave a dependency dangling is refused and changes nothing.
# timeout: 90
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:a]
command = /bin/sleep 1001
startsecs = 0

[group:g]
programs = c,d,r

[program:c]
command = /bin/sleep 1002
startsecs = 0

[program:d]
command = /bin/sleep 1003
startsecs = 0

[program:r]
command = /bin/sleep 1004
startsecs = 0

[group:h]
programs = y

[program:y]
command = /bin/sleep 1005
startsecs = 0

[program:gone]
command = /bin/sleep 1006
startsecs = 0
EOF2
start_daemon
wait_for 10 all_in_state RUNNING "" 6
names_pids | awk '{ print $1, $2 }' > "$T/pids0"
cat "$T/pids0"
pid0() { awk -v n="$1" '$1 == n { print $2 }' "$T/pids0"; }
cmdline() { tr '\0' ' ' < "/proc/$1/cmdline"; }

# a changed; g: c changed, d unchanged, r removed, n added; h: y changed, z added; gone removed;
# x added; k added, depending on a program of group h's new settings.
write_config <<EOF2
[program:a]
command = /bin/sleep 2001
startsecs = 0

[group:g]
programs = c,d,n

[program:c]
command = /bin/sleep 2002
startsecs = 0

[program:d]
command = /bin/sleep 1003
startsecs = 0

[program:n]
command = /bin/sleep 2007
startsecs = 0

[group:h]
programs = y,z

[program:y]
command = /bin/sleep 2005
startsecs = 0

[program:z]
command = /bin/sleep 2008
startsecs = 0

[program:x]
command = /bin/sleep 2009
startsecs = 0

[program:k]
command = /bin/sleep 2010
startsecs = 0
depends_on = z
EOF2

ctl reread > "$T/reread0" || fail "reread failed"
sort "$T/reread0" > "$T/reread0.s"
printf '%s\n' "a: changed" "g: changed" "gone: disappeared" "h: changed" "k: available" "x: available" | diff - "$T/reread0.s" ||
	fail "reread before any update"

log "update g: only g changes"
ctl update g > "$T/update-g"; rc=$?
cat "$T/update-g"
[ "$rc" = 0 ] || fail "update g exited $rc"
printf '%s\n' "g: stopped" "g: updated process group" | diff - "$T/update-g" || fail "update g printed other lines"
wait_for 10 is_state g:n RUNNING
wait_for 10 is_state g:c RUNNING
try_for 10 eval '! state_of g:r > /dev/null 2>&1' || fail "g:r is still in status after update g"
[ "$(pid_of g:c)" != "$(pid0 g:c)" ] || fail "g:c was not restarted"
[ "$(pid_of g:d)" = "$(pid0 g:d)" ] || fail "g:d (unchanged) was restarted"
case $(cmdline "$(pid_of g:c)") in "/bin/sleep 2002 ") ;; *) fail "g:c runs $(cmdline "$(pid_of g:c)")" ;; esac
_gone "$(pid0 g:r)" || fail "g:r's worker is still alive"
# the other groups run on as they were, old command lines and all
for p in a h:y gone; do
	[ "$(pid_of "$p")" = "$(pid0 "$p")" ] || fail "$p was restarted by update g"
	is_state "$p" RUNNING || fail "$p is $(state_of "$p") after update g"
done
case $(cmdline "$(pid0 a)") in "/bin/sleep 1001 ") ;; *) fail "a runs $(cmdline "$(pid0 a)") after update g" ;; esac
for p in x h:z k; do state_of "$p" > /dev/null 2>&1 && fail "$p was added by update g"; done

log "reread plans against what runs now: g is done, the rest is pending"
ctl reread | sort > "$T/reread1"
printf '%s\n' "a: changed" "gone: disappeared" "h: changed" "k: available" "x: available" | diff - "$T/reread1" ||
	fail "reread after update g"

log "update k alone would leave its dependency z (group h) out: refused, nothing changes"
ctl update k > "$T/update-k" 2>&1; rc=$?
cat "$T/update-k"
[ "$rc" = 1 ] || fail "update k exited $rc, want 1"
grep -q "depends_on: 'z'.*name group 'h' too" "$T/update-k" || fail "update k does not name group h"
state_of k > /dev/null 2>&1 && fail "k was added by a refused update"
[ "$(pid_of h:y)" = "$(pid0 h:y)" ] || fail "a refused update restarted h:y"

log "update nosuch h k: nosuch is an error, h and k are applied"
ctl update nosuch h k > "$T/update-hk"; rc=$?
cat "$T/update-hk"
[ "$rc" = 1 ] || fail "update with an unknown group exited $rc, want 1"
printf '%s\n' "ERROR: no such group: nosuch" "h: stopped" "h: updated process group" "k: added process group" |
	diff - "$T/update-hk" || fail "update nosuch h k printed other lines"
wait_for 10 all_in_state RUNNING "" 8
[ "$(pid_of h:y)" != "$(pid0 h:y)" ] || fail "h:y was not restarted"
[ "$(pid_of a)" = "$(pid0 a)" ] || fail "a was restarted by update h k"

log "update of names that are no group: errors only, nothing applied"
ctl update c g:c > "$T/update-bad"; rc=$?
[ "$rc" = 1 ] || fail "update c g:c exited $rc, want 1"
printf '%s\n' "ERROR: no such group: c" "ERROR: no such group: g:c" | diff - "$T/update-bad" || fail "update c g:c output"

log "reload applies exactly the rest"
names_pids | awk '{ print $1, $2 }' > "$T/pids1"
pid1() { awk -v n="$1" '$1 == n { print $2 }' "$T/pids1"; }
ctl reload > "$T/reload" || fail "reload failed"
cat "$T/reload"
wait_for 10 is_state x RUNNING
wait_for 10 is_state a RUNNING
try_for 10 eval '! state_of gone > /dev/null 2>&1' || fail "gone is still in status after the reload"
[ "$(pid_of a)" != "$(pid1 a)" ] || fail "a was not restarted by the reload"
for p in g:c g:d g:n h:y h:z k; do
	[ "$(pid_of "$p")" = "$(pid1 "$p")" ] || fail "$p was restarted by the reload (already applied by update)"
done
ctl reread > "$T/reread2"
[ "$(cat "$T/reread2")" = "No config updates to processes" ] || { cat "$T/reread2"; fail "reread after the reload"; }
pass
