#!/bin/bash
# The include graph of lib/, daemon/ and ctl/ has no cycle between modules and no include against the
# layers (lib < daemon/os, daemon/conf < daemon/core < daemon/ctl-server < daemon/main.c; ctl/ beside
# the daemon, reading configs through daemon/conf only). The checker is tried first on a small tree
# with one cycle and one upward include, which it must report, so a broken checker cannot pass.
# timeout: 30
. "$(dirname "$0")/lib.sh"

[ "$DROVER_SANITIZED" = 1 ] && skip "reads the sources only: run once, with the plain tree"
check="$E2E_DIR/include_graph.py"

bad=$T/bad
mkdir -p "$bad/lib" "$bad/daemon/os" "$bad/daemon/core" "$bad/ctl"
printf '#include "util.h"\n' > "$bad/lib/util.c"
: > "$bad/lib/util.h"
printf '#include "core/b.h"\n' > "$bad/daemon/core/a.c"
printf '#include "core/a.h"\n' > "$bad/daemon/core/b.c"
: > "$bad/daemon/core/a.h"; : > "$bad/daemon/core/b.h"
printf '#include "core/a.h"\n' > "$bad/daemon/os/up.c"
if "$PY" "$check" "$bad" > "$T/bad.out" 2>&1; then
	cat "$T/bad.out"; fail "the checker passed a tree with a cycle and an upward include"
fi
grep -q '^cycle of 2 modules: daemon/core/a daemon/core/b' "$T/bad.out" || { cat "$T/bad.out"; fail "cycle not reported"; }
grep -q 'daemon/os/up.c:1: .*against the layers' "$T/bad.out" || { cat "$T/bad.out"; fail "upward include not reported"; }

"$PY" "$check" "$SRC_DIR" > "$T/graph.out" 2>&1 || { cat "$T/graph.out"; fail "include graph: see above"; }
log "$(tail -n 1 "$T/graph.out")"
pass
