#!/usr/bin/env bats
# Management audit (session 5): places where mgmtd or discoveryd's management
# side differed from the Java server (spec/management-contract.md and the Java
# reference it describes). One daemon set for the file; each test uses its own
# service and group ids.

load helpers

WS=$BATS_TEST_DIRNAME/wsclient.py

setup_file() {
	local d
	for d in artemis-registryd artemis-discoveryd artemis-mgmtd; do
		[ -x "$BIN/$d" ] || skip "$d not built yet"
	done
	LEASE_TTL=120s artemis_setup
	LEASE_TTL=120s artemis_config
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	start_daemon artemis-mgmtd
	export TMP STATE CONF REG DISC MGMT REG_PORT DISC_PORT MGMT_PORT REPL_PORT REPL
}

teardown_file() { [ -n "$TMP" ] && artemis_teardown; }

CTX='"operatorId":"alice","token":"tkn-1","operation":"op","reason":"r","extensions":"{}"'
OK='{"responseStatus":{"errorCode":"success","message":"","status":"success"}}'

m() { post_json "$MGMT" "/api/management$1" "$2"; }
ise() { printf '{"responseStatus":{"errorCode":"internal-service-error","message":"%s","status":"fail"}}' "$1"; }

tags_of() {	# GROUP-ID — its tags, or null
	m /group/get-group-tags.json "{\"groupId\":$1}" | jq -c '.groupTags.tags'
}

# §1.3.5 and Java's GroupTagsUtil: a null element of groupTagsList and an element
# without groupId contribute nothing, like blank tags; the call fails only when
# nothing at all is left to store.
@test "group tags: null elements and elements without groupId are skipped" {
	[ "$(m /group/insert-group-tags.json '{"groupTagsList":[{"groupId":800001,"tags":{"a":"1"}},{"tags":{"c":"d"}}]}')" = "$OK" ]
	[ "$(tags_of 800001)" = '{"a":"1"}' ]
	[ "$(m /group/update-group-tags.json '{"groupTagsList":[null,{"groupId":800002,"tags":{"b":"2"}},{"groupId":null,"tags":{"e":"f"}}]}')" = "$OK" ]
	[ "$(tags_of 800002)" = '{"b":"2"}' ]
	# nothing left: the endpoint's failure, nothing stored
	[ "$(m /group/insert-group-tags.json '{"groupTagsList":[{"tags":{"x":"y"}}]}')" = "$(ise 'insert group tag failed.')" ]
	[ "$(m /group/update-group-tags.json '{"groupTagsList":[null]}')" = "$(ise 'update group tag failed.')" ]
	[ "$(m /group/get-all-group-tags.json '{}' | jq -c '[.allGroupTags[].groupId]')" = '[800001,800002]' ]
}

# §6.2: ManagementRepository computes instance changes for logic instances too,
# and answers any of them with one RELOAD of the service (never delete/new). An
# instance operation on a logic instance, and a server operation on its IP, take
# it out of lookup's logicInstances: subscribers get a reload each way.
@test "websocket: instance and server operations on a logic instance push reload" {
	local s=audit.logic
	post_json "$REG" /api/registry/register.json "{\"instances\":[{\"regionId\":\"sha\",\"zoneId\":\"sha-z1\",\"serviceId\":\"$s\",\"instanceId\":\"p1\",\"ip\":\"10.7.0.1\",\"port\":80,\"url\":\"http://10.7.0.1/\",\"status\":\"up\"}]}" |
	    jq -e '.responseStatus.status == "success"'
	[ "$(m /group/insert-service-instances.json "{\"serviceInstances\":[{\"serviceId\":\"$s\",\"instanceId\":\"l1\",\"url\":\"http://10.7.9.9/\",\"ip\":\"10.7.9.9\",\"machineName\":\"m\",\"protocol\":\"http\",\"regionId\":\"sha\",\"zoneId\":\"sha-z1\",\"healthCheckUrl\":\"h\",\"groupId\":\"g\",\"metadata\":{}}],$CTX}")" = "$OK" ]
	logic() {
		post_json "$DISC" /api/discovery/lookup.json \
		    "{\"discoveryConfigs\":[{\"serviceId\":\"$s\"}],\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}" |
		    jq -c '[.services[0].logicInstances[].instanceId]'
	}
	wait_until eval '[ "$(logic)" = "[\"l1\"]" ]'
	python3 "$WS" "ws://127.0.0.1:$DISC_PORT/ws/discovery/instance-change" \
	    -s "{\"serviceId\":\"$s\"}" -n 4 -t 10 --ready "$TMP/logic.ready" > "$TMP/logic.out" 2>&1 &
	local ws=$! i
	for ((i = 0; i < 500; i++)); do [ -e "$TMP/logic.ready" ] && break; sleep 0.01; done
	[ -e "$TMP/logic.ready" ]
	local op="{\"instanceKey\":{\"regionId\":\"sha\",\"serviceId\":\"$s\",\"instanceId\":\"l1\"},\"operation\":\"p\",\"operationComplete\":%s,\"operatorId\":\"a\",\"token\":\"t\"}"
	local sop="{\"serverKey\":{\"regionId\":\"sha\",\"serverId\":\"10.7.9.9\"},\"operation\":\"p\",\"operationComplete\":%s,\"operatorId\":\"a\",\"token\":\"t\"}"
	[ "$(m /operate-instance.json "$(printf "$op" false)")" = "$OK" ]
	wait_until eval '[ "$(logic)" = "[]" ]'
	[ "$(m /operate-instance.json "$(printf "$op" true)")" = "$OK" ]
	wait_until eval '[ "$(logic)" = "[\"l1\"]" ]'
	[ "$(m /operate-server.json "$(printf "$sop" false)")" = "$OK" ]
	wait_until eval '[ "$(logic)" = "[]" ]'
	[ "$(m /operate-server.json "$(printf "$sop" true)")" = "$OK" ]
	wait_until eval '[ "$(logic)" = "[\"l1\"]" ]'
	wait $ws || true
	cat "$TMP/logic.out"
	[ "$(jq -sc '[.[] | [.changeType, .instance.instanceId, .instance.serviceId]]' "$TMP/logic.out")" = \
	    "[[\"reload\",\"reload\",\"$s\"],[\"reload\",\"reload\",\"$s\"],[\"reload\",\"reload\",\"$s\"],[\"reload\",\"reload\",\"$s\"]]" ]
}
