#!/bin/sh
# tests/run.sh BUILD_DIR... — run the unit tests ($BUILD/tests/test-*), then tests/e2e/*.sh,
# tests/faults/*.sh and tests/compat/*.sh (differential: the same config under supervisord) against
# each build tree, up to $DROVER_TEST_JOBS (3) at a time, each under a hard
# timeout (120 s, or the test's own `# timeout: N` line). One line per test:
#   [plain] e2e/spawn-basic            PASS (2s)
# then the last lines of the log of each failure; at the end each failure again (name and last log
# lines, for a CI page that shows only the end of the output) and exactly one line
#   N passed, N failed[, N skipped]
# Exit status 1 when any test failed. Exit 77 from a test means SKIP (it prints why).
# Logs: build/test-logs/TAG/KIND/NAME.log (+ NAME.d/: daemon logs); build/test-logs/cpu: CPU seconds per
# test of the last run. TAG = plain for build/, else
# the tree's directory name (build/asan -> asan).
# A test with a line `# exclusive` (one that exhausts a shared resource: the uid's message queue
# budget, fds, pids) runs alone, after the others.
# Env: DROVER_TEST_JOBS=N, DROVER_TEST_ONLY='glob' (e.g. 'e2e/spawn-*'), DROVER_TEST_LOGS=DIR.
set -u

SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC" || exit 1
LOGROOT=${DROVER_TEST_LOGS:-$SRC/build/test-logs}
SAN_RE='ERROR: AddressSanitizer|ERROR: LeakSanitizer|LeakSanitizer|runtime error:|ERROR: UndefinedBehaviorSanitizer'

now_ns() { date +%s%N; }

# User + system CPU seconds of this shell's waited-for children (one test: each runs in its own
# shell), from the second line of `times` ("0m1.234s 0m0.567s"), which must run in this shell, not
# in a command substitution's.
cpu_of_children() {
	times > "$1"
	sed -n 2p "$1" | awk '{
		t = 0
		for (i = 1; i <= 2; i++) { split($i, a, "m"); sub(/s$/, "", a[2]); t += a[1] * 60 + a[2] }
		printf "%.0f", t
	}'
	rm -f "$1"
}

# Kill every process whose environment carries DROVER_TEST_MARK=$1 (what a test left behind).
sweep() {
	pids=$(grep -lsz "^DROVER_TEST_MARK=$1\$" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | grep -vx "$$")
	[ -n "$pids" ] || return 0
	echo "runner: killing processes left behind by the test:" $pids
	ps -o pid,ppid,stat,args -p "$(echo $pids | tr ' ' ,)" 2>/dev/null
	kill -KILL $pids 2>/dev/null
	return 0
}

# run_one TAG BUILD KIND PATH: run one test, print its line (and log tail), record the result.
run_one() {
	tag=$1 build=$2 kind=$3 path=$4
	case $kind in
	unit) base=$(basename "$path") ;;
	*) base=$(basename "$path" .sh) ;;
	esac
	name=$kind/$base
	dir=$LOGROOT/$tag/$kind
	log=$dir/$base.log
	art=$dir/$base.d
	mkdir -p "$dir"
	rm -rf "$art" "$log"
	mkdir -p "$art"
	limit=$(sed -n 's/^# timeout: *\([0-9][0-9]*\).*/\1/p' "$path" 2>/dev/null | head -n 1)
	case $kind in unit) limit=120 ;; esac
	[ -n "$limit" ] || limit=120
	san=0
	grep -q __asan_init "$build/droverd" 2>/dev/null && san=1
	# A limit catches hangs; ASan makes everything two to three times slower, a loaded machine more.
	[ "$san" = 1 ] && limit=$((limit * 2))
	mark="run$$-$(echo "$tag-$name" | tr -c 'A-Za-z0-9_\n-' '_')"

	t0=$(now_ns)
	if [ "$kind" = unit ]; then
		( cd "$build" && exec env DROVER_TEST_MARK="$mark" DROVER_SANITIZED=$san \
			timeout -k 5 "$limit" "$path" ) > "$log" 2>&1 < /dev/null
	else
		env DROVER_BUILD="$build" DROVER_TEST_ARTIFACTS="$art" DROVER_TEST_MARK="$mark" \
			DROVER_SANITIZED=$san timeout -k 5 "$limit" bash "$path" > "$log" 2>&1 < /dev/null
	fi
	rc=$?
	t1=$(now_ns)
	secs=$(( (t1 - t0 + 500000000) / 1000000000 ))
	cpu_of_children "$art.times" > "$art.cpu"
	cpu=$(cat "$art.cpu"); rm -f "$art.cpu"

	sweep "$mark" >> "$log" 2>&1
	if [ -s "$art/instance-name" ]; then
		inst=$(cat "$art/instance-name")
		rm -f /dev/shm/"$inst".* /dev/shm/sem."$inst".* 2>/dev/null
		[ -x "$build/tests/worker-mqunlink" ] && "$build/tests/worker-mqunlink" "$inst" 2>/dev/null
	fi

	note=
	case $rc in
	0) result=PASS ;;
	77) result=SKIP; note=$(grep -h 'SKIP' "$log" | tail -n 1 | sed 's/^\[[^]]*\] *//; s/^SKIP: *//') ;;
	124|137) result=FAIL; note="timed out after ${limit}s" ;;
	*) result=FAIL; note="exit $rc" ;;
	esac
	if grep -lqE "$SAN_RE" "$log" "$art"/* 2>/dev/null; then
		result=FAIL
		note="sanitizer report${note:+; $note}"
	fi
	if [ "$kind" = unit ]; then
		np=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		nf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		[ -n "$np" ] && note="${np:-0} cases passed${nf:+, $nf failed}${note:+; $note}"
	fi

	out=$LOGROOT/.out.$$.$(echo "$tag-$name" | tr '/' '_')
	{
		printf '[%s] %-28s %s (%ss)%s\n' "$tag" "$name" "$result" "$secs" "${note:+  $note}"
		if [ "$result" = FAIL ]; then
			echo "---- last 30 lines of $log"
			tail -n 30 "$log" | sed 's/^/    /'
			for d in "$art"/droverd*.log; do
				[ -s "$d" ] || continue
				echo "---- last 15 lines of $d"
				tail -n 15 "$d" | sed 's/^/    /'
			done
			if grep -qE "$SAN_RE" "$art"/* 2>/dev/null; then
				echo "---- sanitizer reports in $art"
				grep -hE -A3 "$SAN_RE" "$art"/* 2>/dev/null | awk '!seen[$0]++' | head -n 20 | sed 's/^/    /'
			fi
			echo "----"
		fi
	} > "$out"
	flock "$LOGROOT/.lock" cat "$out"
	rm -f "$out"
	echo "$result $secs $tag/$name $cpu" >> "$RESULTS"
	# Repeated at the very end: a CI page that shows only the last lines still names the failure.
	if [ "$result" = FAIL ]; then
		{
			printf 'FAILED [%s] %s%s\n' "$tag" "$name" "${note:+ ($note)}"
			grep -v '^runner:' "$log" | tail -n 6 | cut -c1-200 | sed 's/^/    /'
		} | flock "$LOGROOT/.lock" tee -a "$RESULTS.failed" > /dev/null
	fi
}

if [ "${1:-}" = --one ]; then
	# Internal: xargs hands us the index of one line of the work list.
	LOGROOT=$2 RESULTS=$3
	line=$(sed -n "$4p" "$LOGROOT/.work.$5")
	oldifs=$IFS; IFS='	'
	# shellcheck disable=SC2086
	set -- $line
	IFS=$oldifs
	run_one "$2" "$3" "$4" "$5"
	exit 0
fi

[ $# -gt 0 ] || { echo "usage: tests/run.sh BUILD_DIR..." >&2; exit 2; }
mkdir -p "$LOGROOT"
RESULTS=$LOGROOT/results.$$
WORK=$LOGROOT/.work.$$
: > "$RESULTS"
rm -f "$RESULTS.failed"
: > "$WORK.tmp"
DURATIONS=$LOGROOT/durations
missing=0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The work list: "WEIGHT<TAB>TAG<TAB>BUILD<TAB>KIND<TAB>PATH", heaviest first (weights: the
# durations of the last run, else a test's time limit; unit tests last).
for b in "$@"; do
	if [ ! -d "$b" ]; then
		echo "[$b] build tree missing  FAIL"
		missing=$((missing + 1))
		continue
	fi
	build=$(cd "$b" && pwd)
	tag=$(basename "$build")
	[ "$build" = "$SRC/build" ] && tag=plain
	for t in "$build"/tests/test-*; do
		[ -x "$t" ] || continue
		case $t in *.d|*.o) continue ;; esac
		echo "unit	$tag	$build	unit	$t	par" >> "$WORK.tmp"
	done
	for kind in e2e faults compat; do
		for t in "$SRC"/tests/$kind/*.sh; do
			[ -f "$t" ] || continue
			[ "$(basename "$t")" = lib.sh ] && continue
			mode=par
			grep -q '^# exclusive' "$t" && mode=excl
			limit=$(sed -n 's/^# timeout: *\([0-9][0-9]*\).*/\1/p' "$t" | head -n 1)
			echo "$kind	$tag	$build	$kind	$t	$mode	${limit:-120}" >> "$WORK.tmp"
		done
	done
done

awk -F'\t' -v dfile="$DURATIONS" -v only="${DROVER_TEST_ONLY:-}" '
	BEGIN { while ((getline l < dfile) > 0) { split(l, a, " "); d[a[1]] = a[2] } }
	{
		n = $5; sub(/.*\//, "", n); sub(/\.sh$/, "", n)
		key = $2 "/" $4 "/" n
		if (only != "") {
			pat = only; gsub(/\./, "\\.", pat); gsub(/\*/, ".*", pat); gsub(/\?/, ".", pat)
			if ((($4 "/" n) !~ ("^" pat "$")) && (key !~ ("^" pat "$"))) next
		}
		# A test never run here weighs its time limit: a fresh clone (CI) starts the longest first
		# instead of in file order, where a long test drawn last kept the run waiting alone.
		w = (key in d) ? d[key] : ($1 == "unit" ? 0 : $7)
		printf "%s\t%d\t%s\t%s\t%s\t%s\n", $6, w, $2, $3, $4, $5
	}' "$WORK.tmp" | sort -t '	' -k1,1r -k2,2nr -s > "$WORK.sorted"
# "par" lines first (sorted before "excl"), heaviest first.
nexcl=$(grep -c '^excl' "$WORK.sorted")
cut -f2- "$WORK.sorted" > "$WORK"
rm -f "$WORK.tmp" "$WORK.sorted"

n=$(wc -l < "$WORK")
npar=$((n - nexcl))
jobs=${DROVER_TEST_JOBS:-3}
t0=$(now_ns)
if [ "$npar" -gt 0 ]; then
	seq 1 "$npar" | xargs -P "$jobs" -I{} sh "$SRC/tests/run.sh" --one "$LOGROOT" "$RESULTS" {} $$
fi
if [ "$n" -gt "$npar" ]; then
	seq $((npar + 1)) "$n" | xargs -P 1 -I{} sh "$SRC/tests/run.sh" --one "$LOGROOT" "$RESULTS" {} $$
fi
t1=$(now_ns)

# Remember durations for the next run's ordering.
{
	[ -f "$DURATIONS" ] && cat "$DURATIONS"
	awk '{ print $3, $2 }' "$RESULTS"
} | awk '{ d[$1] = $2 } END { for (k in d) print k, d[k] }' | sort > "$DURATIONS.new" && mv "$DURATIONS.new" "$DURATIONS"
# CPU seconds per test of this run, most first: on 2 CPUs the suite's CPU, not its waits, bounds it.
awk '{ print $4, $3 }' "$RESULTS" | sort -rn > "$LOGROOT/cpu"
cpu_total=$(awk '{ t += $4 } END { print t + 0 }' "$RESULTS")

passed=$(grep -c '^PASS ' "$RESULTS")
failed=$(( $(grep -c '^FAIL ' "$RESULTS") + missing ))
skipped=$(grep -c '^SKIP ' "$RESULTS")
if [ -s "$RESULTS.failed" ]; then
	echo "==== failures (logs in $LOGROOT/TAG/KIND/NAME.log)"
	cat "$RESULTS.failed"
fi
rm -f "$WORK" "$RESULTS" "$RESULTS.failed"
echo "(${n} tests in $(( (t1 - t0) / 1000000000 ))s, ${cpu_total}s of CPU; logs in $LOGROOT)"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
