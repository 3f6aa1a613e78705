#!/bin/bash
# depends_on = migrate:completed: web spawns only after the one-shot migrate exited with an expected
# code; while migrate's run failed (exit 1) web waits and says why; a reload that fixes migrate runs
# it again and releases web. A completed migrate is not run again when web restarts.
# timeout: 60
. "$(dirname "$0")/lib.sh"

conf() {   # MIGRATE_EXIT
	write_config <<EOF
[program:migrate]
command = /bin/sh -c 'echo run >> $T/migrate.runs; sleep 1; exit $1'
autorestart = false
startsecs = 0

[program:web]
command = /bin/sh -c 'echo "start \$(wc -l < $T/migrate.runs)" >> $T/web.starts; exec sleep 600'
depends_on = migrate:completed
EOF
}
conf 1
start_daemon
waiting_reason() { refresh_status && [ "$(last_field web state)" = STARTING ] &&
                   [ "$(last_field web description)" = "waiting for migrate: exited 1" ]; }
wait_for 10 waiting_reason
[ "$(last_field migrate state)" = EXITED ] || error "migrate is $(last_field migrate state)"
[ "$(last_field web pid)" = 0 ] || error "web spawned (pid $(last_field web pid)) though migrate failed"
ctl status web | grep -q "waiting for migrate: exited 1" || error "table: $(ctl status web)"
hold_for 1 eval '[ "$(state_of web)" = STARTING ] && [ "$(last_field web pid)" = 0 ]'
[ ! -e "$T/web.starts" ] || error "web ran: $(cat "$T/web.starts")"

# the fix: migrate exits 0; reload runs it again; web follows once it completed
conf 0
ctl reload > /dev/null
wait_for 15 is_state web RUNNING
[ "$(last_field migrate state)" = EXITED ] || error "migrate is $(last_field migrate state)"
[ "$(last_field migrate exitstatus)" = 0 ] || error "migrate exit status $(last_field migrate exitstatus)"
[ "$(wc -l < "$T/migrate.runs")" = 2 ] || error "migrate ran $(wc -l < "$T/migrate.runs") times, want 2"
[ "$(wc -l < "$T/web.starts")" = 1 ] || error "web started $(wc -l < "$T/web.starts") times"
read -r _ runs < "$T/web.starts"
[ "$runs" = 2 ] || error "web started when migrate had run $runs times"

# restarting web does not run migrate again
ctl restart web > /dev/null
wait_for 10 is_state web RUNNING
[ "$(wc -l < "$T/migrate.runs")" = 2 ] || error "restarting web ran migrate again"
stop_daemon
pass
