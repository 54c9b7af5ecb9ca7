#!/usr/bin/env bats
# The management contract clause by clause (spec/management-contract.md), where
# mgmtd.bats, discoveryd-mgmt.bats, cli-mgmt.bats and the conformance suite do
# not already pin the behaviour: partial effects of canary, unknown ids,
# group-operation prefixes, revival, route-rule publication, logic instances,
# what discovery hides and pushes. One daemon set for the file; every test uses
# its own service ids (and large unknown ids), so tests stay independent.

load helpers

WS=$BATS_TEST_DIRNAME/wsclient.py

setup_file() {
	local d
	for d in artemis-registryd artemis-discoveryd artemis-mgmtd; do
		[ -x "$BIN/$d" ] || skip "$d not built yet"
	done
	LEASE_TTL=120s artemis_setup
	LEASE_TTL=120s artemis_config "[ratelimit]" "management-group = 100000"
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	start_daemon artemis-mgmtd
	export TMP STATE CONF REG DISC MGMT REG_PORT DISC_PORT MGMT_PORT REPL_PORT REPL
}

teardown_file() { [ -n "$TMP" ] && artemis_teardown; }

teardown() {
	# a daemon a test started for itself (rate limits)
	[ -z "${PID_RL:-}" ] || { kill "$PID_RL" 2>/dev/null; wait "$PID_RL" 2>/dev/null; }
	true
}

CTX='"operatorId":"alice","token":"tkn-1","operation":"op","reason":"r","extensions":"{}"'
OK='{"responseStatus":{"errorCode":"success","message":"","status":"success"}}'

m() { post_json "$MGMT" "/api/management$1" "$2"; }
ise() { printf '{"responseStatus":{"errorCode":"internal-service-error","message":"%s","status":"fail"}}' "$1"; }

# reg SERVICE ID [IP [GROUP [ZONE]]] — register one instance (region sha)
reg() {
	local ip=${3:-10.0.0.1}
	post_json "$REG" /api/registry/register.json "$(jq -cn --arg s "$1" --arg i "$2" \
	    --arg ip "$ip" --arg g "${4:-default}" --arg z "${5:-sha-z1}" \
	    '{instances:[{regionId:"sha",zoneId:$z,serviceId:$s,instanceId:$i,groupId:$g,
	      ip:$ip,port:8080,url:("http://" + $ip + ":8080/"),status:"up"}]}')" |
	    jq -e '.responseStatus.status == "success"' >/dev/null
}

# lookup SERVICE — the service object lookup.json answers
lookup() {
	post_json "$DISC" /api/discovery/lookup.json \
	    "{\"discoveryConfigs\":[{\"serviceId\":\"$1\"}],\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}" |
	    jq -c '.services[0]'
}

# ids SERVICE [FIELD] — sorted instanceIds of lookup's instances (or FIELD)
ids() { lookup "$1" | jq -c "[.${2:-instances}[]?.instanceId] | sort"; }

# eventually EXPECTED CMD... — discovery follows the DB asynchronously (a few ms)
eventually() {
	local want=$1; shift
	wait_until eval '[ "$('"$*"')" = "$want" ]' || {
		echo "want $want, got $("$@")"
		return 1
	}
}

# rules SERVICE — lookup's routeRules reduced to [routeId, strategy, [[groupKey, weight]...]]
rules() { lookup "$1" | jq -c '[.routeRules[] | [.routeId, .strategy, [.groups[] | [.groupKey, .weight]]]]'; }

group_id() {	# SERVICE NAME
	m /group/get-groups.json "{\"serviceId\":\"$1\",\"name\":\"$2\"}" | jq '.groups[0].groupId'
}

rule_id() {	# SERVICE NAME
	m /group/get-route-rules.json "{\"serviceId\":\"$1\",\"name\":\"$2\"}" | jq '.routeRules[0].routeRuleId'
}

canary_rule_of() {	# SERVICE — name and status of its canary rule, or nothing
	m /group/get-all-route-rules.json '{}' |
	    jq -c --arg s "$1" '[.routeRules[] | select(.serviceId == $s) | [.name, .status]]'
}

# §4, §8.13, §8.18: no transaction; the rule and group are made before the
# context and the list are checked, and stay when those checks fail.
@test "canary: a failed call keeps the rule (and group and link) made before its failure" {
	local s=mc.canary
	run m /canary/update-canary-ips.json "{\"serviceId\":\"$s\",\"appId\":\" \",\"canaryIps\":[\"x\"],$CTX}"
	[ "$output" = "$(ise 'update canary ips')" ]
	[ "$(canary_rule_of $s)" = '[["canary-route-rule","active"]]' ]
	[ "$(m /group/get-groups.json "{\"serviceId\":\"$s\"}" | jq '.groups | length')" = 0 ]

	run m /canary/update-canary-ips.json "{\"serviceId\":\"$s\",\"appId\":\"App1\",\"canaryIps\":[\"10.0.0.7\"]}"
	[ "$output" = "$(ise 'update canary ips')" ]
	gid=$(group_id $s app1)
	[ "$gid" != null ]
	m /group/get-groups.json "{\"groupId\":$gid}" | jq -e --arg s $s '.groups[0] |
	    .groupKey == ($s + "/sha/canary/app1") and .zoneId == "canary" and .name == "App1" and
	    .appId == "App1" and .status == "active"'
	m /group/get-route-rule-groups.json "{\"groupId\":$gid}" |
	    jq -e '.routeRuleGroups | length == 1 and .[0].unreleasedWeight == 5 and .[0].weight == null'
	[ "$(m /group/get-group-instances.json "{\"groupId\":$gid}" | jq -c .groupInstances)" = '[]' ]
	[ "$(m /log/group-instance-logs.json "{\"groupId\":$gid}" | jq -c .logs)" = '[]' ]
	# the group is published with no members: weight 5, instanceIds []
	eventually "[[\"canary-route-rule\",\"weighted-round-robin\",[[\"$s/sha/canary/app1\",5]]]]" rules $s

	run m /canary/update-canary-ips.json "{\"serviceId\":\"$s\",\"appId\":\"App1\",$CTX}"
	[ "$output" = "$(ise 'update canary ips')" ]

	# a good call: members set, each logged once (a repeated ip counts once)
	[ "$(m /canary/update-canary-ips.json "{\"serviceId\":\"$s\",\"appId\":\"App1\",\"canaryIps\":[\"a\",\"b\",\"a\"],$CTX}")" = "$OK" ]
	[ "$(m /group/get-group-instances.json "{\"groupId\":$gid}" | jq -c '[.groupInstances[].instanceId] | sort')" = '["a","b"]' ]
	[ "$(m /log/group-instance-logs.json "{\"groupId\":$gid}" | jq '.logs | length')" = 2 ]
	# an empty list removes every member
	[ "$(m /canary/update-canary-ips.json "{\"serviceId\":\"$s\",\"appId\":\"App1\",\"canaryIps\":[],$CTX}")" = "$OK" ]
	[ "$(m /group/get-group-instances.json "{\"groupId\":$gid}" | jq -c .groupInstances)" = '[]' ]
	[ "$(m /log/group-instance-logs.json "{\"groupId\":$gid}" | jq '.logs | length')" = 4 ]
	# a blank serviceId fails before anything is written
	run m /canary/update-canary-ips.json "{\"serviceId\":\"\",\"appId\":\"App1\",\"canaryIps\":[],$CTX}"
	[ "$output" = "$(ise 'update canary ips')" ]
	[ "$(canary_rule_of "")" = '[]' ]
}

# §1.3.3 "Existence of the rule or group is not checked", §1.3.6 "includes
# operations of deleted or unknown group ids"; tags and members likewise.
@test "unknown rule and group ids are stored as sent, and discovery ignores them" {
	[ "$(m /group/insert-route-rule-groups.json "{\"routeRuleGroups\":[{\"routeRuleId\":900001,\"groupId\":900002,\"unreleasedWeight\":7}],$CTX}")" = "$OK" ]
	m /group/get-all-route-rule-groups.json '{}' |
	    jq -e '[.routeRuleGroups[] | select(.routeRuleId == 900001 and .groupId == 900002 and .unreleasedWeight == 7)] | length == 1'
	[ "$(m /group/release-route-rule-groups.json "{\"routeRuleGroups\":[{\"routeRuleId\":900001,\"groupId\":900002}],$CTX}")" = "$OK" ]
	m /group/get-route-rule-groups.json '{"routeRuleId":900001}' | jq -e '.routeRuleGroups[0].weight == 7'

	[ "$(m /group/operate-group-operations.json "{\"groupOperationsList\":[{\"groupId\":900003,\"operations\":[\"pullout\"]}],\"operationComplete\":false,$CTX}")" = "$OK" ]
	m /group/get-all-group-operations.json '{}' |
	    jq -e '[.allGroupOperations[] | select(.groupId == 900003)] == [{"groupId":900003,"operations":["pullout"]}]'
	[ "$(m /group/get-group-operations.json '{"groupId":900003}' | jq -c .groupOperations)" = '{"groupId":900003,"operations":["pullout"]}' ]
	m /log/group-operation-logs.json '{"groupId":900003}' | jq -e '.logs | length == 1'

	[ "$(m /group/insert-group-tags.json '{"groupTagsList":[{"groupId":900004,"tags":{"k":"v"}}]}')" = "$OK" ]
	[ "$(m /group/get-group-tags.json '{"groupId":900004}' | jq -c .groupTags)" = '{"groupId":900004,"tags":{"k":"v"}}' ]

	[ "$(m /group/insert-group-instances.json "{\"groupInstances\":[{\"groupId\":900005,\"instanceId\":\"i-x\"}],$CTX}")" = "$OK" ]
	m /group/get-group-instances.json '{"groupId":900005}' | jq -e '.groupInstances | length == 1'

	# nothing of it reaches a registered service
	reg mc.unknown i1
	[ "$(lookup mc.unknown | jq -c '[(.instances | length), .routeRules]')" = '[1,[]]' ]

	# completing takes the operation away again
	[ "$(m /group/operate-group-operations.json "{\"groupOperationsList\":[{\"groupId\":900003,\"operations\":[\"pullout\"]}],\"operationComplete\":true,$CTX}")" = "$OK" ]
	[ "$(m /group/get-group-operations.json '{"groupId":900003}' | jq -c .groupOperations)" = null ]
}

# §7.2(d), §8.5, §1.3.6: a group operation takes down the instances whose path
# service/region/zone/groupId starts with the group's (case ignored), whatever
# the group's status; not its explicit members; not once the group is deleted.
# operate-group-operation finds the group among the groups that are not
# deleted and otherwise inserts it (reviving a deleted one, with its old id).
@test "group operations: path prefix, status ignored, explicit members untouched, deleted groups revived by operate-group-operation" {
	local s=mc.gop
	reg $s i1 10.2.0.1
	reg $s i2 10.2.0.2 Red
	reg $s i3 10.2.0.3 red other-zone
	reg $s i4 10.2.0.4 redder
	local body="{\"serviceId\":\"$s\",\"regionId\":\"SHA\",\"zoneId\":\"SHA-Z1\",\"name\":\"RED\",\"appId\":\"1\",\"status\":\"inactive\",\"operation\":\"pullout\",\"operationComplete\":%s,$CTX}"
	body=${body/\"operation\":\"op\",/}
	[ "$(m /group/operate-group-operation.json "$(printf "$body" false)")" = "$OK" ]
	gid=$(group_id $s red)
	[ "$gid" != null ]
	eventually '["i1","i3","i4"]' ids $s
	m /instance-down.json "{\"instance\":{\"regionId\":\"sha\",\"serviceId\":\"$s\",\"instanceId\":\"i2\",\"zoneId\":\"sha-z1\",\"groupId\":\"red\"}}" | jq -e '.down == true'
	# the implicit insert is not logged; the operation is, with its own name
	[ "$(m /log/group-logs.json "{\"serviceId\":\"$s\"}" | jq -c .logs)" = '[]' ]
	[ "$(m /log/group-operation-logs.json "{\"groupId\":$gid}" | jq -c '[.logs[] | [.operation, .complete]]')" = '[["pullout",false]]' ]
	# the management view marks instead of hiding
	[ "$(m /service.json "{\"serviceId\":\"$s\"}" | jq -c '[.service.instances[] | [.instanceId, .status]] | sort')" = '[["i1","up"],["i2","down"],["i3","up"],["i4","up"]]' ]

	# an explicit member is not taken down by its group's operation
	[ "$(m /group/insert-group-instances.json "{\"groupInstances\":[{\"groupId\":$gid,\"instanceId\":\"i1\"}],$CTX}")" = "$OK" ]
	eventually '["i1","i3","i4"]' ids $s

	# deleted: its operations no longer count, but are still listed
	[ "$(m /group/delete-groups.json "{\"groupIds\":[$gid],$CTX}")" = "$OK" ]
	eventually '["i1","i2","i3","i4"]' ids $s
	m /group/get-all-group-operations.json '{}' | jq -e --argjson g $gid \
	    '[.allGroupOperations[] | select(.groupId == $g)] == [{"groupId":$g,"operations":["pullout"]}]'

	# operate-group-operation does not see the deleted group: it inserts, which revives it
	[ "$(m /group/operate-group-operation.json "$(printf "$body" false)")" = "$OK" ]
	[ "$(group_id $s red)" = "$gid" ]
	eventually '["i1","i3","i4"]' ids $s

	[ "$(m /group/operate-group-operation.json "$(printf "$body" true)")" = "$OK" ]
	eventually '["i1","i2","i3","i4"]' ids $s
	[ "$(m /group/get-group-operations.json "{\"groupId\":$gid}" | jq -c .groupOperations)" = null ]
	[ "$(m /log/group-operation-logs.json "{\"groupId\":$gid,\"complete\":true}" | jq '.logs | length')" = 1 ]
}

# §3.4, §8.7, §8.8, §8.9: what discovery publishes in routeRules, the release
# model and fixWeight, and revival of soft-deleted rules and groups with their
# old ids, links and tags.
@test "route rules in discovery: publication rules, released weights, revival with old links" {
	local s=mc.rr g
	reg $s i1 10.3.0.1
	[ "$(m /group/insert-groups.json "{\"groups\":[
	    {\"serviceId\":\"$s\",\"regionId\":\"sha\",\"zoneId\":\"z\",\"name\":\"a\",\"appId\":\"1\",\"status\":\"Active\"},
	    {\"serviceId\":\"$s\",\"regionId\":\"sha\",\"zoneId\":\"z\",\"name\":\"b\",\"appId\":\"1\",\"status\":\"active\"},
	    {\"serviceId\":\"$s\",\"regionId\":\"sha\",\"zoneId\":\"z\",\"name\":\"c\",\"appId\":\"1\",\"status\":\"inactive\"}],$CTX}")" = "$OK" ]
	[ "$(m /group/insert-route-rules.json "{\"routeRules\":[
	    {\"serviceId\":\"$s\",\"name\":\"R1\",\"status\":\"ACTIVE\",\"strategy\":\"close-by-visit\"},
	    {\"serviceId\":\"$s\",\"name\":\"r2\",\"status\":\"active\",\"strategy\":\"weighted-round-robin\"},
	    {\"serviceId\":\"$s\",\"name\":\"r3\",\"status\":\"inactive\",\"strategy\":\"weighted-round-robin\"}],$CTX}")" = "$OK" ]
	local ga gb gc r1 r2 r3
	ga=$(group_id $s a); gb=$(group_id $s b); gc=$(group_id $s c)
	r1=$(rule_id $s R1); r2=$(rule_id $s r2); r3=$(rule_id $s r3)
	# weight in the body is ignored: only unreleasedWeight is stored
	[ "$(m /group/insert-route-rule-groups.json "{\"routeRuleGroups\":[
	    {\"routeRuleId\":$r1,\"groupId\":$ga,\"unreleasedWeight\":0,\"weight\":99},
	    {\"routeRuleId\":$r1,\"groupId\":$gb,\"unreleasedWeight\":20000},
	    {\"routeRuleId\":$r1,\"groupId\":$gc,\"unreleasedWeight\":30},
	    {\"routeRuleId\":$r2,\"groupId\":$gc,\"unreleasedWeight\":30},
	    {\"routeRuleId\":$r3,\"groupId\":$gb,\"unreleasedWeight\":30}],$CTX}")" = "$OK" ]
	m /group/get-route-rule-groups.json "{\"routeRuleId\":$r1,\"groupId\":$ga}" |
	    jq -e '.routeRuleGroups[0] | .unreleasedWeight == 0 and .weight == null'
	# unreleased: 5; the inactive group is dropped; r2 (no active group) and r3
	# (inactive) are not published; routeId is the rule's name
	eventually "[[\"R1\",\"close-by-visit\",[[\"$s/sha/z/a\",5],[\"$s/sha/z/b\",5]]]]" rules $s
	[ "$(m /group/release-route-rule-groups.json "{\"routeRuleGroups\":[{\"routeRuleId\":$r1,\"groupId\":$ga},{\"routeRuleId\":$r1,\"groupId\":$gb}],$CTX}")" = "$OK" ]
	eventually "[[\"R1\",\"close-by-visit\",[[\"$s/sha/z/a\",0],[\"$s/sha/z/b\",10000]]]]" rules $s
	[ "$(m /group/update-route-rule-groups.json "{\"routeRuleGroups\":[{\"routeRuleId\":$r1,\"groupId\":$ga,\"unreleasedWeight\":-3}],$CTX}")" = "$OK" ]
	[ "$(m /group/release-route-rule-groups.json "{\"routeRuleGroups\":[{\"routeRuleId\":$r1,\"groupId\":$ga}],$CTX}")" = "$OK" ]
	eventually "[[\"R1\",\"close-by-visit\",[[\"$s/sha/z/a\",5],[\"$s/sha/z/b\",10000]]]]" rules $s
	# the release log carries the request's (absent) weight
	m /log/route-rule-group-logs.json "{\"routeRuleId\":$r1,\"groupId\":$ga}" |
	    jq -e '[.logs[].weight] == [0, null, -3, null]'

	# tags and explicit members show in the published group
	[ "$(m /group/insert-group-tags.json "{\"groupTagsList\":[{\"groupId\":$gb,\"tags\":{\"env\":\"b\"}}]}")" = "$OK" ]
	[ "$(m /group/insert-group-instances.json "{\"groupInstances\":[{\"groupId\":$gb,\"instanceId\":\"i1\"}],$CTX}")" = "$OK" ]
	g=$(printf '{"groupKey":"%s/sha/z/b","instanceIds":["i1"],"instances":null,"metadata":{"env":"b"},"weight":10000}' $s)
	eventually "$g" eval "lookup $s | jq -c '.routeRules[0].groups[1]'"

	# deleting group b drops it; inserting it again revives it with its id, link, tags
	[ "$(m /group/delete-groups.json "{\"groupIds\":[$gb],$CTX}")" = "$OK" ]
	eventually "[[\"R1\",\"close-by-visit\",[[\"$s/sha/z/a\",5]]]]" rules $s
	[ "$(m /group/update-groups.json "{\"groups\":[{\"serviceId\":\"$s\",\"regionId\":\"sha\",\"zoneId\":\"z\",\"name\":\"b\",\"appId\":\"2\",\"status\":\"active\"}],$CTX}")" = "$OK" ]
	[ "$(group_id $s b)" = "$gb" ]
	eventually "$g" eval "lookup $s | jq -c '.routeRules[0].groups[1]'"

	# a deleted rule is not published and keeps its links; insert revives it
	[ "$(m /group/delete-route-rules.json "{\"routeRuleIds\":[$r1],$CTX}")" = "$OK" ]
	eventually '[]' rules $s
	[ "$(m /group/get-route-rules.json "{\"serviceId\":\"$s\",\"name\":\"R1\"}" | jq -c .routeRules)" = '[]' ]
	m /group/get-all-route-rule-groups.json '{}' | jq -e --argjson r $r1 '[.routeRuleGroups[] | select(.routeRuleId == $r)] | length == 3'
	[ "$(m /group/insert-route-rules.json "{\"routeRules\":[{\"serviceId\":\"$s\",\"name\":\"r1\",\"status\":\"active\",\"strategy\":\"weighted-round-robin\"}],$CTX}")" = "$OK" ]
	[ "$(rule_id $s R1)" = "$r1" ]
	eventually "[[\"R1\",\"weighted-round-robin\",[[\"$s/sha/z/a\",5],[\"$s/sha/z/b\",10000]]]]" rules $s
	# insert, delete, insert, delete: a second delete of a deleted rule logs nothing
	[ "$(m /group/delete-route-rules.json "{\"routeRuleIds\":[$r1],$CTX}")" = "$OK" ]
	[ "$(m /group/delete-route-rules.json "{\"routeRuleIds\":[$r1],$CTX}")" = "$OK" ]
	[ "$(m /log/route-rule-logs.json "{\"serviceId\":\"$s\",\"name\":\"r1\"}" | jq ".logs | length")" = 4 ]
}

# §1.3.8, §3.6, §7.1, §8.15, §8.16: logic instances are served with status up,
# management operations apply to them, they do not keep a service in
# services.json, and lookup.json and service.json differ for an unregistered service.
@test "logic instances: lookup versus service.json, operations apply, management views keep them" {
	local s=mc.logic li
	li="{\"serviceId\":\"$s\",\"instanceId\":\"logic-1\",\"url\":\"http://10.4.0.1/\",\"ip\":\"10.4.0.1\",\"machineName\":\"lm\",\"protocol\":\"http\",\"regionId\":\"sha\",\"zoneId\":\"sha-z1\",\"healthCheckUrl\":\"http://10.4.0.1/h\",\"groupId\":\"g\",\"metadata\":{\"k\":\"v\"},\"description\":\"d\"}"
	[ "$(m /group/insert-service-instances.json "{\"serviceInstances\":[$li],$CTX}")" = "$OK" ]
	local want='{"groupId":"g","healthCheckUrl":"http://10.4.0.1/h","instanceId":"logic-1","ip":"10.4.0.1","machineName":"lm","metadata":{"k":"v"},"port":0,"protocol":"http","regionId":"sha","serviceId":"mc.logic","status":"up","url":"http://10.4.0.1/","zoneId":"sha-z1"}'
	eventually "{\"instances\":[],\"logicInstances\":[$want],\"metadata\":null,\"routeRules\":[],\"serviceId\":\"$s\"}" lookup $s
	post_json "$DISC" /api/discovery/service.json "{\"discoveryConfig\":{\"serviceId\":\"$s\"},\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}" |
	    jq -e --arg s $s '.service == {"instances":null,"logicInstances":null,"metadata":null,"routeRules":null,"serviceId":$s}'
	m /service.json "{\"serviceId\":\"$s\"}" | jq -e --argjson w "$want" '.service.instances == null and .service.logicInstances == [$w]'
	post_json "$DISC" /api/discovery/services.json '{"regionId":"sha","zoneId":"sha-z1"}' |
	    jq -e --arg s $s '[.services[] | select(.serviceId == $s)] == []'
	m /group/get-service-instances.json "{\"serviceId\":\"$s\"}" |
	    jq -e '.serviceInstances[0] | .metadata == {"k":"v"} and .port == 0 and .description == "d"'
	m /log/service-instance-logs.json "{\"serviceId\":\"$s\"}" | jq -e '.logs[0].metadata == "{\"k\":\"v\"}"'

	# an instance operation hides it from discovery only
	[ "$(m /operate-instance.json "{\"instanceKey\":{\"regionId\":\"sha\",\"serviceId\":\"$s\",\"instanceId\":\"logic-1\"},\"operation\":\"p\",\"operationComplete\":false,\"operatorId\":\"a\",\"token\":\"t\"}")" = "$OK" ]
	eventually '[]' ids $s logicInstances
	m /service.json "{\"serviceId\":\"$s\"}" | jq -e '.service.logicInstances[0].status == "up"'
	[ "$(m /operate-instance.json "{\"instanceKey\":{\"regionId\":\"sha\",\"serviceId\":\"$s\",\"instanceId\":\"logic-1\"},\"operation\":\"p\",\"operationComplete\":true,\"operatorId\":\"a\",\"token\":\"t\"}")" = "$OK" ]
	eventually '["logic-1"]' ids $s logicInstances
	# so does a server operation on its ip
	[ "$(m /operate-server.json '{"serverKey":{"regionId":"sha","serverId":"10.4.0.1"},"operation":"p","operationComplete":false,"operatorId":"a","token":"t"}')" = "$OK" ]
	eventually '[]' ids $s logicInstances
	[ "$(m /operate-server.json '{"serverKey":{"regionId":"sha","serverId":"10.4.0.1"},"operation":"p","operationComplete":true,"operatorId":"a","token":"t"}')" = "$OK" ]
	eventually '["logic-1"]' ids $s logicInstances

	# upsert on (serviceId, instanceId); delete by id
	[ "$(m /group/insert-service-instances.json "{\"serviceInstances\":[${li/10.4.0.1\/\"/10.4.0.9/\"}],$CTX}")" = "$OK" ]
	m /group/get-service-instances.json "{\"serviceId\":\"$s\"}" | jq -e '.serviceInstances | length == 1 and .[0].url == "http://10.4.0.9/"'
	id=$(m /group/get-service-instances.json "{\"serviceId\":\"$s\"}" | jq '.serviceInstances[0].id')
	[ "$(m /group/delete-service-instances.json "{\"serviceInstanceIds\":[$id],$CTX}")" = "$OK" ]
	eventually '[]' ids $s logicInstances
	[ "$(m /log/service-instance-logs.json "{\"serviceId\":\"$s\"}" | jq '.logs | length')" = 3 ]
}

# §6.2, §7.3: a pull-out is pushed as delete, a re-registration while pulled out
# is not pushed, a group change arrives as reload, a pull-in as new.
@test "websocket: delete on pull-out, nothing for a pulled-out re-registration, reload for groups, new on pull-in" {
	local s=mc.ws
	reg $s i1 10.5.0.1
	reg $s i2 10.5.0.2
	python3 "$WS" "ws://127.0.0.1:$DISC_PORT/ws/discovery/instance-change" \
	    -s "{\"serviceId\":\"$s\"}" -n 3 -t 10 --ready "$TMP/ws.ready" > "$TMP/ws.out" 2>&1 &
	local ws=$! i
	for ((i = 0; i < 500; i++)); do [ -e "$TMP/ws.ready" ] && break; sleep 0.01; done
	[ -e "$TMP/ws.ready" ]
	local op="{\"instanceKey\":{\"regionId\":\"sha\",\"serviceId\":\"$s\",\"instanceId\":\"i1\"},\"operation\":\"p\",\"operationComplete\":%s,\"operatorId\":\"a\",\"token\":\"t\"}"
	[ "$(m /operate-instance.json "$(printf "$op" false)")" = "$OK" ]
	eventually '["i2"]' ids $s
	reg $s i1 10.5.0.11
	[ "$(m /group/operate-group-operations.json "{\"groupOperationsList\":[{\"groupId\":900101,\"operations\":[\"x\"]}],\"operationComplete\":false,$CTX}")" = "$OK" ]
	[ "$(m /canary/update-canary-ips.json "{\"serviceId\":\"$s\",\"appId\":\"app\",\"canaryIps\":[\"i2\"],$CTX}")" = "$OK" ]
	eventually '["canary-route-rule"]' eval "lookup $s | jq -c '[.routeRules[].routeId]'"
	[ "$(m /operate-instance.json "$(printf "$op" true)")" = "$OK" ]
	wait $ws
	cat "$TMP/ws.out"
	[ "$(jq -sc '[.[] | [.changeType, .instance.instanceId, .instance.ip]]' "$TMP/ws.out")" = \
	    '[["delete","i1","10.5.0.1"],["reload","reload","0.0.0.0"],["new","i1","10.5.0.11"]]' ]
}

# §1.4: the failure text is the fixed message followed directly by the
# exception's (Java's ValueCheckers in ZoneOperationDao); a start checks the key
# fields in Java's order, a completion only deletes; nothing is written on failure.
@test "zone operations: failure texts, checks of a start, completion of blank keys" {
	local s=mc.zone
	z() {	# KEY-JSON OPS-JSON COMPLETE
		m /zone/operate-zone-operations.json "{\"zoneOperationsList\":[{\"zoneKey\":$1,\"operations\":$2}],\"operationComplete\":$3,\"operatorId\":\"a\",\"token\":\"t\"}"
	}
	local zf='operate zone-operations failed.'
	[ "$(z "{\"regionId\":\" \",\"serviceId\":\" \",\"zoneId\":\"z\"}" '["x"]' false)" = "$(ise "${zf}argument zoneOperation.serviceId is null or whitespace")" ]
	[ "$(z "{\"regionId\":\" \",\"serviceId\":\"$s\",\"zoneId\":\"z\"}" '["x"]' false)" = "$(ise "${zf}argument zoneOperation.regionId is null or whitespace")" ]
	[ "$(z "{\"regionId\":\"sha\",\"serviceId\":\"$s\"}" '["x"]' false)" = "$(ise "${zf}argument zoneOperation.zoneId is null or whitespace")" ]
	[ "$(z "{\"regionId\":\"sha\",\"serviceId\":\"$s\",\"zoneId\":\"z\"}" '[" ",null]' false)" = "$(ise "${zf}argument models is null or empty")" ]
	[ "$(z "{\"regionId\":\"sha\",\"serviceId\":\"$s\",\"zoneId\":\"z\"}" '[]' true)" = "$(ise "${zf}argument group operations is null or empty")" ]
	[ "$(m /log/zone-operation-logs.json "{\"serviceId\":\"$s\"}" | jq -c .logs)" = '[]' ]
	# completing what was never started succeeds and is logged
	[ "$(z "{\"regionId\":\"sha\",\"serviceId\":\"$s\",\"zoneId\":\" \"}" '["x"]' true)" = "$OK" ]
	m /log/zone-operation-logs.json "{\"serviceId\":\"$s\"}" | jq -e '[.logs[] | [.zoneId, .operation, .complete]] == [[" ","x",true]]'
	# one service only, key case ignored; a second label keeps it down
	reg $s i1 10.6.0.1
	reg mc.zone2 j1 10.6.0.2
	[ "$(z "{\"regionId\":\"SHA\",\"serviceId\":\"$s\",\"zoneId\":\"SHA-Z1\"}" '["a","b"]' false)" = "$OK" ]
	eventually '[]' ids $s
	[ "$(ids mc.zone2)" = '["j1"]' ]
	[ "$(z "{\"regionId\":\"sha\",\"serviceId\":\"$s\",\"zoneId\":\"sha-z1\"}" '["A"]' true)" = "$OK" ]
	m /zone/get-zone-operations.json "{\"zoneKey\":{\"regionId\":\"sha\",\"serviceId\":\"$s\",\"zoneId\":\"sha-z1\"}}" | jq -e '.operations.operations == ["b"]'
	[ "$(ids $s)" = '[]' ]
	[ "$(z "{\"regionId\":\"sha\",\"serviceId\":\"$s\",\"zoneId\":\"sha-z1\"}" '["b"]' true)" = "$OK" ]
	eventually '["i1"]' ids $s
}

# §0.2: every property is read with its Java type, ignored ones too: a groupId
# that is not a number is Jackson's 400, and nothing is written.
@test "group writes: an ignored groupId of the wrong type is a 400" {
	local g='{"serviceId":"mc.types","regionId":"sha","zoneId":"z","name":"n","appId":"1","status":"active","groupId":"abc"}'
	m /group/insert-groups.json "{\"groups\":[$g],$CTX}" >/dev/null
	[ "$(last_status)" = 400 ]
	m /group/operate-group-operation.json "${g%\}},$CTX}" >/dev/null
	[ "$(last_status)" = 400 ]
	[ "$(m /group/get-groups.json '{"serviceId":"mc.types"}' | jq -c .groups)" = '[]' ]
	[ "$(m /group/insert-groups.json "{\"groups\":[${g/\"abc\"/\"12\"}],$CTX}")" = "$OK" ]
}
