#!/bin/bash
# environment_file: quotes, comments, blank lines, an optional missing file, and an override in
# environment=: the worker sees exactly the expected environment (/proc/PID/environ); an edit
# takes effect at the next restart; a missing mandatory file is a spawn error. (issue 8 test 5.)
# timeout: 30
. "$(dirname "$0")/lib.sh"

cat > "$T/web.env" <<'EOF2'
# database settings
DB_HOST=db.internal

; also a comment
DB_NAME = "drover, the db"
QUOTED='single $HOME'
ESCAPED="say \"hi\""
OVERRIDE=from-file
EOF2
write_config <<EOF2
[program:envy]
command = /bin/sleep 1000
environment_file = $T/web.env, -$T/optional-missing.env
environment = OVERRIDE="from-environment",EXTRA=1
startsecs = 0

[program:broken]
command = /bin/sleep 1000
environment_file = $T/does-not-exist.env
startretries = 0
EOF2
start_daemon
wait_for 10 is_state envy RUNNING
pid=$(pid_of envy)
tr '\0' '\n' < "/proc/$pid/environ" > "$T/environ"
want() { grep -qxF -- "$1" "$T/environ" || { cat "$T/environ"; fail "environ lacks '$1'"; }; }
want "DB_HOST=db.internal"
want "DB_NAME=drover, the db"
want 'QUOTED=single $HOME'
want 'ESCAPED=say "hi"'
want "OVERRIDE=from-environment"
want "EXTRA=1"
want "DROVER_PROCESS=envy"
grep -q "comment" "$T/environ" && fail "a comment leaked into the environment"
# Read at each start: edit, restart, see the new value.
sed -i 's/DB_HOST=db.internal/DB_HOST=db2.internal/' "$T/web.env"
ctl restart envy > /dev/null || fail "restart failed"
pid=$(pid_of envy)
tr '\0' '\n' < "/proc/$pid/environ" | grep -qx "DB_HOST=db2.internal" || fail "edit not seen after restart"
wait_for 10 is_state broken FATAL
field_of broken description | grep -q "does-not-exist.env" || fail "spawn error does not name the missing file: $(last_field broken description)"
pass
