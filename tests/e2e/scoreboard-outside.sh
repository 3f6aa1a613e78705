#!/bin/bash
# Issue 4, test 6: outside droverd every libdrover call is a cheap no-op: -ENOENT, no output,
# under 2 us per call on average (the helper measures 700,000 calls).
# timeout: 30
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker

out=$(env -u DROVER_NAME -u DROVER_SLOT -u DROVER_GENERATION -u DROVER_SCOREBOARD_FD "$HELPERS/sb-worker" -o 100000 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "sb-worker -o exited $rc: $out"
[ -z "$out" ] || fail "output outside droverd: $out"
# An environment without a scoreboard descriptor (DROVER_SCOREBOARD_FD): the same.
out=$(env -u DROVER_SCOREBOARD_FD DROVER_NAME=nosuch$$ DROVER_SLOT=0 DROVER_GENERATION=1 "$HELPERS/sb-worker" -o 1000 2>&1)
rc=$?
[ "$rc" = 0 ] && [ -z "$out" ] || fail "missing scoreboard: exit $rc, output: $out"
pass
