#!/bin/bash
# [supervisord] user = nobody, droverd started as root: every program without its own `user` runs
# as nobody (uid, gid and groups), as under a supervisord that dropped to nobody at start-up;
# `user = nobody` (by name or number) runs; `user = root` is refused (supervisord as nobody
# cannot switch to root either), and droverd says why. Started as another non-root user,
# droverd refuses to start with a clear error (supervisord: "Can't drop privilege as nonroot user").
# [supervisord] user = root lets programs name any user.
. "$(dirname "$0")/lib.sh"

id nobody > /dev/null 2>&1 || skip "no user 'nobody' on this machine"
NOBODY=$(id -u nobody) NOGROUP=$(id -g nobody)
write_config <<EOF
[supervisord]
user = nobody

[program:plain]
command = /bin/sleep 1000
startsecs = 0

[program:byname]
command = /bin/sleep 1001
startsecs = 0
user = nobody

[program:bynumber]
command = /bin/sleep 1002
startsecs = 0
user = $NOBODY

[program:asroot]
command = /bin/sleep 1003
startsecs = 0
startretries = 0
user = root
EOF
start_daemon
wait_for 10 all_in_state RUNNING plain
wait_for 10 all_in_state RUNNING byname
wait_for 10 all_in_state RUNNING bynumber
wait_for 10 is_state asroot FATAL
for p in plain byname bynumber; do
	pid=$(pid_of "$p")
	uids=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")
	gids=$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")
	groups=$(awk '$1 == "Groups:" { $1 = ""; print }' "/proc/$pid/status" | xargs)
	log "$p: pid $pid uids '$uids' gids '$gids' groups '$groups'"
	[ "$uids" = "$NOBODY $NOBODY $NOBODY $NOBODY" ] || error "$p runs with uids '$uids', not nobody's ($NOBODY)"
	[ "$gids" = "$NOGROUP $NOGROUP $NOGROUP $NOGROUP" ] || error "$p runs with gids '$gids', not nobody's group ($NOGROUP)"
	[ "$groups" = "$(id -G nobody)" ] || error "$p has groups '$groups', not nobody's '$(id -G nobody)'"
done
ctl status asroot > "$T/st" 2>&1
grep -q "never as another user" "$T/st" "$DAEMON_LOG" || error "no reason given for refusing user = root: $(cat "$T/st")"
for w in $(worker_pids); do
	tr '\0' ' ' < "/proc/$w/cmdline" 2>/dev/null | grep -q '^/bin/sleep 1003 $' && error "the user = root program runs (pid $w)"
done
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS"

# [supervisord] user = root: programs may name any user (supervisord as root may switch to anyone).
sed -i '0,/^user = nobody$/s//user = root/' "$CONF"   # the [supervisord] one, first in the file
start_daemon
wait_for 10 all_in_state RUNNING byname
wait_for 10 all_in_state RUNNING asroot
pid=$(pid_of plain)
[ "$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status")" = 0 ] || error "with user = root, plain does not run as root"
pid=$(pid_of byname)
[ "$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status")" = "$NOBODY" ] || error "with user = root, user = nobody does not run as nobody"
stop_daemon TERM

# Not root, and the user is somebody else: refuse to start.
command -v setpriv > /dev/null || skip "setpriv missing"
chmod 0755 "$T"
setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups "$DROVERD" -c "$CONF" > "$T/np.log" 2>&1 < /dev/null
rc=$?
cat "$T/np.log"
[ "$rc" = 1 ] || error "droverd as nobody with [supervisord] user = root exited $rc, not 1"
grep -q "user 'root'.*not root" "$T/np.log" || error "droverd as nobody does not say why it refuses to start"
pass
