# bash completion for droverctl(8): commands, options, states, signals, and process names
# (asked from the running droverd with the hidden `droverctl _names`, one name per line).

_droverctl_names()
{
	# Talk to the same instance as the command line being completed.
	local -a inst=()
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-n|--name|-c|--config) inst+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}") ;;
		--name=*|--config=*) inst+=("${COMP_WORDS[i]}") ;;
		esac
	done
	local names
	names=$(droverctl "${inst[@]}" --timeout 1 _names 2>/dev/null) || return
	if [[ $1 == processes ]]; then
		printf '%s\n' "$names"
		return
	fi
	# Groups too, with :* to select all of a group's processes.
	local groups
	groups=$(printf '%s\n' "$names" | sed -n 's/^\([^:]*\):.*/\1\n\1:*/p' | sort -u)
	if [[ $1 == groups ]]; then
		# update takes group names: GROUP of GROUP:PROCESS, and a program's own name
		printf '%s\n' "$names" | sed 's/:.*//' | sort -u
		return
	fi
	printf '%s\n' all "$names" "$groups"
}

_droverctl()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion -n : || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	local commands="status start stop restart signal pid reload reread update avail shutdown tail wait report version metrics help"
	local globals="-c --config -n --name --json --timeout --color --no-color -h --help"

	case $prev in
	-c|--config)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	-n|--name|--timeout)
		return ;;
	esac

	# Find the command: the first word that is not a global option or its argument.
	local i cmd="" cmd_index=0
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-c|--config|-n|--name|--timeout) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]}; cmd_index=$i; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$globals" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
		fi
		return
	fi

	local nargs=$((cword - cmd_index - 1))
	local states="STOPPED STARTING RUNNING BACKOFF STOPPING EXITED FATAL UNKNOWN"
	local signals="TERM HUP INT QUIT KILL USR1 USR2 STOP CONT"
	local opts=""
	case $cmd in
	start|stop|restart) opts="--no-wait --timeout" ;;
	wait) opts="--timeout" ;;
	tail) opts="-f -n --since" ;;
	report) opts="--ready --heartbeat --busy --idle --status" ;;
	metrics) opts="--openmetrics" ;;
	status) opts="--watch" ;;
	esac
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts --json --help" -- "$cur")
		return
	fi
	case $prev in
	--timeout|-n|--status|--since) return ;;
	esac

	local words_list=""
	case $cmd in
	status|start|stop|restart|pid)
		words_list=$(_droverctl_names) ;;
	update)
		words_list="all $(_droverctl_names groups)" ;;
	signal)
		if ((nargs == 0)); then words_list=$signals; else words_list=$(_droverctl_names); fi ;;
	wait)
		if ((nargs == 0)); then words_list=$states; else words_list=$(_droverctl_names); fi ;;
	tail)
		# PATTERN (a process, a group, all), then the stream.
		local positional=0
		for ((i = cmd_index + 1; i < cword; i++)); do
			case ${words[i]} in
			-n|--since) ((i++)) ;;
			-*) ;;
			*) ((positional++)) ;;
			esac
		done
		if ((positional == 0)); then words_list=$(_droverctl_names)
		elif ((positional == 1)); then words_list="stdout stderr"; fi ;;
	help)
		((nargs == 0)) && words_list=$commands ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$words_list" -- "$cur")
	declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
}

complete -F _droverctl droverctl
