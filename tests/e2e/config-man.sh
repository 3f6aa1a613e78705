#!/bin/bash
# Every key of the key tables ([program:x], [drover], [supervisord], [group:x]) and every
# supervisord key drover knows and ignores is documented in drover.ini(5). A key added to a table
# without its man page entry fails here.
# timeout: 20
. "$(dirname "$0")/lib.sh"

keys_c=$SRC_DIR/daemon/conf/config-keys.c
man=$SRC_DIR/man/drover.ini.5
# Table entries read `[PK_X] = { "name", ...`; the ignored supervisord keys are string lists.
names=$(sed -n 's/^\s*\[[PDG]K_[A-Z_]*\]\s*=\s*{ "\([a-z_]*\)".*/\1/p' "$keys_c" | sort -u)
ignored=$(sed -n '/supervisord_program_only\[\] = {/,/};/p; /supervisord_only\[\] = {/,/};/p' "$keys_c" |
	grep -o '"[a-z_]*"' | tr -d '"' | sort -u)
[ "$(echo "$names" | wc -l)" -ge 50 ] || fail "found only $(echo "$names" | wc -l) keys in $keys_c"
[ "$(echo "$ignored" | wc -l)" -ge 12 ] || fail "found only $(echo "$ignored" | wc -l) ignored keys in $keys_c"
# The man page as text: a key counts when it is written as a word of its own.
text=$(sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/^\.[A-Z]* //' "$man")
for k in $names $ignored; do
	# derived: from [group:x], or from ready/health and depends_on; not keys a user writes
	case $k in group|group_priority|notify_socket|depends_completed|kind) continue ;; esac
	grep -qE "(^|[^a-z_])$k([^a-z_]|$)" <<< "$text" || error "key '$k' is not in drover.ini(5)"
done
log "$(echo $names $ignored | wc -w) keys checked"
pass
