#!/bin/bash
# depends_on with ready = scoreboard: a -> b -> c, each a shell worker that reports ready through
# `droverctl report --ready` only after a delay; c never starts before b has reported ready, b
# never before a. Then a dependency that goes FATAL (its binary is missing) and is fixed (the
# binary appears): with fatal_retry its dependant starts without intervention. (issue 8 tests 1, 3.)
# timeout: 60
. "$(dirname "$0")/lib.sh"

# Each worker logs "start <uptime>" then, 1 s later, logs "ready <uptime>" just before it reports ready.
prog() {
	cat <<EOF2
[program:$1]
command = /bin/sh -c 'echo start \$(cut -d" " -f1 /proc/uptime) >> $T/$1.log; sleep 1; echo ready \$(cut -d" " -f1 /proc/uptime) >> $T/$1.log; droverctl report --ready; exec sleep 1000'
environment = PATH="$DROVER_BUILD:%(ENV_PATH)s"
ready = scoreboard
startsecs = 10
$2

EOF2
}
{
	prog c "depends_on = b"
	prog b "depends_on = a"
	prog a ""
	cat <<EOF2
[program:base]
command = $T/bin/base-server
startsecs = 0
startretries = 0
fatal_retry = 1

[program:app]
command = /bin/sleep 1000
depends_on = base
startsecs = 0
EOF2
} | write_config
start_daemon
wait_for 20 eval 'is_state a RUNNING && is_state b RUNNING && is_state c RUNNING'
get() { awk -v k="$2" '$1 == k { print $2 }' "$T/$1.log"; }
cat "$T/a.log" "$T/b.log" "$T/c.log"
awk -v ra="$(get a ready)" -v sb="$(get b start)" -v rb="$(get b ready)" -v sc="$(get c start)" \
	'BEGIN { exit !(sb >= ra && sc >= rb) }' || fail "a dependant started before its dependency reported ready"
[ "$(field_of c ready)" = True ] || [ "$(last_field c ready)" = true ] || fail "c not reported ready: $(last_field c ready)"

# base is FATAL (no binary), app waits for it and says so.
wait_for 10 is_state base FATAL
[ "$(field_of app description)" = "waiting for base" ] || fail "app description: $(last_field app description)"
is_state app STARTING || fail "app is $(last_field app state), want STARTING (waiting)"
# The binary appears: fatal_retry starts base, then app follows without intervention.
mkdir -p "$T/bin"
printf '#!/bin/sh\nexec sleep 1000\n' > "$T/bin/base-server"
chmod 755 "$T/bin/base-server"
wait_for 10 is_state base RUNNING
wait_for 5 is_state app RUNNING
pass
