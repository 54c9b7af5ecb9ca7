#!/usr/bin/env bats
# Discovery audit (session 5): places where discoveryd differed from the contract as
# a Java client or an operator sees it (spec/core-contract.md §5.4-§5.10, §7, §10).
# Each test failed before its fix.

load helpers

setup() {
	[ -x "$BIN/artemis-registryd" ] || skip "artemis-registryd not built yet"
	artemis_setup
}
teardown() { [ -n "$TMP" ] && artemis_teardown; }

service_get() { get_json "$DISC" "/api/discovery/service.json?$1"; }
has_instance() { service_get "serviceId=$1&regionId=sha&zoneId=sha-z1" | jq -e '.service.instances | length > 0'; }

@test "service.json GET binds its parameters as Spring does: exact-case names, no value is blank, repeats joined (§5.5)" {
	ALLOW_OTHER_ZONE=false artemis_config
	start_both
	register svc.q i-1
	wait_until has_instance svc.q
	# parameter names are case-sensitive: serviceid is not serviceId (400),
	# REGIONID is not regionId (region missing: no-permission)
	service_get "serviceid=svc.q&regionId=sha&zoneId=sha-z1" >/dev/null
	[ "$(last_status)" = 400 ]
	run service_get "serviceId=svc.q&REGIONID=sha&zoneId=sha-z1"
	[ "$output" = '{"responseStatus":{"errorCode":"no-permission","message":"regionId is not the same as the registry node. regionId: null, registry node.regionId: sha","status":"fail"},"service":null}' ]
	run service_get "serviceId=svc.q&regionId=sha&ZoneId=sha-z1"
	echo "$output" | jq -e '.responseStatus.message == "zoneId is not the same as the registry node. zoneId: null, registry node.zoneId: sha-z1"'
	# a parameter without '=' is present and blank (Tomcat): bad-request, not 400
	run service_get "serviceId&regionId=sha&zoneId=sha-z1"
	[ "$(last_status)" = 200 ]
	[ "$output" = '{"responseStatus":{"errorCode":"bad-request","message":"Request is null or request.discoveryConfig is null.","status":"fail"},"service":null}' ]
	# a repeated String parameter is joined with ',' (so it names no region)
	run service_get "serviceId=svc.q&regionId=sha&regionId=sha&zoneId=sha-z1"
	echo "$output" | jq -e '.responseStatus.message == "regionId is not the same as the registry node. regionId: sha,sha, registry node.regionId: sha"'
	run service_get "serviceId=svc.q&serviceId=x&regionId=sha&zoneId=sha-z1"
	echo "$output" | jq -e '.responseStatus.status == "success" and .service.serviceId == "svc.q,x" and .service.instances == null'
	# the ordinary form still works
	run service_get "serviceId=svc.q&regionId=SHA&zoneId=SHA-Z1"
	echo "$output" | jq -e '.service.instances[0].instanceId == "i-1"'
}

@test "up-*-nodes.json GET: parameter names are case-sensitive and repeats joined (§5.8)" {
	ALLOW_OTHER_ZONE=false artemis_config
	start_both
	local kind
	for kind in registry discovery; do
		run get_json "$DISC" "/api/cluster/up-$kind-nodes.json?regionId=sha&zoneId=sha-z1"
		echo "$output" | jq -e '.responseStatus.status == "success" and (.nodes | length) == 1'
		# REGIONID/ZONEID bind nothing: null never matches the node's zone
		run get_json "$DISC" "/api/cluster/up-$kind-nodes.json?REGIONID=sha&ZONEID=sha-z1"
		[ "$output" = '{"nodes":null,"responseStatus":{"errorCode":"data-not-found","message":"No available service nodes.","status":"fail"}}' ]
		run get_json "$DISC" "/api/cluster/up-$kind-nodes.json?regionId=sha&zoneId=sha-z1&zoneId=sha-z1"
		echo "$output" | jq -e '.nodes == null and .responseStatus.errorCode == "data-not-found"'
	done
}

@test "a UTF-8 byte order mark before a request body is skipped, as Jackson does on HTTP (§1.2)" {
	start_both
	register svc.bom i-1
	wait_until has_instance svc.bom
	bom() { printf '\357\273\277%s' "$1"; }
	run sh -c "$(declare -f bom); bom '{\"discoveryConfigs\":[{\"serviceId\":\"svc.bom\"}],\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}' |
	    curl -sS -H 'Content-Type: application/json' --data-binary @- $DISC/api/discovery/lookup.json"
	echo "$output" | jq -e '.services[0].instances[0].instanceId == "i-1"'
	run sh -c "$(declare -f bom); bom '{\"discoveryConfig\":{\"serviceId\":\"svc.bom\"},\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}' | gzip |
	    curl -sS -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary @- $DISC/api/discovery/service.json"
	echo "$output" | jq -e '.service.instances[0].instanceId == "i-1"'
	run sh -c "$(declare -f bom); bom '{\"version\":0}' |
	    curl -sS -H 'Content-Type: application/json' --data-binary @- $DISC/api/discovery/services-delta.json"
	echo "$output" | jq -e '.responseStatus.errorCode == "data-not-found"'
	run sh -c "$(declare -f bom); bom '{}' |
	    curl -sS -H 'Content-Type: application/json' --data-binary @- $DISC/api/status/node.json"
	echo "$output" | jq -e '.nodeStatus.status == "up"'
	# a BOM and nothing else is still an empty body
	run sh -c "$(declare -f bom); bom '' |
	    curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @- $DISC/api/discovery/services.json"
	[ "$output" = 400 ]
}

@test "a DiscoveryConfig given as a JSON string is its serviceId, as Jackson's DiscoveryConfig(String) creator (§5.4, §5.5, §8.3)" {
	start_both
	register svc.str i-1
	wait_until has_instance svc.str
	run post_json "$DISC" /api/discovery/lookup.json '{"discoveryConfigs":["svc.str",""," "],"regionId":"sha","zoneId":"sha-z1"}'
	[ "$(last_status)" = 200 ]
	echo "$output" | jq -e '.responseStatus.status == "success" and .services[0].instances[0].instanceId == "i-1"'
	echo "$output" | jq -e '.services[1] == {"instances":null,"logicInstances":null,"metadata":null,"routeRules":null,"serviceId":""}'
	echo "$output" | jq -e '.services[2].serviceId == " " and .services[2].instances == null'
	run post_json "$DISC" /api/discovery/service.json '{"discoveryConfig":"svc.str","regionId":"sha","zoneId":"sha-z1"}'
	echo "$output" | jq -e '.responseStatus.status == "success" and .service.instances[0].instanceId == "i-1"'
	run post_json "$DISC" /api/discovery/service.json '{"discoveryConfig":"","regionId":"sha","zoneId":"sha-z1"}'
	echo "$output" | jq -e '.responseStatus.errorCode == "bad-request" and .service == null'
	# numbers and booleans have no creator: 400
	post_json "$DISC" /api/discovery/lookup.json '{"discoveryConfigs":[5],"regionId":"sha"}' >/dev/null
	[ "$(last_status)" = 400 ]
	post_json "$DISC" /api/discovery/service.json '{"discoveryConfig":true,"regionId":"sha"}' >/dev/null
	[ "$(last_status)" = 400 ]
	# the same on the instance-change WebSocket (caravan's mapper): a string subscribes
	python3 "$BATS_TEST_DIRNAME/wsclient.py" "ws://127.0.0.1:$DISC_PORT/ws/discovery/instance-change" \
	    -s '"svc.str"' --ready "$TMP/ready" -n 1 -t 5 > "$TMP/ws" 2>&1 &
	local pid=$! k
	for ((k = 0; k < 300; k++)); do [ -e "$TMP/ready" ] && break; sleep 0.01; done
	register svc.str i-2
	wait "$pid"
	jq -e '.changeType == "new" and .instance.instanceId == "i-2"' "$TMP/ws"
}

leases_of() {	# leases_of GET-QUERY | -d BODY -> "count:keys"
	local out
	if [ "$1" = -d ]; then
		out=$(post_json "$DISC" /api/status/leases.json "$2")
	else
		out=$(get_json "$DISC" "/api/status/leases.json?$1")
	fi
	echo "$out" | jq -r '"\(.leaseCount):\(.leases // {} | keys | join(","))"'
}

@test "leases.json takes its service list as Java receives it: as sent in JSON, split and trimmed only from one ?appIds= (§5.9, §10.3)" {
	LEASE_TTL=60s artemis_config
	start_both
	register s.a i-1
	register s.b i-1
	wait_until has_instance s.b
	# JSON: each element is an id as it is; only an empty or absent list means all
	[ "$(leases_of -d '{"serviceIds":[]}')" = "2:s.a,s.b" ]
	[ "$(leases_of -d '{"serviceIds":[""]}')" = "0:" ]
	[ "$(leases_of -d '{"serviceIds":[" s.a "]}')" = "0:" ]
	[ "$(leases_of -d '{"serviceIds":["s.b"]}')" = "1:s.b" ]
	# a null element makes Java's lookup throw; a container element is no String
	run post_json "$DISC" /api/status/leases.json '{"serviceIds":["s.a",null]}'
	[ "$output" = '{"isSafe":false,"isSafeCheckEnabled":false,"leaseCount":0,"leaseUpdateCountLastTimeWindow":0,"leaseUpdateMaxCount":0,"leaseUpdateMaxCountLastUpdateTime":0,"leases":null,"responseStatus":{"errorCode":"internal-service-error","message":null,"status":"fail"}}' ]
	post_json "$DISC" /api/status/legacy-leases.json '{"serviceIds":[{}]}' >/dev/null
	[ "$(last_status)" = 400 ]
	# one ?appIds= is split at commas and trimmed; blanks find nothing
	[ "$(leases_of 'appIds=')" = "2:s.a,s.b" ]
	[ "$(leases_of 'appIds=%20')" = "0:" ]
	[ "$(leases_of 'appIds=s.a,%20s.b%20')" = "2:s.a,s.b" ]
	# repeated, each value is one element, not split or trimmed
	[ "$(leases_of 'appIds=s.a&appIds=%20s.b')" = "1:s.a" ]
	[ "$(leases_of 'appIds=s.a,s.b&appIds=s.b')" = "1:s.b" ]
}

@test "services-delta.json: a version beyond a Java long is a 400, as Jackson's, not an unknown version (§5.7)" {
	start_both
	local v
	for v in 9223372036854775808 18446744073709551615 99999999999999999999; do
		post_json "$DISC" /api/discovery/services-delta.json "{\"version\":$v}" >/dev/null
		[ "$(last_status)" = 400 ]
	done
	run post_json "$DISC" /api/discovery/services-delta.json '{"version":9223372036854775807}'
	echo "$output" | jq -e '.responseStatus.errorCode == "data-not-found"'
	run post_json "$DISC" /api/discovery/services-delta.json '{"version":"9223372036854775807"}'
	echo "$output" | jq -e '.responseStatus.errorCode == "data-not-found"'
}
