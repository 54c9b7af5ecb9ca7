#!/usr/bin/env bats
# artemis(1) management commands against real daemons: groups, their tags and
# members, route rules and weights, canary IPs, the logs; JSON when piped and a
# table on a terminal; exit codes (1 server failure, 2 usage, 3 connection,
# 4 not found); and the end-to-end proof that what the CLI changes in mgmtd is
# what discoveryd serves in lookup.json.

load helpers

setup() {
	artemis_setup
	A=("$BIN/artemis" -f "$CONF")
}

teardown() {
	artemis_teardown
}

need() {
	local d
	for d in "$@"; do
		[ -x "$BIN/$d" ] || skip "$d not built"
	done
}

# on_tty ARGS... — run artemis with stdout on a terminal (tables), like `run`
on_tty() {
	command -v script >/dev/null || skip "no script(1) for a terminal"
	run script -qec "$(printf '%q ' "$BIN/artemis" -f "$CONF" "$@")" /dev/null
	output=${output//$'\r'/}
	lines=()
	mapfile -t lines <<<"$output"
}

lookup() {	# lookup SVC -> the service in lookup.json
	post_json "$DISC" /api/discovery/lookup.json \
	    "{\"discoveryConfigs\":[{\"serviceId\":\"$1\"}],\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}" |
	    jq -c '.services[0]'
}

# lookup_is SVC JQ-FILTER — true when the filter holds for lookup's service
lookup_is() {
	lookup "$1" | jq -e "$2" >/dev/null
}

@test "group create / list / get / delete: JSON when piped, tables on a terminal" {
	need artemis-mgmtd
	start_daemon artemis-mgmtd
	run "${A[@]}" group create --service-id cli.g --name blue --description "blue pool"
	[ "$status" -eq 0 ]
	# the id comes back (writes return none), app id defaults to the service
	echo "$output" | jq -e '.groupId == 1 and .groupKey == "cli.g/sha/sha-z1/blue"
	    and .appId == "cli.g" and .description == "blue pool" and .status == "active"'
	run "${A[@]}" group create --service-id cli.g --name green --app-id 100 --zone sha-z2
	[ "$status" -eq 0 ]
	[ "$(jq -r .groupId <<<"$output")" = 2 ]
	run "${A[@]}" group list
	[ "$status" -eq 0 ]
	[ "$(jq -r 'map(.name) | join(",")' <<<"$output")" = "blue,green" ]
	run "${A[@]}" group list --zone sha-z2
	[ "$(jq -r 'map(.groupId) | join(",")' <<<"$output")" = "2" ]
	on_tty group list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "ID  SERVICE  REGION  ZONE    NAME   APP    STATUS" ]]
	[[ "${lines[2]}" == "2   cli.g    sha     sha-z2  green  100    active" ]]
	run "${A[@]}" group get 1
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.name == "blue" and .tags == {} and .instanceIds == []
	    and .operations == []'
	on_tty group get 2
	[ "$status" -eq 0 ]
	[[ "$output" == *"groupKey     cli.g/sha/sha-z2/green"* ]]
	# create again: an update of the same group
	run "${A[@]}" group create --service-id cli.g --name blue --status inactive
	[ "$(jq -r '.groupId, .status' <<<"$output" | paste -sd' ')" = "1 inactive" ]
	run "${A[@]}" group delete 2
	[ "$status" -eq 0 ]
	run "${A[@]}" group list
	[ "$(jq length <<<"$output")" -eq 1 ]
	run "${A[@]}" log group	# group operations only: none yet
	[ "$output" = "[]" ]
}

@test "group tags set / list / delete" {
	need artemis-mgmtd
	start_daemon artemis-mgmtd
	"${A[@]}" group create --service-id cli.g --name blue >/dev/null
	run "${A[@]}" group tags list 1
	[ "$status" -eq 0 ]
	[ "$output" = "{}" ]
	run "${A[@]}" group tags set 1 env=blue idc=jq
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = success ]
	run "${A[@]}" group tags set 1 env=green
	run "${A[@]}" group tags list 1
	[ "$(jq -c -S . <<<"$output")" = '{"env":"green","idc":"jq"}' ]
	on_tty group tags list 1
	[ "${lines[0]}" = "KEY  VALUE" ]
	[ "${lines[1]}" = "env  green" ]
	on_tty group tags set 1 a=b
	[ "$status" -eq 0 ]
	[ "$output" = "ok" ]
	run "${A[@]}" group tags delete 1 idc a
	[ "$status" -eq 0 ]
	run "${A[@]}" group get 1
	[ "$(jq -c .tags <<<"$output")" = '{"env":"green"}' ]
	run "${A[@]}" group tags delete 1 idc
	[ "$status" -eq 4 ]
	[[ "$output" == *"group 1 has no tag 'idc'"* ]]
}

@test "group instances add / list / remove" {
	need artemis-mgmtd
	start_daemon artemis-mgmtd
	"${A[@]}" group create --service-id cli.g --name blue >/dev/null
	"${A[@]}" group create --service-id cli.g --name green >/dev/null
	run "${A[@]}" group instances add 1 i-1 i-2
	[ "$status" -eq 0 ]
	run "${A[@]}" group instances add 2 i-3 --operator carol --reason "ticket 7"
	[ "$status" -eq 0 ]
	run "${A[@]}" group instances list 1
	[ "$(jq -r 'map(.instanceId) | join(",")' <<<"$output")" = "i-1,i-2" ]
	run "${A[@]}" group instances list --instance-id i-3
	[ "$(jq -r '.[0].groupId' <<<"$output")" = 2 ]
	on_tty group instances list
	[ "${lines[0]}" = "ID  GROUP-ID  INSTANCE-ID" ]
	[ "${#lines[@]}" -eq 4 ]
	run "${A[@]}" group instances remove 1 i-2
	[ "$status" -eq 0 ]
	run "${A[@]}" group get 1
	[ "$(jq -c .instanceIds <<<"$output")" = '["i-1"]' ]
	# nothing is removed when one of the ids is not a member
	run "${A[@]}" group instances remove 1 i-1 i-2
	[ "$status" -eq 4 ]
	[[ "$output" == *"instance 'i-2' is not in group 1"* ]]
	run "${A[@]}" group instances list 1
	[ "$(jq length <<<"$output")" -eq 1 ]
}

@test "route create / list / get / weight / release / delete" {
	need artemis-mgmtd
	start_daemon artemis-mgmtd
	run "${A[@]}" route create --service-id cli.r --name r1 --group blue:30 --group green:70
	[ "$status" -eq 0 ]
	# the rule comes back with its groups: weights staged, not released
	echo "$output" | jq -e '.routeRuleId == 1 and .name == "r1"
	    and ([.groups[] | [.groupKey, .weight, .unreleasedWeight]] ==
	      [["cli.r/sha/sha-z1/blue", null, 30], ["cli.r/sha/sha-z1/green", null, 70]])'
	run "${A[@]}" route create --service-id cli.r --name r2 --group red:1 \
		--strategy close-by-visit
	[ "$status" -eq 0 ]
	run "${A[@]}" route list --service-id cli.r
	[ "$(jq -r 'map(.name + ":" + .strategy) | join(",")' <<<"$output")" = \
		"r1:weighted-round-robin,r2:close-by-visit" ]
	on_tty route list
	[ "${lines[0]}" = "ID  SERVICE  NAME  STATUS  STRATEGY" ]
	[ "${lines[2]}" = "2   cli.r    r2    active  close-by-visit" ]
	run "${A[@]}" route weight --route-id 1 --group-id 1 40
	[ "$status" -eq 0 ]
	run "${A[@]}" route release --route-id 1 --group-id 1
	[ "$status" -eq 0 ]
	run "${A[@]}" route get 1
	[ "$(jq -c '[.groups[] | [.weight, .unreleasedWeight]]' <<<"$output")" = '[[40,40],[null,70]]' ]
	# release without --group-id: every group of the rule
	run "${A[@]}" route release 1
	[ "$status" -eq 0 ]
	on_tty route get 1
	[ "$status" -eq 0 ]
	[[ "$output" == *"GROUP-ID  GROUP                   WEIGHT  STAGED"* ]]
	[[ "$output" == *"2         cli.r/sha/sha-z1/green  70      70"* ]]
	# route weight adds a group to a rule: group 3 (red) joins r1
	run "${A[@]}" route weight 1 --group-id 3 5
	[ "$status" -eq 0 ]
	run "${A[@]}" route get 1
	[ "$(jq '.groups | length' <<<"$output")" -eq 3 ]
	run "${A[@]}" route delete 2
	[ "$status" -eq 0 ]
	run "${A[@]}" route list
	[ "$(jq -r 'map(.name) | join(",")' <<<"$output")" = "r1" ]
}

@test "unknown group and route ids: message, exit 4, nothing written" {
	need artemis-mgmtd
	start_daemon artemis-mgmtd
	"${A[@]}" route create --service-id cli.r --name r1 --group blue:30 >/dev/null
	local c
	for c in "group get 9" "group delete 1 9" "group tags list 9" "group tags set 9 a=b" \
		"group tags delete 9 a" "group instances add 9 i-1" "group instances list 9" \
		"group instances remove 9 i-1" "group pull-out 9" "group pull-in --group-id 9"; do
		run "${A[@]}" $c
		[ "$status" -eq 4 ] || { echo "$c: $status $output"; false; }
		[[ "$output" == *"group 9 not found"* ]]
	done
	for c in "route get 9" "route delete 1 9" "route weight 9 --group-id 1 5" \
		"route release 9"; do
		run "${A[@]}" $c
		[ "$status" -eq 4 ] || { echo "$c: $status $output"; false; }
		[[ "$output" == *"route rule 9 not found"* ]]
	done
	run "${A[@]}" route weight 1 --group-id 9 5
	[ "$status" -eq 4 ]
	[[ "$output" == *"group 9 not found"* ]]
	run "${A[@]}" group create --service-id cli.r --name lone
	run "${A[@]}" route release 1 --group-id 2
	[ "$status" -eq 4 ]
	[[ "$output" == *"group 2 is not in route rule 1"* ]]
	# group 1 and rule 1 survived the refused multi-id deletes
	run "${A[@]}" group get 1
	[ "$status" -eq 0 ]
	run "${A[@]}" route get 1
	[ "$status" -eq 0 ]
	run "${A[@]}" log group --group-id 9
	[ "$output" = "[]" ]
}

@test "usage errors: message and usage, exit 2, no daemon needed" {
	local c
	for c in "group get" "group get x" "group get 0" "group delete" "group tags set 1" \
		"group tags set 1 novalue" "group tags set 1 k=" "group tags set 1 =v" \
		"group tags delete 1" "group instances add 1" "group create --name x" \
		"group create --service-id s" "group list extra" "group tags" "group tags frob 1" \
		"route get" "route weight --route-id 1 --group-id 1" \
		"route weight --route-id 1 --group-id 1 10001" "route weight --group-id 1 5" \
		"route release" "route create --service-id s --name r" \
		"route create --service-id s --name r --group blue" "canary set" \
		"group pull-out" "group list --bogus"; do
		run "${A[@]}" $c
		[ "$status" -eq 2 ] || { echo "$c: $status $output"; false; }
		[[ "$output" == *"usage: artemis"* || "$output" == *"needs one of"* ||
		   "$output" == *"valid arguments"* ]] || { echo "$c: $output"; false; }
	done
	run "${A[@]}" group tags set 1 k=
	[[ "$output" == *"KEY=VALUE"* ]]
	run "${A[@]}" group tags
	[[ "$output" == *"'group tags' needs one of: delete list set"* ]]
	run "${A[@]}" help group instances
	[ "$status" -eq 0 ]
	[[ "$output" == *"needs one of: add list remove"* ]]
}

@test "--help of every management command: its usage, exit 0" {
	local c
	for c in "group create" "group list" "group get" "group delete" "group tags set" \
		"group tags list" "group tags delete" "group instances add" \
		"group instances list" "group instances remove" "group pull-out" "group pull-in" \
		"route create" "route list" "route get" "route delete" "route weight" \
		"route release" "canary set" "log instance" "log server" "log group" "log zone" \
		"logic add" "logic list" "logic delete"; do
		run "${A[@]}" $c --help
		[ "$status" -eq 0 ] || { echo "$c: $status"; false; }
		[[ "${lines[0]}" == "usage: artemis $c "* ]] || { echo "$c: ${lines[0]}"; false; }
	done
	# prefixes reach the three-word commands
	run "${A[@]}" g i r --help
	[[ "${lines[0]}" == "usage: artemis group instances remove "* ]]
}

@test "server-reported failure: the server's message, exit 1" {
	need artemis-mgmtd
	start_daemon artemis-mgmtd
	# a blank operator is refused by every group write
	run "${A[@]}" group create --service-id cli.g --name blue --operator ''
	[ "$status" -eq 1 ]
	[[ "$output" == *"internal-service-error: insert groups failed."* ]]
	run "${A[@]}" route create --service-id cli.r --name r1 --group a:1 --operator ''
	[ "$status" -eq 1 ]
	[[ "$output" == *"create route-rule failed."* ]]
	run "${A[@]}" canary set cli.c i-1 --operator ''
	[ "$status" -eq 1 ]
	[[ "$output" == *"update canary ips"* ]]
	# only the canary group is left: as in Java, canary creates its rule and
	# group before checking the operation context (management-contract §4)
	run "${A[@]}" group list
	[ "$(jq -c 'map(.zoneId)' <<<"$output")" = '["canary"]' ]
}

@test "daemon not running: exit 3, the URL named" {
	local c
	for c in "group list" "group get 1" "route list" "canary set s i-1" "log group"; do
		run "${A[@]}" $c
		[ "$status" -eq 3 ] || { echo "$c: $status $output"; false; }
		[[ "$output" == *"$MGMT"* ]]
	done
}

@test "logs: group and server operation history; filters; table on a terminal" {
	need artemis-mgmtd
	start_daemon artemis-mgmtd
	"${A[@]}" group create --service-id cli.g --name blue >/dev/null
	"${A[@]}" group pull-out 1 --operator dave --reason drill >/dev/null
	"${A[@]}" group pull-in 1 --operator dave >/dev/null
	"${A[@]}" server pull-out --ip 10.0.0.3 --operation maint >/dev/null
	run "${A[@]}" log group --group-id 1
	[ "$(jq -r 'map(.complete|tostring) | join(",")' <<<"$output")" = "false,true" ]
	[ "$(jq -r '.[0].reason' <<<"$output")" = drill ]
	run "${A[@]}" log group --complete true
	[ "$(jq length <<<"$output")" -eq 1 ]
	run "${A[@]}" log server --ip 10.0.0.3
	[ "$(jq -r '.[0].operation' <<<"$output")" = maint ]
	on_tty log group
	[[ "${lines[0]}" == "ID      TIME (UTC)           COMPLETE   OPERATION     OPERATOR      KEY" ]]
	[[ "${lines[1]}" == *"pull-out   pullout       dave          group 1" ]]
	[[ "${lines[2]}" == *"pull-in    pullout       dave          group 1" ]]
}

# ---- end to end: what the CLI writes is what discovery serves ----

@test "route create + release through the CLI: routeRules in discoveryd's lookup.json" {
	need artemis-registryd artemis-discoveryd artemis-mgmtd
	LEASE_TTL=60s artemis_config	# no heartbeats here: leases outlive a slow run
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	start_daemon artemis-mgmtd
	post_json "$REG" /api/registry/register.json \
	    "{\"instances\":[$(instance cli.e i-1 '.groupId = "blue"')]}" >/dev/null
	lookup_is cli.e '.routeRules == []'
	run "${A[@]}" route create --service-id cli.e --name r1 --group blue:30 --group green:0
	[ "$status" -eq 0 ]
	# staged only: discovery serves the default weight 5
	wait_until lookup_is cli.e '.routeRules[0].routeId == "r1" and
	    ([.routeRules[0].groups[].weight] == [5, 5])'
	"${A[@]}" route release 1 >/dev/null
	wait_until lookup_is cli.e '[.routeRules[0].groups[] | [.groupKey, .weight]] ==
	    [["cli.e/sha/sha-z1/blue", 30], ["cli.e/sha/sha-z1/green", 0]]'
	"${A[@]}" route weight 1 --group-id 1 80 >/dev/null
	"${A[@]}" route release 1 --group-id 1 >/dev/null
	wait_until lookup_is cli.e '.routeRules[0].groups[0].weight == 80'
	# members and tags of a group travel with it
	"${A[@]}" group instances add 2 i-9 >/dev/null
	"${A[@]}" group tags set 2 env=green >/dev/null
	wait_until lookup_is cli.e '.routeRules[0].groups[1] | .instanceIds == ["i-9"] and
	    .metadata == {"env": "green"}'
	# an inactive group leaves the rule; a deleted rule leaves discovery
	"${A[@]}" group create --service-id cli.e --name green --status inactive >/dev/null
	wait_until lookup_is cli.e '.routeRules[0].groups | length == 1'
	"${A[@]}" route delete 1 >/dev/null
	wait_until lookup_is cli.e '.routeRules == []'
	lookup_is cli.e '.instances | map(.instanceId) == ["i-1"]'
}

@test "group pull-out / pull-in through the CLI: logicInstances and instances in lookup.json" {
	need artemis-registryd artemis-discoveryd artemis-mgmtd
	LEASE_TTL=60s artemis_config	# no heartbeats here: leases outlive a slow run
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	start_daemon artemis-mgmtd
	post_json "$REG" /api/registry/register.json "{\"instances\":[$(instance cli.p i-1 \
	    '.groupId = "blue"'),$(instance cli.p i-2)]}" >/dev/null
	# a logic instance of group blue
	run "${A[@]}" logic add --service-id cli.p --instance-id logic-1 --url http://10.9.0.1/ \
	    --ip 10.9.0.1 --port 80 --group blue
	[ "$status" -eq 0 ]
	wait_until lookup_is cli.p '(.logicInstances | map(.instanceId)) == ["logic-1"]
	    and (.instances | map(.instanceId) | sort) == ["i-1", "i-2"]'
	run "${A[@]}" group create --service-id cli.p --name blue
	[ "$(jq -r .groupId <<<"$output")" = 1 ]
	run "${A[@]}" group pull-out 1 --operation drill
	[ "$status" -eq 0 ]
	wait_until lookup_is cli.p '.logicInstances == [] and
	    (.instances | map(.instanceId)) == ["i-2"]'
	run "${A[@]}" group get 1
	[ "$(jq -c .operations <<<"$output")" = '["drill"]' ]
	# pull-in completes another operation name: still out
	"${A[@]}" group pull-in 1 >/dev/null
	run "${A[@]}" group get 1
	[ "$(jq -c .operations <<<"$output")" = '["drill"]' ]
	lookup_is cli.p '.logicInstances == []'
	"${A[@]}" group pull-in 1 --operation drill >/dev/null
	wait_until lookup_is cli.p '(.logicInstances | map(.instanceId)) == ["logic-1"]
	    and (.instances | map(.instanceId) | sort) == ["i-1", "i-2"]'
}

@test "logic add / list / delete: defaults, metadata, lookup.json, unknown ids" {
	need artemis-registryd artemis-discoveryd artemis-mgmtd
	LEASE_TTL=60s artemis_config	# no heartbeats here: leases outlive a slow run
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	start_daemon artemis-mgmtd
	run "${A[@]}" logic add --service-id cli.l --instance-id legacy-1 \
	    --url http://10.9.0.7:8080/app --ip 10.9.0.7 --port 8080 \
	    --metadata env=prod --metadata owner=ops --description "old box"
	[ "$status" -eq 0 ]
	run "${A[@]}" logic add --service-id cli.l --instance-id legacy-2 \
	    --url http://10.9.0.8/ --ip 10.9.0.8 --machine-name box-8 --protocol https \
	    --health-check-url http://10.9.0.8/h --group blue --zone sha-z2
	[ "$status" -eq 0 ]
	run "${A[@]}" logic list --service-id cli.l
	[ "$status" -eq 0 ]
	# the fields mgmtd requires are filled the way a registered instance has them
	jq -e 'length == 2 and (.[0] | .id == 1 and .instanceId == "legacy-1"
	    and .machineName == "10.9.0.7" and .protocol == "http"
	    and .healthCheckUrl == "http://10.9.0.7:8080/app" and .groupId == "default"
	    and .regionId == "sha" and .zoneId == "sha-z1" and .port == 8080
	    and .metadata == {"env": "prod", "owner": "ops"} and .description == "old box")
	    and (.[1] | .machineName == "box-8" and .protocol == "https"
	    and .groupId == "blue" and .zoneId == "sha-z2" and .metadata == {})' <<<"$output"
	# discovery serves them, status up, with nothing registered
	wait_until lookup_is cli.l '(.logicInstances | map(.instanceId) | sort)
	    == ["legacy-1", "legacy-2"] and (.logicInstances | all(.status == "up"))'
	# adding the same (service, instance) again replaces it
	"${A[@]}" logic add --service-id cli.l --instance-id legacy-1 \
	    --url http://10.9.0.9/ --ip 10.9.0.9 >/dev/null
	run "${A[@]}" logic list --instance-id legacy-1
	jq -e 'length == 1 and .[0].ip == "10.9.0.9" and .[0].id == 1' <<<"$output"
	on_tty logic list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "ID "*"INSTANCE-ID"*"GROUP"* ]]
	# an unknown id: exit 4, nothing deleted
	run "${A[@]}" logic delete 1 9
	[ "$status" -eq 4 ]
	[[ "$output" == *"logic instance 9 not found"* ]]
	run "${A[@]}" logic list
	[ "$(jq length <<<"$output")" = 2 ]
	run "${A[@]}" logic delete 2 --operator carol
	[ "$status" -eq 0 ]
	wait_until lookup_is cli.l '(.logicInstances | map(.instanceId)) == ["legacy-1"]'
	for c in "logic add --service-id s --instance-id i --url http://x/" \
		"logic add --service-id s --url http://x/ --ip 1.2.3.4" \
		"logic add --service-id s --instance-id i --url http://x/ --ip 1.2.3.4 --port 70000" \
		"logic add --service-id s --instance-id i --url http://x/ --ip 1.2.3.4 --metadata x" \
		"logic delete" "logic delete x" "logic list extra"; do
		run "${A[@]}" $c
		[ "$status" -eq 2 ] || { echo "$c: $status $output"; false; }
	done
	run "${A[@]}" logic list
	[ "$(jq length <<<"$output")" = 1 ]
}

@test "canary set SERVICE IP... through the CLI: the canary rule in lookup.json" {
	need artemis-registryd artemis-discoveryd artemis-mgmtd
	LEASE_TTL=60s artemis_config	# no heartbeats here: leases outlive a slow run
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	start_daemon artemis-mgmtd
	post_json "$REG" /api/registry/register.json \
	    "{\"instances\":[$(instance cli.c i-1),$(instance cli.c i-2)]}" >/dev/null
	# no --app-id: the group is named after the service
	run "${A[@]}" canary set cli.c i-1
	[ "$status" -eq 0 ]
	wait_until lookup_is cli.c '.routeRules[0] | .routeId == "canary-route-rule" and
	    .groups[0].groupKey == "cli.c/sha/canary/cli.c" and
	    .groups[0].instanceIds == ["i-1"] and
	    (.groups[0].instances | map(.instanceId)) == ["i-1"]'
	# an existing canary group is reused, whatever its appId
	run "${A[@]}" canary set cli.d i-7 --app-id 4711
	run "${A[@]}" canary set cli.d i-8
	[ "$status" -eq 0 ]
	run "${A[@]}" group list --service-id cli.d
	[ "$(jq -r 'map(.groupKey) | join(",")' <<<"$output")" = "cli.d/sha/canary/4711" ]
	run "${A[@]}" group get 2
	[ "$(jq -c .instanceIds <<<"$output")" = '["i-8"]' ]
	# a second canary group makes the bare form ambiguous
	run "${A[@]}" canary set cli.d i-8 --app-id 4712
	run "${A[@]}" canary set cli.d i-8
	[ "$status" -eq 2 ]
	[[ "$output" == *"several canary groups"* ]]
	# no IPs clears the canary set; the rule stays
	run "${A[@]}" canary set cli.c
	[ "$status" -eq 0 ]
	wait_until lookup_is cli.c '.routeRules[0].groups[0].instanceIds == []'
}

@test "bash completion: group and route objects, three-word commands, options" {
	run bash -c "source '$REPO/contrib/completion/artemis.bash'
		c() { COMP_WORDS=(\"\$@\"); COMP_CWORD=\$((\$# - 1)); _artemis; echo \"\${COMPREPLY[*]}\"; }
		c artemis group ''
		c artemis --url http://x route ''
		c artemis group tags ''
		c artemis group instances r
		c artemis group create --service-id s --n
		c artemis route create --strategy c"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "create delete get instances list pull-in pull-out tags" ]
	[ "${lines[1]}" = "create delete get list release weight" ]
	[ "${lines[2]}" = "delete list set" ]
	[ "${lines[3]}" = "remove" ]
	[ "${lines[4]}" = "--name" ]
	[ "${lines[5]}" = "close-by-visit" ]
}
