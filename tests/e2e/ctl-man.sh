#!/bin/bash
# droverctl(8) describes the droverctl that is built: every command of `droverctl help` has its
# entry in COMMANDS and no other command is documented there; the exit statuses listed are the
# ones droverctl uses; nothing that works is described as missing. Regression: the page said that
# `report` "is not linked yet" and exits 1, long after it worked.
# timeout: 30
. "$(dirname "$0")/lib.sh"

MAN=$SRC_DIR/man/droverctl.8
[ -f "$MAN" ] || fail "$MAN missing"

# The commands droverctl has: the usage lines of `droverctl help` ("  NAME ARGS   text"; the
# help text of a long one is on the next line, indented further).
"$DROVERCTL" help > "$T/help" || fail "droverctl help exited $?"
sed -n '/^commands:/,/^$/p' "$T/help" | grep -E '^  [a-z]' | awk '{ print $1 }' | sort -u > "$T/cmds"
[ "$(wc -l < "$T/cmds")" -ge 10 ] || fail "cannot read the commands from droverctl help: $(cat "$T/help")"

# The entries of the page's COMMANDS section: the first word of each .TP item's tag line.
awk '/^\.SH COMMANDS/ { on = 1; next } /^\.SH / { on = 0 } on && prev == ".TP" { print } { prev = $0 }' "$MAN" |
	sed 's/^\.B[IR]* *//; s/".*//; s/\\f[BIRP]//g' | tr '|' '\n' | awk 'NF { print $1 }' | sort -u > "$T/documented"

missing=$(comm -23 "$T/cmds" "$T/documented")
extra=$(comm -13 "$T/cmds" "$T/documented")
[ -z "$missing" ] || error "commands without an entry in droverctl(8) COMMANDS: $(echo $missing)"
[ -z "$extra" ] || error "droverctl(8) COMMANDS documents what droverctl does not have: $(echo $extra)"

# EXIT STATUS lists exactly the codes droverctl uses (ctl/cmd.h).
codes=$(sed -n 's/^[[:space:]]*CTL_EXIT_[A-Z_]* = \([0-9]*\),.*/\1/p' "$SRC_DIR/ctl/cmd.h" | sort -n | tr '\n' ' ')
listed=$(awk '/^\.SH EXIT STATUS/ { on = 1; next } /^\.SH / { on = 0 } on && prev == ".TP" { print } { prev = $0 }' "$MAN" |
	sed -n 's/^\.B \([0-9]*\)$/\1/p' | sort -n | tr '\n' ' ')
[ -n "$codes" ] || fail "no CTL_EXIT_ codes found in ctl/cmd.h"
[ "$codes" = "$listed" ] || error "exit statuses: droverctl uses '$codes', droverctl(8) lists '$listed'"

# Nothing described as missing.
if grep -n -i 'not linked\|not available in this build\|not implemented' "$MAN"; then
	error "droverctl(8) describes something as missing (above)"
fi
# report: described as working, with its exit statuses.
awk '/^\.BR report/ { on = 1 } on && /^\.TP/ && n++ { exit } on { print }' "$MAN" > "$T/report"
grep -q 'Exit status 0 when reported' "$T/report" || error "droverctl(8) report entry does not say it reports (exit 0): $(cat "$T/report")"
pass
