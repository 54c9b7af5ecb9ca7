#!/usr/bin/env bats
# artemis-mgmtd: main flows and bad input. Every bad request must get the
# contract's answer and change nothing (checked through the logs and state).

load helpers

setup() {
	artemis_setup
	start_daemon artemis-mgmtd
	CTX='"operatorId":"alice","token":"tkn-1","operation":"test","reason":"r","extensions":"{}"'
	OK='{"responseStatus":{"errorCode":"success","message":"","status":"success"}}'
}

teardown() { artemis_teardown; }

m() { post_json "$MGMT" "/api/management$1" "$2"; }
ise() { printf '{"responseStatus":{"errorCode":"internal-service-error","message":"%s","status":"fail"}}' "$1"; }
bad() { printf '{"responseStatus":{"errorCode":"bad-request","message":"%s","status":"fail"}}' "$1"; }
op_body() { printf '{"instanceKey":{"regionId":"sha","serviceId":"demo","instanceId":"%s"},"operation":"%s","operationComplete":%s,"operatorId":"alice","token":"t"}' "$1" "$2" "$3"; }
nlogs() { m "/log/$1-logs.json" '{}' | jq '.logs | length'; }

# transcript FILE — replay "METHOD PATH [BODY]" lines against mgmtd and print each
# request and its status and body, with log times and view versions zeroed (they are the clock).
transcript() {
	local method path body out
	while IFS= read -r line; do
		[[ -z "$line" || "$line" == '#'* ]] && continue
		method=${line%% *}; line=${line#* }
		path=${line%% *}; body=
		[[ "$line" == *' '* ]] && body=${line#* }
		if [ "$method" = GET ]; then
			out=$(get_json "$MGMT" "/api/management$path")
		else
			out=$(post_json "$MGMT" "/api/management$path" "$body")
		fi
		printf '> %s %s %s\n< %s %s\n' "$method" "$path" "$body" "$(last_status)" "$out"
	done < "$1" | sed -E 's/"(createTime|updateTime|version)":[0-9]+/"\1":0/g'
}

@test "pull-out, state queries, logs, pull-in" {
	[ "$(m /operate-instance.json "$(op_body inst-1 pullout false)")" = "$OK" ]
	run m /instance-operations.json '{"instanceKey":{"regionId":"SHA","serviceId":"DEMO","instanceId":"INST-1"}}'
	[ "$(echo "$output" | jq -c .operations)" = '{"instanceKey":{"instanceId":"inst-1","regionId":"sha","serviceId":"demo"},"operations":["pullout"]}' ]
	run m /instance-down.json '{"instance":{"regionId":"sha","serviceId":"demo","instanceId":"inst-1"}}'
	[ "$(echo "$output" | jq .down)" = true ]
	[ "$(m /operate-instance.json "$(op_body inst-1 pullout true)")" = "$OK" ]
	run m /instance-down.json '{"instance":{"regionId":"sha","serviceId":"demo","instanceId":"inst-1"}}'
	[ "$(echo "$output" | jq .down)" = false ]
	run m /log/instance-operation-logs.json '{"instanceId":"inst-1","complete":true}'
	[ "$(echo "$output" | jq '.logs | length')" = 1 ]
	run get_json "$MGMT" "/api/management/all-instance-operations.json?regionId=sha"
	[ "$(echo "$output" | jq -c .allInstanceOperations)" = '[]' ]
}

@test "operate-instance validation changes nothing" {
	run m /operate-instance.json '{"instanceKey":{"regionId":"sha","serviceId":"demo","instanceId":"i"},"operation":"x"}'
	[ "$output" = "$(bad 'operatorId is null or empty')" ]
	run m /operate-instance.json '{"instanceKey":{"regionId":"sha","serviceId":"demo","instanceId":"  "},"operation":"x","operatorId":"a"}'
	[ "$output" = "$(bad 'instanceId is null or empty')" ]
	run m /operate-instance.json '{"operation":"x","operatorId":"a"}'
	[ "$output" = "$(bad 'request.instanceKey is null')" ]
	run m /operate-server.json '{"serverKey":{"regionId":"sha"},"operation":"x","operatorId":"a"}'
	[ "$output" = "$(bad 'serverId is null or empty')" ]
	long=$(printf 'x%.0s' $(seq 300))
	run m /operate-instance.json "$(op_body "$long" pullout false)"
	[ "$output" = "$(ise 'Update instance failed.')" ]
	[ "$(nlogs instance-operation)" = 0 ]
	[ "$(nlogs server-operation)" = 0 ]
}

@test "malformed JSON, wrong content type, wrong method" {
	m /group/get-groups.json '{bad' >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	m /operate-instance.json 'null' >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	m /operate-instance.json '' >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	m /operate-instance.json '{"instanceKey":[1]}' >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
		--data-binary '{}' "$MGMT/api/management/zone/is-zone-down.json")
	[ "$code" = 415 ]
	get_json "$MGMT" /api/management/operate-instance.json >/dev/null
	[ "$HTTP_STATUS" = 405 ]
	[ "$(nlogs instance-operation)" = 0 ]
}

@test "groups, route rules, release, weights" {
	[ "$(m /group/insert-groups.json '{"groups":[{"serviceId":"demo","regionId":"sha","zoneId":"z","name":"blue","appId":"1","status":"active"}],'"$CTX"'}')" = "$OK" ]
	[ "$(m /group/insert-route-rules.json '{"routeRules":[{"serviceId":"demo","name":"r","status":"active","strategy":"weighted-round-robin"}],'"$CTX"'}')" = "$OK" ]
	gid=$(m /group/get-groups.json '{"serviceId":"demo"}' | jq '.groups[0].groupId')
	rid=$(m /group/get-route-rules.json '{"serviceId":"demo"}' | jq '.routeRules[0].routeRuleId')
	[ "$(m /group/insert-route-rule-groups.json '{"routeRuleGroups":[{"routeRuleId":'"$rid"',"groupId":'"$gid"',"unreleasedWeight":40}],'"$CTX"'}')" = "$OK" ]
	run m /service.json '{"serviceId":"demo"}'
	[ "$(echo "$output" | jq '.service.routeRules[0].groups[0].weight')" = 5 ]
	[ "$(m /group/release-route-rule-groups.json '{"routeRuleGroups":[{"routeRuleId":'"$rid"',"groupId":'"$gid"'}],'"$CTX"'}')" = "$OK" ]
	run m /service.json '{"serviceId":"demo"}'
	[ "$(echo "$output" | jq '.service.routeRules[0].groups[0].weight')" = 40 ]
	[ "$(echo "$output" | jq -r '.groups[0].groupKey')" = demo/sha/z/blue ]
}

@test "group writes: bad input is internal-service-error and changes nothing" {
	run m /group/insert-groups.json '{"groups":[{"serviceId":"demo","regionId":"sha","zoneId":"z","name":"blue","appId":"1","status":"active"}],"operatorId":"a"}'
	[ "$output" = "$(ise 'insert groups failed.')" ]
	run m /group/insert-groups.json '{"groups":[],'"$CTX"'}'
	[ "$output" = "$(ise 'insert groups failed.')" ]
	run m /group/insert-groups.json '{"groups":[{"serviceId":"demo","regionId":"sha","zoneId":"z","name":" ","appId":"1","status":"active"}],'"$CTX"'}'
	[ "$output" = "$(ise 'insert groups failed.')" ]
	run m /group/insert-groups.json '{"groups":[{"serviceId":"demo","regionId":"sha","zoneId":"z","name":"ok","appId":"1","status":"active"},{"serviceId":"demo","regionId":"sha","zoneId":"z","name":"'"$(printf 'x%.0s' $(seq 300))"'","appId":"1","status":"active"}],'"$CTX"'}'
	[ "$output" = "$(ise 'insert groups failed.')" ]
	run m /group/insert-groups.json '{"groups":[{"serviceId":"demo","regionId":"sha","zoneId":"z","name":"b","appId":"1","status":"active"}],"operatorId":"a","token":"t","operation":"o","extensions":null}'
	[ "$output" = "$(ise 'insert groups failed.')" ]
	[ "$(m /group/get-all-groups.json '{}' | jq '.groups | length')" = 0 ]
	[ "$(nlogs group)" = 0 ]
	run m /group/insert-route-rule-groups.json '{"routeRuleGroups":[{"routeRuleId":77}],'"$CTX"'}'
	[ "$output" = "$(ise 'insert route-rule-groups failed.')" ]
	m /group/insert-route-rule-groups.json '{"routeRuleGroups":[{"routeRuleId":1,"groupId":1,"unreleasedWeight":99999999999}],'"$CTX"'}' >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	run m /group/insert-group-tags.json '{"groupTagsList":[{"groupId":5,"tags":{" ":"b"}}]}'
	[ "$output" = "$(ise 'insert group tag failed.')" ]
	run m /group/delete-group-tags.json '{}'
	[ "$output" = "$(ise 'delete group-tags failed.')" ]
	run m /group/delete-groups.json '{"groupIds":[],'"$CTX"'}'
	[ "$output" = "$(ise 'delete group failed.')" ]
	[ "$(m /group/delete-groups.json '{"groupIds":[12345],'"$CTX"'}')" = "$OK" ]
	run m /group/insert-service-instances.json '{"serviceInstances":[{"serviceId":"demo","instanceId":"l","url":"u","ip":"i","machineName":"m","protocol":"http","regionId":"a-region-id-longer-than-16","zoneId":"z","healthCheckUrl":"h","groupId":"g","metadata":{}}],'"$CTX"'}'
	[ "$output" = "$(ise 'insert service instances failed.')" ]
	[ "$(m /group/get-all-route-rule-groups.json '{}' | jq '.routeRuleGroups | length')" = 0 ]
	[ "$(nlogs route-rule-group)" = 0 ]
	[ "$(nlogs service-instance)" = 0 ]
	[ "$(nlogs group-instance)" = 0 ]
}

@test "zone operations and is-zone-down" {
	body='{"zoneOperationsList":[{"zoneKey":{"regionId":"sha","serviceId":"demo","zoneId":"z1"},"operations":["zone-down"]}],"operationComplete":false,"operatorId":"alice","token":"t"}'
	[ "$(m /zone/operate-zone-operations.json "$body")" = "$OK" ]
	[ "$(m /zone/is-zone-down.json '{"zoneKey":{"regionId":"SHA","serviceId":"demo","zoneId":"Z1"}}' | jq .down)" = true ]
	run m /zone/operate-zone-operations.json '{"zoneOperationsList":[],"operatorId":"a","token":"t"}'
	[ "$(echo "$output" | jq -r .responseStatus.errorCode)" = internal-service-error ]
	[ "$(nlogs zone-operation)" = 1 ]
}

@test "canary creates rule, group and members in one transaction" {
	[ "$(m /canary/update-canary-ips.json '{"serviceId":"demo","appId":"app","canaryIps":["i-1","i-2"],'"$CTX"'}')" = "$OK" ]
	run m /service.json '{"serviceId":"demo"}'
	[ "$(echo "$output" | jq -r '.service.routeRules[0].routeId')" = canary-route-rule ]
	[ "$(echo "$output" | jq -c '.service.routeRules[0].groups[0].instanceIds')" = '["i-1","i-2"]' ]
	[ "$(m /canary/update-canary-ips.json '{"serviceId":"demo","appId":"app","canaryIps":["i-2"],'"$CTX"'}')" = "$OK" ]
	[ "$(nlogs group-instance)" = 3 ]
}

@test "writes survive SIGKILL and the DB passes integrity_check" {
	for i in $(seq 1 20); do
		[ "$(m /operate-instance.json "$(op_body "k-$i" pullout false)")" = "$OK" ]
	done
	stop_daemon artemis-mgmtd KILL || true
	[ "$(sqlite3 "$STATE/management.db" 'PRAGMA integrity_check')" = ok ]
	[ "$(sqlite3 "$STATE/management.db" 'SELECT count(*) FROM instance')" = 20 ]
	start_daemon artemis-mgmtd
	[ "$(nlogs instance-operation)" = 20 ]
}

@test "node not up: writes refused, reads served" {
	stop_daemon artemis-mgmtd
	artemis_config
	sed -i 's/^force-up = .*/force-up = false/' "$CONF"
	start_daemon artemis-mgmtd
	run m /operate-instance.json "$(op_body i pullout false)"
	[ "$(echo "$output" | jq -r .responseStatus.errorCode)" = service-unavailable ]
	[[ "$(echo "$output" | jq -r .responseStatus.message)" == "Serivce is not in up state."* ]]
	[ "$(m /instance-operations.json '{"instanceKey":{"regionId":"sha","serviceId":"d","instanceId":"i"}}' | jq -r .responseStatus.status)" = success ]
}

# Every endpoint family, success and failure paths: the full status and body of
# each answer must stay byte-identical (a refactor must not move a byte). After a
# deliberate wire change, regenerate with MGMTD_GOLDEN_UPDATE=1 and review the diff.
@test "golden transcript: full bodies of every endpoint family" {
	local dir="$REPO/test/fixtures/mgmtd"
	transcript "$dir/transcript.req" > "$TMP/transcript.out"
	if [ -n "${MGMTD_GOLDEN_UPDATE:-}" ]; then
		cp "$TMP/transcript.out" "$dir/transcript.golden"
	fi
	diff -u "$dir/transcript.golden" "$TMP/transcript.out"
}
