#!/bin/bash
# `droverd -t -c FILE`: a config with several errors (also in an included file) exits 1 and prints every
# error as FILE:LINE, naming section and key; a good config exits 0. Neither starts an instance.
# timeout: 30
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/conf.d"
cat > "$T/bad.ini" <<EOF2
[drover]
name = $NAME
include = conf.d/*.ini

[program:a]
command = /bin/true
numprocs = 0

[program:b]
command = /bin/true
bogus_key = 1

[program:c]
command = /bin/true
startsecs = abc
stopsignal = NOSUCHSIG
EOF2
printf '[program:d]\ncommand = /bin/true\nautorestart = maybe\n' > "$T/conf.d/d.ini"

"$DROVERD" -t -c "$T/bad.ini" > "$T/out" 2>&1 < /dev/null; rc=$?
cat "$T/out"
[ "$rc" = 1 ] || error "droverd -t on a bad config exited $rc, want 1"
# expect FILE LINE TEXT...: a line "…FILE:LINE: …" that names every TEXT.
expect() {
	local f=$1 l=$2 line t; shift 2
	line=$(grep -E "(^|/)$f:$l:" "$T/out" | head -n 1)
	[ -n "$line" ] || { error "no error reported as $f:$l"; return; }
	for t in "$@"; do
		case $line in *"$t"*) ;; *) error "$f:$l: message '$line' lacks '$t'" ;; esac
	done
}
expect bad.ini 7 "program:a" numprocs
expect bad.ini 11 "program:b" bogus_key
expect bad.ini 15 "program:c" startsecs abc
expect bad.ini 16 "program:c" stopsignal NOSUCHSIG
expect d.ini 3 "program:d" autorestart maybe
[ -z "$(ipc_objects "$NAME")" ] || error "droverd -t created IPC objects: $(ipc_objects "$NAME")"

write_config <<EOF2
[program:x]
command = /bin/sleep 1000
numprocs = 2
process_name = %(program_name)s_%(process_num)d
EOF2
"$DROVERD" -t -c "$CONF" > "$T/out" 2>&1 < /dev/null; rc=$?
cat "$T/out"
[ "$rc" = 0 ] || error "droverd -t on a good config exited $rc, want 0"
[ -z "$(ipc_objects "$NAME")" ] || error "droverd -t created IPC objects: $(ipc_objects "$NAME")"
[ -z "$(worker_pids)" ] || error "droverd -t started workers"

# Refusing a group/world-writable config as root.
chmod 0666 "$CONF"
"$DROVERD" -t -c "$CONF" > "$T/out" 2>&1 < /dev/null; rc=$?
cat "$T/out"
[ "$rc" = 1 ] || error "droverd -t on a world-writable config exited $rc, want 1 (root must refuse it)"
pass
