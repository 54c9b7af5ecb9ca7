# bash completion for artemis(1). Install as
# /usr/share/bash-completion/completions/artemis (or source it).

_artemis() {
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
	}
	local common="-f --config --url --json -v --verbose -h --help"
	local verbs="canary config group help instance log register route server service status up watch zone"

	case $prev in
	-f|--config|--file|--from|--app|--to|--state-dir)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--url|--registry|--service-id|--instance-id|--region|--zone|--ip|--operator| \
	--operation|--token|--reason|--app-id|--name|--strategy|--group-id|--route-id| \
	--group|--metadata|--interval|--port|--status|--env|-D)
		return ;;
	--complete)
		COMPREPLY=($(compgen -W "true false" -- "$cur")); return ;;
	esac

	# skip global options to find the verb
	local i=1 verb="" object=""
	while [ $i -lt $cword ]; do
		case ${words[i]} in
		-f|--config|--url) i=$((i + 2)); continue ;;
		-*) i=$((i + 1)); continue ;;
		esac
		if [ -z "$verb" ]; then verb=${words[i]}
		elif [ -z "$object" ]; then object=${words[i]}; fi
		i=$((i + 1))
	done

	if [ -z "$verb" ]; then
		COMPREPLY=($(compgen -W "$verbs $common" -- "$cur")); return
	fi
	local objects=""
	case $verb in
	canary) objects="set" ;;
	config) objects="convert url validate" ;;
	group) objects="pull-in pull-out" ;;
	instance) objects="list pull-in pull-out" ;;
	log) objects="group instance server zone" ;;
	route) objects="create release weight" ;;
	server|zone) objects="pull-in pull-out" ;;
	service) objects="get list" ;;
	help) COMPREPLY=($(compgen -W "$verbs" -- "$cur")); return ;;
	esac
	if [ -n "$objects" ] && [ -z "$object" ]; then
		COMPREPLY=($(compgen -W "$objects" -- "$cur")); return
	fi
	local opts=""
	case "$verb $object" in
	"service list") opts="--region" ;;
	"service get") opts="--region --zone --service-id" ;;
	"instance list") opts="--region --zone --local" ;;
	"instance pull-"*) opts="--service-id --instance-id --region --operation --operator --token --reason" ;;
	"server pull-"*) opts="--ip --region --operation --operator --token --reason" ;;
	"zone pull-"*) opts="--service-id --zone --region --operation --operator --token --reason" ;;
	"group pull-"*) opts="--group-id --operation --operator --token --reason" ;;
	"route create") opts="--service-id --name --app-id --group --strategy --region --zone --operator --reason" ;;
	"route weight"|"route release") opts="--route-id --group-id --operator --reason" ;;
	"canary set") opts="--app-id --operator --reason" ;;
	"log "*) opts="--region --service-id --instance-id --ip --zone --group-id --operation --operator --complete" ;;
	"register "*) opts="--service-id --url --instance-id --port --ip --region --zone --metadata --interval --status --registry --" ;;
	"config convert") opts="--from --app --env --ip -D --to --state-dir" ;;
	"config validate") opts="--file" ;;
	"config url") opts="registryd discoveryd mgmtd replicator" ;;
	esac
	COMPREPLY=($(compgen -W "$opts $common" -- "$cur"))
}
complete -F _artemis artemis
