#!/bin/bash
# The man pages describe the programs that are built:
# - the SYNOPSIS of droverd(8) and droverctl(8), as man renders it, is the usage line of
#   `droverd --help` and `droverctl --help`; every option those list has its entry in the page;
# - droverd's usage errors exit 2 (as droverctl's) with the usage on stderr; --help exits 0;
# - every environment variable droverd and droverctl read is in their page (test hooks aside);
# - every metric family droverd renders is in droverd(8) METRICS;
# - the three pages carry one date and the version the Makefile builds.
# droverctl's commands against its page: e2e/ctl-man; the config keys against drover.ini(5):
# e2e/config-man.
# Regressions: droverd --help listed -d that its usage line omitted; `droverd -x` exited 1;
# DROVER_LOG_STDERR was nowhere; the pages said 2024, 2025 and 2026-11-25.
# timeout: 30
. "$(dirname "$0")/lib.sh"

command -v nroff >/dev/null 2>&1 && command -v col >/dev/null 2>&1 || skip "nroff/col missing (man-db: mk/deps.sh tools)"
MAN=$SRC_DIR/man

# render PAGE: the page as man prints it, plain ASCII, one long line per paragraph.
render() { LC_ALL=C nroff -man -Tascii -rLL=400n "$1" 2>/dev/null | col -bx; }
# section TEXT NAME: the lines of section NAME of a rendered page.
section() { awk -v s="$2" '/^[A-Z]/ { on = ($0 == s) ; next } on' <<< "$1"; }
squeeze() { tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'; }

for prog in droverd droverctl; do
	page=$(render "$MAN/$prog.8")
	help=$("$DROVER_BUILD/$prog" --help 2>&1) || error "$prog --help exited $?"
	usage=$(sed -n 's/^usage: //p' <<< "$help" | head -n 1)
	[ -n "$usage" ] || { error "$prog --help has no usage line: $help"; continue; }
	synopsis=$(section "$page" SYNOPSIS | squeeze)
	[ "$synopsis" = "$usage" ] || error "$prog: the man page's synopsis '$synopsis' is not --help's usage '$usage'"
	# Every option of --help ("  -c, --config FILE   text" / "      --json   text") in the usage
	# line and in the page.
	opts=$(sed -n 's/^ \{2,6\}\(-[a-z], \)\{0,1\}\(--[a-z-]*\).*/\2/p' <<< "$help")
	[ -n "$opts" ] || error "$prog --help lists no option"
	for o in $opts; do
		short=$(grep -E -- "^ +-[a-z], $o( |$)" <<< "$help" | sed 's/^ *\(-[a-z]\),.*/\1/')
		case $o in --help) ;; *)
			# the usage line names each option by one of its names
			grep -qE -- "(^|[[ |])(${short:+$short|}$o)([] ]|$)" <<< "$usage" || error "$prog: --help lists $o${short:+ ($short)} but its usage line omits it"
		esac
		grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" <<< "$page" || error "$prog: option $o is not in $prog(8)"
	done
	# Environment variables read by the program's sources (test hooks DROVER_TEST_* aside).
	case $prog in droverd) src="$SRC_DIR/daemon";; droverctl) src="$SRC_DIR/ctl";; esac
	for v in $(grep -rhoE 'getenv\("[A-Z_]+"\)' "$src" | sed 's/getenv("\(.*\)")/\1/' | sort -u); do
		case $v in DROVER_TEST_*) continue ;; esac
		grep -qE "(^|[^A-Z_])$v([^A-Z_]|$)" <<< "$page" || error "$prog reads \$$v, which $prog(8) does not mention"
	done
done

# droverd's usage errors: exit 2, the usage on stderr, nothing on stdout.
for args in "-x" "--no-such-option" "extra-argument"; do
	# shellcheck disable=SC2086
	"$DROVERD" $args > "$T/out" 2> "$T/err" < /dev/null; rc=$?
	[ "$rc" = 2 ] || error "droverd $args exited $rc, not 2 (a usage error)"
	grep -q '^usage: droverd' "$T/err" || error "droverd $args: no usage on stderr: $(head -c 300 "$T/err")"
	[ -s "$T/out" ] && error "droverd $args wrote to stdout: $(head -c 300 "$T/out")"
done
"$DROVERD" --help > "$T/out" 2>&1 || error "droverd --help exited $?"
"$DROVERCTL" -x status > /dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || error "droverctl -x exited $rc, not 2"

# Every metric family droverd renders is in droverd(8) METRICS, by the name of its samples.
families=$(sed -n 's/^\s*\[F_[A-Z_]*\]\s*=\s*{ "\(drover_[a-z_]*\)", \([A-Z]*\),.*/\1 \2/p' "$SRC_DIR/daemon/ctl-server/metrics-text.c")
[ "$(echo "$families" | wc -l)" -ge 15 ] || error "found only $(echo "$families" | wc -l) metric families in metrics-text.c"
metrics_doc=$(section "$(render "$MAN/droverd.8")" METRICS)
while read -r fam kind; do
	case $kind in COUNTER) fam=${fam}_total ;; INFO) fam=${fam}_info ;; esac
	grep -qE "(^|[^a-z_])$fam([^a-z_]|$)" <<< "$metrics_doc" || error "metric $fam is not in droverd(8) METRICS"
done <<< "$families"

# One date and the built version on every page.
version=$(sed -n 's/^VERSION *:= *//p' "$SRC_DIR/Makefile")
dates=""
for page in "$MAN"/*.[1-8]; do
	th=$(grep -m1 '^\.TH ' "$page")
	d=$(awk -F'"' '{ print $2 }' <<< "$th")
	v=$(awk -F'"' '{ print $4 }' <<< "$th")
	[[ $d =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || error "$(basename "$page"): date '$d' is not YYYY-MM-DD"
	[ "$v" = "drover $version" ] || error "$(basename "$page"): version '$v', the Makefile builds $version"
	dates="$dates $d"
done
[ "$(printf '%s\n' $dates | sort -u | wc -l)" = 1 ] || error "the man pages disagree on their date:$dates"
pass
