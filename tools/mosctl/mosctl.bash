# SPDX-License-Identifier: GPL-2.0
#
# bash completion for mosctl(8): objects, verbs, settings, TCP states,
# actions, rule ids (from "mosctl rule list") and -n with the names in
# /run/netns.  Installed as
# /usr/share/bash-completion/completions/mosctl.

_mosctl_states="CLOSED LISTEN SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1
	FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT"

_mosctl_netns()
{
	local f names=()

	for f in /run/netns/*; do
		[ -e "$f" ] && names+=("${f##*/}")
	done
	printf '%s\n' "${names[@]}"
}

_mosctl()
{
	local cur prev words cword
	local i netns=() args=() obj verb

	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	# The options, then the object and its arguments
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-n | --netns)
			netns=(-n "${words[i + 1]}")
			i=$((i + 1))
			;;
		-*)
			[ ${#args[@]} -gt 0 ] && args+=("${words[i]}")
			;;
		*)
			args+=("${words[i]}")
			;;
		esac
	done

	case $prev in
	-n | --netns)
		mapfile -t COMPREPLY < <(compgen -W "$(_mosctl_netns)" -- "$cur")
		return
		;;
	esac

	if [ ${#args[@]} -eq 0 ]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "-n -j -p -h --netns
				--json --pretty --help" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "ns set rule stats flows
				flow monitor link version" -- "$cur")
		fi
		return
	fi

	obj=${args[0]}
	verb=${args[1]-}
	case $obj in
	ns)
		if [ ${#args[@]} -eq 1 ]; then
			mapfile -t COMPREPLY < <(compgen -W "enable disable show" -- "$cur")
		elif [ "$verb" = enable ] && [ ${#args[@]} -eq 2 ]; then
			mapfile -t COMPREPLY < <(compgen -W "passive inline" -- "$cur")
		fi
		;;
	set)
		case $prev in
		timeout)
			# any case, '-' for '_': offer them as written
			mapfile -t COMPREPLY < <(compgen -W "$_mosctl_states" -- "${cur^^}")
			;;
		midstream)
			mapfile -t COMPREPLY < <(compgen -W "on off" -- "$cur")
			;;
		overlap)
			mapfile -t COMPREPLY < <(compgen -W "linux first last" -- "$cur")
			;;
		paws)
			mapfile -t COMPREPLY < <(compgen -W "auto on off" -- "$cur")
			;;
		unparsed)
			mapfile -t COMPREPLY < <(compgen -W "drop pass" -- "$cur")
			;;
		max-flows | buffer-bytes | buffer-total | buffer-pieces | \
		stall-timeout | store-age)
			;;
		*)
			# after "timeout STATE": the seconds
			if [ ${#args[@]} -ge 3 ] && [ "${args[${#args[@]} - 2]}" = timeout ]; then
				return
			fi
			mapfile -t COMPREPLY < <(compgen -W "max-flows buffer-bytes
				buffer-total buffer-pieces timeout midstream overlap
				paws stall-timeout unparsed store-age" -- "$cur")
			;;
		esac
		;;
	rule)
		if [ ${#args[@]} -eq 1 ]; then
			mapfile -t COMPREPLY < <(compgen -W "add del list flush" -- "$cur")
			return
		fi
		case $verb in
		add)
			# rule add [prio N] EXPR... action ACTION
			local rest=("${args[@]:2}")
			[ "${rest[0]-}" = prio ] && rest=("${rest[@]:2}")
			if [ "$prev" = action ]; then
				mapfile -t COMPREPLY < <(compgen -W "monitor ignore drop reset" -- "$cur")
			elif [ ${#args[@]} -eq 2 ]; then
				mapfile -t COMPREPLY < <(compgen -W "prio" -- "$cur")
			elif [ ${#rest[@]} -gt 0 ] && [[ " ${rest[*]} " != *" action "* ]]; then
				mapfile -t COMPREPLY < <(compgen -W "action" -- "$cur")
			fi
			;;
		del)
			if [ ${#args[@]} -eq 2 ]; then
				mapfile -t COMPREPLY < <(compgen -W "$(mosctl "${netns[@]}" \
					rule list 2>/dev/null | awk '{ print $2 }')" -- "$cur")
			fi
			;;
		esac
		;;
	link)
		if [ ${#args[@]} -eq 1 ]; then
			mapfile -t COMPREPLY < <(compgen -W "attach detach show" -- "$cur")
		elif [ "$prev" = mode ]; then
			mapfile -t COMPREPLY < <(compgen -W "native generic" -- "$cur")
		elif [ ${#args[@]} -eq 2 ] && [ "$verb" != show ]; then
			mapfile -t COMPREPLY < <(compgen -W "$(ip ${netns[1]:+-n "${netns[1]}"} \
				-o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')" -- "$cur")
		elif [ "$verb" = attach ]; then
			mapfile -t COMPREPLY < <(compgen -W "mode passive inline decap trust-csum" -- "$cur")
		fi
		;;
	flow)
		if [ ${#args[@]} -eq 1 ]; then
			mapfile -t COMPREPLY < <(compgen -W "reset" -- "$cur")
		elif [ "$verb" = reset ] && [ ${#args[@]} -eq 2 ]; then
			mapfile -t COMPREPLY < <(compgen -W "$(mosctl "${netns[@]}" \
				-j flows 2>/dev/null | grep -o '"id": *[0-9]*' |
				grep -o '[0-9]*$')" -- "$cur")
		fi
		;;
	esac
}

complete -F _mosctl mosctl
