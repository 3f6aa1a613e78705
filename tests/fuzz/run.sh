#!/bin/sh
# Build the fuzzers (protocol decoder, config loader) with clang (libFuzzer + ASan + UBSan) into
# OUTDIR and run each for SECONDS.
# Exits non-zero when the build fails or the fuzzer finds a crash/leak/timeout.
# usage: tests/fuzz/run.sh OUTDIR SECONDS
set -eu

OUT=${1:?usage: run.sh OUTDIR SECONDS}
SECS=${2:?usage: run.sh OUTDIR SECONDS}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null 2>&1 || CC=clang-14

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
FLAGS="-std=gnu11 -D_GNU_SOURCE -g -O1 -I$SRC/lib -I$SRC -I$SRC/daemon -Wall -Wextra -Werror -Wno-unused-parameter"

"$CC" $FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-o "$OUT/fuzz-proto" "$SRC/tests/fuzz/fuzz-proto.c" "$SRC/lib/proto.c" "$SRC/lib/util.c"
"$CC" $FLAGS -o "$OUT/seed-proto" "$SRC/tests/fuzz/seed-proto.c" "$SRC/lib/proto.c" "$SRC/lib/util.c"

# The seed corpus lives in OUTDIR (build/ is git-ignored); findings too.
CORPUS="$OUT/corpus-proto"
mkdir -p "$CORPUS" "$OUT/artifacts"
"$OUT/seed-proto" "$CORPUS" >/dev/null

INIH_CFLAGS=$(pkg-config --cflags inih)
INIH_LIBS=$(pkg-config --libs inih)
"$CC" $FLAGS $INIH_CFLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-o "$OUT/fuzz-config" "$SRC/tests/fuzz/fuzz-config.c" "$SRC"/daemon/conf/*.c "$SRC/lib/util.c" $INIH_LIBS
mkdir -p "$OUT/corpus-config"
cp "$SRC"/conf/*.ini "$SRC"/conf/conf.d/*.ini "$OUT/corpus-config/" 2>/dev/null || true

fail=0
run() {   # run NAME MAXLEN
	echo "$1: running ${SECS}s"
	if "$OUT/$1" -max_total_time="$SECS" -max_len="$2" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$OUT/corpus-${1#fuzz-}" >"$OUT/$1.log" 2>&1; then
		grep -E '^stat::number_of_executed_units' "$OUT/$1.log" || true
		echo "$1: PASS"
	else
		rc=$?
		tail -n 60 "$OUT/$1.log" >&2
		echo "$1: FAIL (exit $rc; artifacts in $OUT/artifacts)" >&2
		fail=1
	fi
}
run fuzz-proto 16384
run fuzz-config 8192
exit $fail
