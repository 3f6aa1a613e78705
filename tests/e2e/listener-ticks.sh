#!/bin/bash
# TICK_5, TICK_60 and TICK_3600 come at the wall clock's multiples of 5, 60 and 3600 seconds, with
# supervisord's payload (when: the period's start). An hour is too long to wait for: droverd's wall
# clock is set 3 s before an hour (libfaketime, the monotonic clock untouched, so every timer of
# droverd runs as usual), and all three come within seconds; then TICK_5 again 5 s later.
# timeout: 40
. "$(dirname "$0")/lib.sh"
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
command -v faketime > /dev/null && [ -n "$FAKETIME_LIB" ] || skip "faketime is not installed (mk/deps.sh tools installs it)"

write_config <<EOF
[eventlistener:clock]
command = $PY $E2E_DIR/evlistener.py $T/ticks.jsonl
events = TICK
startsecs = 0
buffer_size = 100
EOF
# an hour boundary (of the epoch, in UTC), 3 s ahead of droverd's fake "now"
HOUR=$(( ($(date +%s) / 3600 + 1000) * 3600 ))
START=$(TZ=UTC date -d "@$((HOUR - 3))" '+%Y-%m-%d %H:%M:%S')
export TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1
# libfaketime in an ASan build: its runtime need not come first in the preload list
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
start_daemon faketime -f "@$START"
unset FAKETIME_DONT_FAKE_MONOTONIC

ticks() { "$PY" - "$T/ticks.jsonl" <<'PY'
import json, sys
try:
    for l in open(sys.argv[1]):
        e = json.loads(l)
        print(e["h"]["eventname"], e["p"])
except FileNotFoundError:
    pass
PY
}
wait_for 15 eval 'ticks | grep -qx "TICK_3600 when:$HOUR"'
wait_for 5 eval 'ticks | grep -qx "TICK_60 when:$HOUR"'
wait_for 5 eval 'ticks | grep -qx "TICK_5 when:$HOUR"'
wait_for 10 eval 'ticks | grep -qx "TICK_5 when:$((HOUR + 5))"'
ticks
# nothing else: no tick before the hour's (droverd started 3 s before it: none had come due), none twice
[ "$(ticks | sort | uniq -d)" = "" ] || error "a tick came twice: $(ticks | sort | uniq -d)"
ticks | awk -v h="$HOUR" '{ split($2, a, ":"); if (a[2] < h) exit 1 }' || error "a tick from before the hour came"
stop_daemon
pass
