# bash completion for artemis(1). Install as
# /usr/share/bash-completion/completions/artemis (or source it).

_artemis() {
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
	}
	local common="-f --config --url --json -v --verbose -h --help"
	local verbs="canary config group help instance log logic register route server service status up watch zone"

	case $prev in
	-f|--config|--file|--from|--app|--to|--state-dir)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--url|--registry|--service-id|--instance-id|--region|--zone|--ip|--operator| \
	--operation|--token|--reason|--app-id|--name|--group-id|--route-id| \
	--group|--metadata|--interval|--port|--env|--description|-D)
		return ;;
	--strategy)
		COMPREPLY=($(compgen -W "weighted-round-robin close-by-visit" -- "$cur")); return ;;
	--status)
		COMPREPLY=($(compgen -W "active inactive up down starting unhealthy" -- "$cur")); return ;;
	--complete)
		COMPREPLY=($(compgen -W "true false" -- "$cur")); return ;;
	esac

	# skip options (and their values) to find verb, object and action
	local i=1 verb="" object="" action="" n=0
	while [ $i -lt $cword ]; do
		case ${words[i]} in
		--json|--local|--help|--verbose|-h|-v|--) i=$((i + 1)); continue ;;
		-*) i=$((i + 2)); continue ;;
		esac
		case $n in
		0) verb=${words[i]} ;;
		1) object=${words[i]} ;;
		2) action=${words[i]} ;;
		esac
		n=$((n + 1))
		i=$((i + 1))
	done

	if [ -z "$verb" ]; then
		COMPREPLY=($(compgen -W "$verbs $common" -- "$cur")); return
	fi
	local objects=""
	case $verb in
	canary) objects="set" ;;
	config) objects="convert url validate" ;;
	group) objects="create delete get instances list pull-in pull-out tags" ;;
	instance) objects="list pull-in pull-out" ;;
	log) objects="group instance server zone" ;;
	logic) objects="add delete list" ;;
	route) objects="create delete get list release weight" ;;
	server|zone) objects="pull-in pull-out" ;;
	service) objects="get list" ;;
	help) COMPREPLY=($(compgen -W "$verbs" -- "$cur")); return ;;
	esac
	if [ -n "$objects" ] && [ -z "$object" ]; then
		COMPREPLY=($(compgen -W "$objects" -- "$cur")); return
	fi
	local actions=""
	case "$verb $object" in
	"group tags") actions="delete list set" ;;
	"group instances") actions="add list remove" ;;
	esac
	if [ -n "$actions" ] && [ -z "$action" ]; then
		COMPREPLY=($(compgen -W "$actions" -- "$cur")); return
	fi
	local write="--operator --token --reason --operation"
	local opts=""
	case "$verb $object" in
	"service list") opts="--region" ;;
	"service get") opts="--region --zone --service-id" ;;
	"instance list") opts="--region --zone --local" ;;
	"instance pull-"*) opts="--service-id --instance-id --region --operation --operator --token --reason" ;;
	"server pull-"*) opts="--ip --region --operation --operator --token --reason" ;;
	"zone pull-"*) opts="--service-id --zone --region --operation --operator --token --reason" ;;
	"group pull-"*) opts="--group-id $write" ;;
	"group create") opts="--service-id --name --app-id --region --zone --status --description $write" ;;
	"group list") opts="--service-id --region --zone --name --app-id --status" ;;
	"group get"|"group tags list"|"group tags set") opts="--group-id" ;;
	"group delete"|"group instances add"|"group instances remove") opts="--group-id $write" ;;
	"group tags delete") opts="--group-id" ;;
	"group instances list") opts="--group-id --instance-id" ;;
	"route create") opts="--service-id --name --app-id --group --strategy --status --description --region --zone $write" ;;
	"route list") opts="--service-id --name --status" ;;
	"route get") opts="--route-id" ;;
	"route delete") opts="--route-id $write" ;;
	"route weight"|"route release") opts="--route-id --group-id $write" ;;
	"canary set") opts="--app-id --service-id $write" ;;
	"log "*) opts="--region --service-id --instance-id --ip --zone --group-id --operation --operator --complete" ;;
	"logic add") opts="--service-id --instance-id --url --ip --port --region --zone --machine-name --protocol --health-check-url --group --metadata --description --management $write" ;;
	"logic list") opts="--service-id --instance-id" ;;
	"logic delete") opts="$write" ;;
	"register "*) opts="--service-id --url --instance-id --port --ip --region --zone --metadata --interval --status --registry --" ;;
	"config convert") opts="--from --app --env --ip -D --to --state-dir" ;;
	"config validate") opts="--file" ;;
	"config url") opts="registryd discoveryd mgmtd replicator" ;;
	esac
	COMPREPLY=($(compgen -W "$opts $common" -- "$cur"))
}
complete -F _artemis artemis
