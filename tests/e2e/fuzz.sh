#!/bin/bash
# The libFuzzer targets (wire-format decoder, T24; config loader, T22), each for a bounded time.
# They are built with clang's own ASan/UBSan, so they run once, with the plain tree; 10 s each in
# make check (the CPU of the whole suite is what bounds its time), DROVER_FUZZ_SECONDS for longer.
# timeout: 150
. "$(dirname "$0")/lib.sh"

[ "$DROVER_SANITIZED" = 1 ] && skip "the fuzzers carry their own sanitizers: run once, with the plain tree"
command -v clang >/dev/null 2>&1 || command -v clang-14 >/dev/null 2>&1 || skip "clang missing (mk/deps.sh clang installs it)"
sh "$SRC_DIR/tests/fuzz/run.sh" "$DROVER_BUILD/fuzz" "${DROVER_FUZZ_SECONDS:-10}" || fail "a fuzzer found a crash, leak or hang"
pass
