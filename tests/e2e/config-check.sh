#!/bin/bash
# `droverd -t -c FILE`: a config with several errors (also in an included file) exits 1 and prints every
# error as "error: FILE:LINE:", naming section and key; what supervisord accepts but drover ignores or
# reads differently is a "warning:" and exits 0, or 1 with --strict; the guardrails (did you mean,
# includes matching nothing, indented keys) warn; a bad value gives its error only. Nothing starts.
# timeout: 30
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/conf.d"
cat > "$T/bad.ini" <<EOF2
[drover]
name = $NAME
include = conf.d/*.ini

[program:a]
command = /bin/true
numprocs = many

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
# expect LEVEL FILE LINE TEXT...: a line "LEVEL: …FILE:LINE: …" that names every TEXT.
expect() {
	local level=$1 f=$2 l=$3 line t; shift 3
	line=$(grep -E "^$level: (.*/)?$f:$l:" "$T/out" | head -n 1)
	[ -n "$line" ] || { error "no $level reported as $f:$l"; return; }
	for t in "$@"; do
		case $line in *"$t"*) ;; *) error "$f:$l: message '$line' lacks '$t'" ;; esac
	done
}
expect error bad.ini 7 "program:a" numprocs many
expect warning bad.ini 11 "program:b" bogus_key "unknown key"
expect error bad.ini 15 "program:c" startsecs abc
expect error bad.ini 16 "program:c" stopsignal NOSUCHSIG
expect error d.ini 3 "program:d" autorestart maybe
grep -q "bad.ini: 4 errors, 1 warning" "$T/out" || error "no summary line 'bad.ini: 4 errors, 1 warning'"
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
grep -q "ok (1 program)" "$T/out" || error "no 'ok (1 program)'"
grep -qE "^(warning|error):" "$T/out" && error "a good config gave warnings or errors"
"$DROVERD" -t --strict -c "$CONF" > "$T/out" 2>&1 < /dev/null || error "--strict failed a config without warnings"
[ -z "$(ipc_objects "$NAME")" ] || error "droverd -t created IPC objects: $(ipc_objects "$NAME")"
[ -z "$(worker_pids)" ] || error "droverd -t started workers"

# What supervisord 4.2.5 accepts: warnings only, exit 0; --strict makes them fail.
mkdir -p "$T/sv/conf.d"
cat > "$T/sv/supervisord.conf" <<EOF2
[supervisord]
nodaemon = true
logfile = /dev/null

[unix_http_server]
file = /tmp/supervisor.sock

[include]
files = conf.d/*.conf nothere/*.conf

[program:web]
command = /bin/sleep 1000
autorestat = true
stopsignal = TERM
command = /bin/sleep 1001
environment = GREETING=hello world

[porgram:typo]
command = /bin/true

[program:worker]
command = /bin/sleep
  1002
  autostart = false
EOF2
printf '[supervisord]\nnodaemon = true\n[program:web]\nstartsecs = 0\n' > "$T/sv/conf.d/web.conf"
cp "$T/sv/supervisord.conf" "$T/sv/plain.conf"
"$DROVERD" -t -c "$T/sv/supervisord.conf" > "$T/out" 2>&1 < /dev/null; rc=$?
cat "$T/out"
[ "$rc" = 0 ] || error "droverd -t on a config supervisord accepts exited $rc, want 0"
grep -q "^error:" "$T/out" && error "errors for a config supervisord accepts"
expect warning supervisord.conf 3 logfile "not used"
expect warning supervisord.conf 5 "[unix_http_server]" "not used"
expect warning supervisord.conf 9 "nothere/*.conf" "directory" "nothere does not exist"
expect warning supervisord.conf 13 autorestat "did you mean 'autorestart'?"
expect warning supervisord.conf 15 command "replaces the one at line 12"
expect warning supervisord.conf 16 environment "supervisord reads GREETING as 'hello'"
expect warning supervisord.conf 18 "[porgram:typo]" "did you mean [program:typo]?"
expect warning supervisord.conf 24 "autostart = false" "continues the value of 'command'"
expect warning web.conf 1 "[supervisord]" "repeated"
expect warning web.conf 3 "[program:web]" "repeated"
grep -q "nodaemon" "$T/out" && error "nodaemon = true (what droverd does) was reported"
grep -q "ok (2 programs, 10 warnings)" "$T/out" || error "no summary 'ok (2 programs, 10 warnings)'"
"$DROVERD" -t --strict -c "$T/sv/supervisord.conf" > "$T/out" 2>&1 < /dev/null; rc=$?
cat "$T/out"
[ "$rc" = 1 ] || error "droverd -t --strict with warnings exited $rc, want 1"
grep -q "10 warnings (--strict" "$T/out" || error "--strict does not say why it failed"

# Did you mean, for a signal and a command; a bad value gives its error and nothing else.
cat > "$T/guard.ini" <<EOF2
[program:a]
command = /bin/slep 5

[program:b]
command = /bin/true
stdout_logfile_maxbytes = lots

[program:c]
command = /bin/true
stopsignal = TREM
EOF2
"$DROVERD" -t -c "$T/guard.ini" > "$T/out" 2>&1 < /dev/null; rc=$?
cat "$T/out"
[ "$rc" = 1 ] || error "droverd -t with a bad signal exited $rc, want 1"
expect warning guard.ini 2 command "'/bin/slep' does not exist (did you mean '/bin/sleep'?)"
expect error guard.ini 6 stdout_logfile_maxbytes lots
expect error guard.ini 10 stopsignal "did you mean TERM?"
[ "$(grep -c '^warning:' "$T/out")" = 1 ] || error "want exactly 1 warning (no 'may fill the disk' for a bad maxbytes)"

# Refusing a group/world-writable config as root.
chmod 0666 "$CONF"
"$DROVERD" -t -c "$CONF" > "$T/out" 2>&1 < /dev/null; rc=$?
cat "$T/out"
[ "$rc" = 1 ] || error "droverd -t on a world-writable config exited $rc, want 1 (root must refuse it)"
pass
