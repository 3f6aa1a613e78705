#!/bin/bash
# stdout_logfile = /dev/stdout (and /proc/self/fd/1, /dev/stderr, /proc/self/fd/2) write through
# droverd's own descriptors, whatever they are: droverd's stdout and stderr (one description, as
# with `2>&1`) are in turn
#   socket:  a socketpair (systemd's journal stream, systemd-run): re-opening it fails (ENXIO);
#   fifo:    a FIFO read by cat (a pipe);
#   file:    a regular file opened without O_APPEND (`droverd > out.log 2>&1`): a re-opened file
#            has an offset of its own and droverd's lines overwrite the worker's;
#   append:  a regular file opened with O_APPEND (`>>`);
#   tty:     a terminal (the slave side of a pty, read on the master side).
# Each time: every one of the worker's 300 stdout and 300 stderr lines (through all four names)
# arrives intact, once, and droverd's own log lines are all there too.
# timeout: 90
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[program:w1]
startsecs = 0
stdout_logfile = /dev/stdout
stdout_logfile_maxbytes = 0
stderr_logfile = /dev/stderr
stderr_logfile_maxbytes = 0
command = /bin/sh -c 'i=0; while [ \$i -lt 150 ]; do i=\$((i + 1)); echo "w1 out line \$i"; echo "w1 err line \$i" >&2; done; exec sleep 1000'

[program:w2]
startsecs = 0
stdout_logfile = /proc/self/fd/1
stdout_logfile_maxbytes = 0
stderr_logfile = /proc/self/fd/2
stderr_logfile_maxbytes = 0
command = /bin/sh -c 'i=0; while [ \$i -lt 150 ]; do i=\$((i + 1)); echo "w2 out line \$i"; echo "w2 err line \$i" >&2; done; exec sleep 1000'
EOF

# The wrappers: droverd's stdout and stderr (one description) become the sink, droverd keeps the pid.
cat > "$T/as-sink.py" <<'EOF'
import os, pty, socket, sys, termios, tty
kind, out = sys.argv[1], sys.argv[2]
if kind == "socket":
    s1, s2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    ours, theirs = s1.detach(), s2.detach()
else:                       # a terminal: droverd gets the slave side, raw (no \r added)
    theirs, ours = pty.openpty()
    tty.setraw(ours)
if os.fork() == 0:          # the reader: the other end, copied to the file until EOF
    os.close(ours)
    with open(out, "wb") as f:
        while True:
            try:
                d = os.read(theirs, 65536)
            except OSError:     # EIO: the terminal's last holder closed it
                break
            if not d:
                break
            f.write(d)
            f.flush()
    os._exit(0)
os.close(theirs)
os.dup2(ours, 1)
os.dup2(ours, 2)
os.close(ours)
os.execv(sys.argv[3], sys.argv[3:])
EOF
run_sink() {
	local mode=$1 out=$T/out.$1
	rm -f "$out"
	case $mode in
	socket|tty) start_daemon "$PY" "$T/as-sink.py" "$mode" "$out" ;;
	fifo)   mkfifo "$T/fifo"; cat "$T/fifo" > "$out" & start_daemon sh -c 'exec "$@" > "$0" 2>&1' "$T/fifo" ;;
	file)   start_daemon sh -c 'exec "$@" > "$0" 2>&1' "$out" ;;
	append) : > "$out"; start_daemon sh -c 'exec "$@" >> "$0" 2>&1' "$out" ;;
	esac
	wait_for 10 grep -q "w1 err line 150" "$out"
	wait_for 10 grep -q "w2 err line 150" "$out"
	stop_daemon TERM
	wait_for 5 grep -q "droverd stopped" "$out"
	[ "$mode" = fifo ] && { wait; rm -f "$T/fifo"; }
	local missing dup
	read -r missing dup < <(awk '
		/^w[12] (out|err) line [0-9]+$/ { seen[$0]++ }
		END {
			for (w = 1; w <= 2; w++) for (s = 0; s < 2; s++) for (n = 1; n <= 150; n++) {
				k = "w" w " " (s ? "err" : "out") " line " n
				if (!(k in seen)) m++; else if (seen[k] > 1) d++
			}
			print m + 0, d + 0
		}' "$out")
	[ "$missing" = 0 ] && [ "$dup" = 0 ] ||
		error "$mode: of the workers' 600 lines $missing are missing or damaged, $dup doubled"
	for l in "droverd 0.1.0 started\|droverd [0-9.]* started" "spawned: 'w1'" "spawned: 'w2'" "received SIGTERM" "droverd stopped"; do
		grep -q "$l" "$out" || error "$mode: droverd's own line '$l' is missing (overwritten?)"
	done
	log "$mode: $(wc -l < "$out") lines checked"
}
for mode in socket fifo file append tty; do
	run_sink "$mode"
done
pass
