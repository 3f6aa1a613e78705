#!/bin/bash
# The config corpus (tests/compat/corpus/*/supervisord.conf: real-world layouts and patterns, see its
# README): each one is accepted by `droverd -t` (exit 0; warnings allowed) and runs under both
# supervisord 4.2.5 and droverd, each daemon on a private copy of the config's directory with its own
# ports. Once both have settled (the set of their child processes unchanged for 1 s), the processes
# must be the same: per process its group:name (the SUPERVISOR_* variables in its environment), its
# uid and its command line (paths of the copy and ports written as $DIR, $PORT, $PORT2), event
# listeners included.
# Four configs run at a time. Under ASan/UBSan only `droverd -t` runs, on every config. CORPUS_ONLY=GLOB runs only the matching ones (the test then fails
# nothing for the count).
# timeout: 150
. "$(dirname "$0")/lib.sh"

CORPUS=$COMPAT_DIR/corpus
chmod 0755 "$T"                       # programs run as www-data or nobody read their copies
export CORPUS_RUN=$NAME               # marks every process the corpus runs (cleanup)
cp -r "$CORPUS/bin" "$T/bin" && chmod -R a+rX "$T/bin"

free_ports() {
	"$PY" -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
}

# run_one DIR INDEX: writes $T/r/NAME.result ("ok" or the reasons) and keeps the logs in $T/r/.
run_one() {
	local c=$1 i=$2 n r=$T/r/$1 svd drd ports svpid drpid inst
	mkdir -p "$r"
	svd=$T/c/$c/sv drd=$T/c/$c/dr inst=${NAME:0:28}_$i
	mkdir -p "$T/c/$c"
	cp -r "$CORPUS/$c" "$svd" && cp -r "$CORPUS/$c" "$drd" && chmod -R a+rX "$T/c"
	read -r -a ports <<< "$(free_ports)"
	# TMPDIR: supervisord puts AUTO logs without a childlogdir there (tempfile.gettempdir())
	local envsv=(CORPUS_DIR="$svd" CORPUS_PORT="${ports[0]}" CORPUS_PORT2="${ports[1]}" PATH="$T/bin:$PATH" TMPDIR="$svd")
	local envdr=(CORPUS_DIR="$drd" CORPUS_PORT="${ports[2]}" CORPUS_PORT2="${ports[3]}" PATH="$T/bin:$PATH")
	local why=()

	# droverd -t on the file as it is.
	env "${envdr[@]}" "$DROVERD" -t -c "$drd/supervisord.conf" > "$r/check.out" 2>&1 ||
		why+=("droverd -t exits $?: $(tail -n 3 "$r/check.out" | tr '\n' ' ')")
	# The run: droverd on the same file with a [drover] section of this test's in front (an instance
	# name of its own, log and run directories in the copy).
	{ printf '[drover]\nname = %s\nlog_dir = %s/drover-log\nrun_dir = %s/drover-run\n\n' "$inst" "$drd" "$drd"
	  cat "$CORPUS/$c/supervisord.conf"; } > "$drd/supervisord.conf"
	env "${envsv[@]}" supervisord -c "$svd/supervisord.conf" > "$r/supervisord.out" 2>&1 < /dev/null &
	svpid=$!
	env "${envdr[@]}" "$DROVERD" -c "$drd/supervisord.conf" > "$r/droverd.out" 2>&1 < /dev/null &
	drpid=$!
	echo "$svpid $drpid $inst" > "$r/pids"

	"$PY" "$COMPAT_DIR/settle.py" 20 "$r/supervisord.procs" "$svpid" "$svd" "${ports[0]}" "${ports[1]}" \
		"$r/droverd.procs" "$drpid" "$drd" "${ports[2]}" "${ports[3]}"
	case $? in
	0) ;;
	2) proc_alive "$svpid" || why+=("supervisord exited: $(tail -n 3 "$r/supervisord.out" | tr '\n' ' ')")
	   proc_alive "$drpid" || why+=("droverd exited: $(tail -n 3 "$r/droverd.out" | tr '\n' ' ')") ;;
	*) why+=("the processes did not settle within 20 s") ;;
	esac
	local a b
	a=$(cat "$r/supervisord.procs") b=$(cat "$r/droverd.procs")
	[ -n "$a" ] || why+=("supervisord runs no program")
	[ "$a" = "$b" ] || why+=("the processes differ: $(diff "$r/supervisord.procs" "$r/droverd.procs" | grep '^[<>]' | head -n 6 | tr '\n' ' ')")
	kill -TERM "$svpid" "$drpid" 2>/dev/null
	local t=0
	while { proc_alive "$svpid" || proc_alive "$drpid"; } && [ $t -lt 300 ]; do sleep 0.1; t=$((t + 1)); done
	proc_alive "$svpid" && { kill -KILL "$svpid"; why+=("supervisord did not stop within 30 s"); }
	proc_alive "$drpid" && { kill -KILL "$drpid"; why+=("droverd did not stop within 30 s"); }
	cleanup_ipc "$inst"
	if [ ${#why[@]} = 0 ]; then
		echo "ok: $(grep -c . "$r/droverd.procs") processes; droverd -t: $(grep -c 'warning' "$r/check.out") warnings" > "$r/result"
	else
		printf '%s\n' "${why[@]}" > "$r/result"
	fi
}

configs=()
for d in "$CORPUS"/*/; do
	d=$(basename "$d")
	[ -f "$CORPUS/$d/supervisord.conf" ] || continue
	case $d in ${CORPUS_ONLY:-*}) configs+=("$d") ;; esac
done
[ -n "${CORPUS_ONLY:-}" ] || [ ${#configs[@]} -ge 15 ] || error "the corpus has ${#configs[@]} configs, fewer than 15"
# Under ASan/UBSan only the check: the config reader on every file of the corpus.
if [ "$DROVER_SANITIZED" = 1 ]; then
	for c in "${configs[@]}"; do
		mkdir -p "$T/c/$c" && cp -r "$CORPUS/$c" "$T/c/$c/dr"
		env CORPUS_DIR="$T/c/$c/dr" CORPUS_PORT=1 CORPUS_PORT2=2 "$DROVERD" -t -c "$T/c/$c/dr/supervisord.conf" \
			> "$T/check.$c" 2>&1 || error "$c: droverd -t exits $?: $(tail -n 3 "$T/check.$c" | tr '\n' ' ')"
	done
	pass
fi
mkdir -p "$T/r"
i=0 running=()
for c in "${configs[@]}"; do
	run_one "$c" "$i" &
	running+=($!)
	i=$((i + 1))
	if [ ${#running[@]} -ge 4 ]; then
		wait "${running[0]}"
		running=("${running[@]:1}")
	fi
done
for p in "${running[@]}"; do wait "$p"; done

for c in "${configs[@]}"; do
	res=$(cat "$T/r/$c/result" 2>/dev/null || echo "no result")
	case $res in
	ok:*) log "$c: $res" ;;
	*) error "$c: $(echo "$res" | tr '\n' ';')"
	   for f in check.out supervisord.procs droverd.procs; do
		   echo "--- $c/$f"; head -n 20 "$T/r/$c/$f" 2>/dev/null
	   done
	   cp -r "$T/r/$c" "$ART/corpus-$c" 2>/dev/null ;;
	esac
done
# What the corpus left running (nothing, unless a daemon was killed): the processes it marked.
for p in $(grep -lsz "^CORPUS_RUN=$NAME\$" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do
	[ "$p" != $$ ] && kill -KILL "$p" 2>/dev/null
done
pass
