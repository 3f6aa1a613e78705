#!/bin/bash
# Disk full for logs (issue 7 #4): log_dir is a 256 KiB tmpfs and 4 workers write 100-byte lines to
# stdout and stderr every 5 ms. Once it is full: the workers keep running (same pids, RUNNING),
# droverd keeps answering; the loss is counted (a dropped/lost figure > 0 in `droverctl status
# --json`) and logged once per stream, not once per line. When space comes back (the log files
# truncated), output lands in the files again.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers fault-writer
command -v mount > /dev/null || skip "mount missing"
mount -t tmpfs -o size=256k,mode=0755 "drover-fault-$NAME" "$LOG_DIR" 2>/dev/null || skip "cannot mount a tmpfs (no CAP_SYS_ADMIN?)"
FAULT_CLEANUP+=("umount -l '$LOG_DIR'")

write_config <<EOF2
[program:wr]
command = $HELPERS/fault-writer -b 100 -i 5 -f $T/report.%(process_num)d
numprocs = 4
process_name = %(program_name)s_%(process_num)d
startsecs = 0
EOF2
start_daemon
wait_for 10 all_in_state RUNNING "" 4
names_pids > "$T/pids.before"
avail_kb() { df -k --output=avail "$LOG_DIR" | tail -n 1 | tr -d ' '; }
disk_full() { [ "$(avail_kb)" -le 4 ]; }
t0=$(now_ms)
wait_for 20 disk_full
full_ms=$(($(now_ms) - t0))
log "log_dir full after $(fmt_ms $full_ms)s: $(df -k --output=used,avail "$LOG_DIR" | tail -n 1)"

# Full for 3 s: workers undisturbed, droverd answering.
answering() { daemon_alive && ctl version > /dev/null 2>&1; }
hold_for 3 answering
names_pids > "$T/pids.after"
cmp -s "$T/pids.before" "$T/pids.after" || { diff "$T/pids.before" "$T/pids.after"; error "workers changed while the disk was full"; }
failed_writes=$(cat "$T"/report.* 2>/dev/null | awk '{ s += $2 } END { print s + 0 }')
log "the workers' own count of failed writes: $failed_writes (0 is expected when droverd reads a pipe and drops)"

# The loss is counted and visible.
refresh_status || fail "no status"
lost=$(status_py 'def walk(o, path=""):
    if isinstance(o, dict):
        for k, v in o.items():
            yield from walk(v, path + "." + k)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from walk(v, path + "[%d]" % i)
    else:
        yield path, o
hits = [(p, v) for p, v in walk(d) if any(w in p.lower() for w in ("drop", "lost", "discard"))
        and isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0]
print(" ".join("%s=%s" % h for h in hits[:8]))')
log "loss counters in status: ${lost:-none}"
[ -n "$lost" ] || error "the loss is not counted in droverctl status --json (no dropped/lost figure > 0)"
# ... and logged once per stream (4 workers x stdout, stderr), not per line.
loss_lines=$(grep -ciE 'no space left|ENOSPC|dropp|lost|discard' "$DAEMON_LOG")
log "droverd log lines about the loss: $loss_lines"
[ "$loss_lines" -ge 1 ] || error "droverd never logs the loss of output"
[ "$loss_lines" -le 8 ] || error "droverd logs the loss $loss_lines times (once per stream at most: 8)"

# Space comes back: output reaches the files again.
for f in "$LOG_DIR"/*; do [ -f "$f" ] && : > "$f"; done
used0=$(df -k --output=used "$LOG_DIR" | tail -n 1 | tr -d ' ')
grows() { [ "$(df -k --output=used "$LOG_DIR" | tail -n 1 | tr -d ' ')" -gt $((used0 + 8)) ]; }
wait_for 5 grows
names_pids > "$T/pids.end"
cmp -s "$T/pids.before" "$T/pids.end" || error "workers changed after space came back"
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS after SIGTERM"
measured "256 KiB log_dir full after $full_ms ms; workers unchanged; failed writes seen by workers $failed_writes; loss counters [${lost:-none}]; loss log lines $loss_lines; output resumed after truncation"
pass
