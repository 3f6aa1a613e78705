#!/bin/bash
# Orphans caught in execve() when their worker exits are still found and stopped. An exec'ing
# process shows an empty /proc/PID/environ for a moment (its new memory has no environment yet),
# so the DROVER_* marks that tie an orphan to its worker cannot be read then. Here a worker leaves
# 24 setsid'd orphans that exec themselves over and over, then exits: every orphan must be
# stopped. Before droverd read such an environment again, one or more of them was taken for a
# stranger and left running in about one run in four (24 orphans on 2 cores).
# timeout: 60
. "$(dirname "$0")/lib.sh"

cat > "$T/reexec.sh" <<'SH'
#!/bin/sh
# the first run writes its pid; every run replaces itself with a fresh shell at once
[ -n "$ORPHAN_FILE" ] && { echo $$ > "$ORPHAN_FILE"; unset ORPHAN_FILE; }
exec /bin/sh "$0"
SH
write_config <<EOF
[program:leaver]
command = /bin/sh -c 'for i in \$(seq 24); do ORPHAN_FILE=$T/orphan.\$i setsid /bin/sh $T/reexec.sh & done; while [ \$(cat $T/orphan.* 2>/dev/null | wc -l) -lt 24 ]; do sleep 0.01; done; exit 0'
autorestart = false
startsecs = 0
stopwaitsecs = 2
EOF
start_daemon
wait_for 10 is_state leaver EXITED
orphans=$(cat "$T"/orphan.*)
[ "$(echo "$orphans" | wc -w)" -eq 24 ] || fail "expected 24 orphans, got: $orphans"
alive() { local n=0 p; for p in $orphans; do proc_alive "$p" && n=$((n + 1)); done; echo "$n"; }
try_for 8 eval '[ "$(alive)" -eq 0 ]' || error "$(alive) of the 24 exec'ing orphans survived their worker's exit"
for p in $orphans; do proc_alive "$p" && kill -KILL "$p"; done
pass
