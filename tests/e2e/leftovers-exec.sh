#!/bin/bash
# Leftovers of a SIGKILLed droverd that are in the middle of execve() when the next droverd of the
# instance starts are still found and killed. An exec'ing process shows an empty /proc/PID/environ
# for a moment, so its DROVER_* marks cannot be read then. Here a worker's 24 setsid'd descendants
# exec themselves over and over; droverd is SIGKILLed (the worker dies with it, they do not); the
# next start must kill all 24. Before droverd read an empty environment again, one or more of them
# was taken for a stranger and survived in about one run in four.
# timeout: 60
. "$(dirname "$0")/lib.sh"

cat > "$T/reexec.sh" <<'SH'
#!/bin/sh
# the first run writes its pid; every run replaces itself with a fresh shell at once
[ -n "$ORPHAN_FILE" ] && { echo $$ > "$ORPHAN_FILE"; unset ORPHAN_FILE; }
exec /bin/sh "$0"
SH
write_config <<EOF
[program:holder]
command = /bin/sh -c 'for i in \$(seq 24); do ORPHAN_FILE=$T/left.\$i setsid /bin/sh $T/reexec.sh & done; exec sleep 1000'
startsecs = 0
EOF
start_daemon
wait_for 10 eval '[ "$(cat "$T"/left.* 2>/dev/null | wc -l)" -eq 24 ]'
left=$(cat "$T"/left.*)
stop_daemon KILL 5
alive() { local n=0 p; for p in $left; do proc_alive "$p" && n=$((n + 1)); done; echo "$n"; }
[ "$(alive)" -eq 24 ] || fail "only $(alive) of the 24 descendants outlived droverd: nothing to test"
start_daemon
try_for 8 eval '[ "$(alive)" -eq 0 ]' || error "$(alive) of the 24 exec'ing leftovers survived the next start"
for p in $left; do proc_alive "$p" && kill -KILL "$p"; done
pass
