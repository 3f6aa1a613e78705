#!/bin/bash
# States over time of a crash-looping and of a failing program, supervisord 4.2.5 vs droverd, both
# running the same config at the same time:
#   fail:  startsecs = 10, exits at once, startretries = 2: sampled every 50 ms (droverd with
#          droverctl, supervisord through its XML-RPC interface from one Python process: a
#          supervisorctl per sample takes longer, under load, than supervisord's 1 s first
#          BACKOFF): the same number of spawns (1 + retries), BACKOFF seen in both, FATAL in
#          both, reached (from the first spawn) within 2.5 s of each other. (startsecs is what
#          decides that a start failed when the exit is reaped; supervisord checks it against the
#          time it reaps, which on a loaded machine can be a second late: 10 s keeps a worker that
#          exits at once from counting as started there.)
#   crash: startsecs = 0, exits at once, autorestart: spawns counted over the same 5 s window
#          (without status requests: each one wakes supervisord's loop and hurries its restarts) must
#          agree within 2, and neither daemon ever shows it FATAL.
# By design the crash loop looks different in `status`: supervisord notices an exit on its next 1 s
# tick and respawns in the same tick, so it shows the loop RUNNING (or STARTING) nearly all the time;
# droverd shows BACKOFF with the time to the next attempt. STARTING and RUNNING are transitional
# here and not compared; EXITED (supervisord, awaiting its restart) is counted as BACKOFF.
# timeout: 60
COMPAT_PLAIN_ONLY=1
. "$(dirname "$0")/lib.sh"

compat_config <<EOF
[program:crash]
command = $PROBE exit 3
startsecs = 0
autorestart = true

[program:fail]
command = $PROBE exit 1
startsecs = 10
startretries = 2
autorestart = unexpected
EOF
# --- phase 1: states over time, each daemon sampled by its own loop (absolute ms) ----------------
# Each loop starts before its daemon (supervisord first, which takes a while to answer: under load,
# seconds, by which time its failing program may have been through BACKOFF), so that neither misses
# the start of the other's, and samples until the failing program is FATAL there (at most 20 s).
sample() {   # sample WHICH FILE: droverd's, with droverctl (nothing while droverd does not answer)
	local end=$(( $(now_ms) + 20000 ))
	until grep -q ' fail FATAL$' "$2" 2>/dev/null || [ "$(now_ms)" -ge "$end" ]; do
		"$1" | sed "s/^/$(now_ms) /" >> "$2"
		sleep 0.05
	done
}
# The same for supervisord, from one XML-RPC client ("MS NAME STATE" lines, as above).
sv_sample() {
	"$PY" - "unix://$SV_DIR/sock" "$1" <<'PY'
import sys, time, xmlrpc.client
from supervisor.xmlrpc import SupervisorTransport
end = time.time() + 20
with open(sys.argv[2], "a") as out:
    while time.time() < end:
        ms = time.time_ns() // 1000000
        try:
            proxy = xmlrpc.client.ServerProxy("http://localhost", transport=SupervisorTransport(None, None, sys.argv[1]))
            infos = proxy.supervisor.getAllProcessInfo()
        except (OSError, xmlrpc.client.Error):
            infos = []   # not answering yet
        for i in sorted(infos, key=lambda i: i["name"]):
            out.write("%d %s %s\n" % (ms, i["name"], i["statename"]))
        out.flush()
        if any(i["name"] == "fail" and i["statename"] == "FATAL" for i in infos):
            break
        time.sleep(0.05)
PY
}
sv_sample "$T/sv.samples" &
svp=$!
sv_start
sample dr_states "$T/dr.samples" &
drp=$!
dr_start
wait "$svp" "$drp"

spawns() {
	awk -v n="$2:$2" -v a="${3:-0}" -v b="${4:-0}" '$1 == "start" && $2 == n && (b == 0 || ($3 >= a && $3 < b))' \
		"$COMPAT_OUT/$1/events" | wc -l
}
first_spawn_ms() { local ns; ns=$(awk -v n="$2:$2" '$1 == "start" && $2 == n { print $3; exit }' "$COMPAT_OUT/$1/events"); echo $((ns / 1000000)); }
# states FILE PROGRAM: the distinct states it was seen in (EXITED counted as BACKOFF, see above).
states() {
	awk -v p="$2" '$2 == p { s = $3; if (s == "EXITED") s = "BACKOFF"; if (s != "STARTING" && s != "RUNNING") print s }' "$1" |
		sort -u | tr '\n' ' '
}
fatal_ms() { awk -v p="$2" '$2 == p && $3 == "FATAL" { print $1; exit }' "$1"; }

same "spawns of the failing program" "$(spawns supervisord fail)" "$(spawns drover fail)"
same "states of the failing program" "$(states "$T/sv.samples" fail)" "$(states "$T/dr.samples" fail)"
fs=$(fatal_ms "$T/sv.samples" fail) fd=$(fatal_ms "$T/dr.samples" fail)
if [ -z "$fs" ] || [ -z "$fd" ]; then
	error "fail never FATAL: supervisord '${fs:-never}', droverd '${fd:-never}'"
else
	fs=$((fs - $(first_spawn_ms supervisord fail))) fd=$((fd - $(first_spawn_ms drover fail)))
	log "fail: FATAL $fs ms after its first spawn under supervisord, $fd ms under droverd"
	[ $((fs - fd)) -le 2500 ] && [ $((fd - fs)) -le 2500 ] || error "fail: FATAL after $fs ms under supervisord, $fd ms under droverd"
fi
fatal_crash() { grep -c ' crash FATAL$' "$1"; }
same "FATAL samples of the crash loop" "$(fatal_crash "$T/sv.samples")" "$(fatal_crash "$T/dr.samples")"

# --- phase 2: the crash loop's rate, undisturbed ---------------------------------------------------
a=$(date +%s%N)
sleep 5   # the observation window
b=$(date +%s%N)
ns=$(spawns supervisord crash "$a" "$b") nd=$(spawns drover crash "$a" "$b")
log "crash: spawns in 5 s: supervisord $ns, droverd $nd"
[ $((ns - nd)) -le 2 ] && [ $((nd - ns)) -le 2 ] || error "crash loop: $ns spawns in 5 s under supervisord, $nd under droverd"
sv_stop TERM
dr_stop TERM
pass
