#!/usr/bin/env bats
# artemis-discoveryd: lookup, service(s), versioned cache and deltas, WebSocket push,
# warm start, expiry, bad input. Needs artemis-registryd (the table's writer).

load helpers

WS=$BATS_TEST_DIRNAME/wsclient.py

setup() {
	[ -x "$BIN/artemis-registryd" ] || skip "artemis-registryd not built yet"
	artemis_setup
}
teardown() { [ -n "$TMP" ] && artemis_teardown; }

unregister() {
	post_json "$REG" /api/registry/unregister.json "{\"instances\":[$(instance "$1" "$2")]}" >/dev/null
}

lookup() {	# lookup SVC... -> body
	local cfgs="" s
	for s in "$@"; do cfgs="$cfgs${cfgs:+,}{\"serviceId\":\"$s\"}"; done
	post_json "$DISC" /api/discovery/lookup.json \
	    "{\"discoveryConfigs\":[$cfgs],\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}"
}

ids_of() {	# ids_of SVC -> sorted instance ids from lookup
	lookup "$1" | jq -r '.services[0].instances // [] | map(.instanceId) | sort | join(",")'
}

has_ids() { [ "$(ids_of "$1")" = "$2" ]; }

ws_url() { echo "ws://127.0.0.1:$DISC_PORT$1"; }

# subscribe OUT READY ARGS... — background wsclient; waits until the subscription
# frames were processed (the server answered a ping sent after them)
ws_bg() {
	local out=$1 ready=$2; shift 2
	python3 "$WS" "$@" --ready "$ready" > "$out" 2>&1 &
	WS_PID=$!
	local i
	# up to 15 s: a python start takes seconds on a loaded machine under ASan
	for ((i = 0; i < 1500; i++)); do [ -e "$ready" ] && return 0; sleep 0.01; done
	echo "wsclient not ready" >&2; cat "$out" >&2; return 1
}

@test "lookup returns registered instances in the Java shape" {
	start_both
	register svc.a i-1 i-2
	wait_until has_ids svc.a "i-1,i-2"
	run lookup svc.a
	echo "$output" | jq -e '.responseStatus == {"errorCode":"success","message":"","status":"success"}'
	echo "$output" | jq -e '.services[0] | .logicInstances == [] and .routeRules == [] and .metadata == null and .serviceId == "svc.a"'
	echo "$output" | jq -e --argjson i "$(instance svc.a i-1)" '.services[0].instances[0] | .instanceId == "i-1" and .url == $i.url'
	# compact, sorted keys: the raw body starts exactly like Java's
	[[ "$output" == '{"responseStatus":{"errorCode":"success","message":"","status":"success"},"services":[{"instances":[{"groupId":null,'* ]]
	# gzip-encoded request and response, as the Java client does
	run sh -c "printf '%s' '{\"discoveryConfigs\":[{\"serviceId\":\"svc.a\"}],\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}' | gzip |
	    curl -sS --compressed -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary @- $DISC/api/discovery/lookup.json"
	echo "$output" | jq -e '.services[0].instances | length == 2'
}

@test "lookup keeps order; unknown, blank and wrong-region configs get placeholders" {
	start_both
	register svc.a i-1
	wait_until has_ids svc.a i-1
	run post_json "$DISC" /api/discovery/lookup.json \
	    '{"discoveryConfigs":[{"serviceId":"svc.nope"},{"serviceId":"svc.a"},{"serviceId":"  "},{}],"regionId":"SHA","zoneId":"sha-z1"}'
	echo "$output" | jq -e '[.services[].serviceId] == ["svc.nope","svc.a","  ",null]'
	echo "$output" | jq -e '.services[0] == {"instances":[],"logicInstances":[],"metadata":null,"routeRules":[],"serviceId":"svc.nope"}'
	echo "$output" | jq -e '.services[2] == {"instances":null,"logicInstances":null,"metadata":null,"routeRules":null,"serviceId":"  "}'
	run post_json "$DISC" /api/discovery/lookup.json '{"discoveryConfigs":[{"serviceId":"svc.a"}],"regionId":"NYC","zoneId":"sha-z1"}'
	echo "$output" | jq -e '.responseStatus.status == "success" and .services[0].instances == null'
	run post_json "$DISC" /api/discovery/lookup.json '{"discoveryConfigs":[],"regionId":"sha","zoneId":"sha-z1"}'
	[ "$output" = '{"responseStatus":{"errorCode":"success","message":"","status":"success"},"services":[]}' ]
	# service ids are exact-case
	run lookup SVC.A
	echo "$output" | jq -e '.services[0].instances == [] and .services[0].serviceId == "SVC.A"'
}

@test "lookup bad input: malformed JSON, missing or null configs, wrong type, huge lists" {
	start_both
	post_json "$DISC" /api/discovery/lookup.json '{"discoveryConfigs":[' >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	run curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
	    --data-binary '{"discoveryConfigs":[]}' "$DISC/api/discovery/lookup.json"
	[ "$output" = 415 ]
	run post_json "$DISC" /api/discovery/lookup.json '{"regionId":"sha"}'
	[ "$output" = '{"responseStatus":{"errorCode":"internal-service-error","message":null,"status":"fail"},"services":null}' ]
	run post_json "$DISC" /api/discovery/lookup.json '{"discoveryConfigs":[null],"regionId":"sha"}'
	echo "$output" | jq -e '.responseStatus.errorCode == "internal-service-error" and .services == null'
	post_json "$DISC" /api/discovery/lookup.json '{"discoveryConfigs":"svc.a"}' >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	post_json "$DISC" /api/discovery/lookup.json '{"discoveryConfigs":[{"serviceId":{"x":1}}]}' >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	python3 -c 'import json; print(json.dumps({"discoveryConfigs":[{"serviceId":"s%d" % i} for i in range(20000)],"regionId":"sha","zoneId":"sha-z1"}))' > "$TMP/big.json"
	run curl -sS -H 'Content-Type: application/json' --data-binary @"$TMP/big.json" "$DISC/api/discovery/lookup.json"
	echo "$output" | jq -e '.responseStatus.errorCode == "bad-request" and .services == null'
	# the daemon still answers
	run lookup svc.a
	echo "$output" | jq -e '.responseStatus.status == "success"'
}

@test "service.json by GET and POST, region/zone checks, unknown and blank ids" {
	ALLOW_OTHER_ZONE=false artemis_config
	start_both
	register svc.a i-1
	wait_until has_ids svc.a i-1
	get=$(get_json "$DISC" "/api/discovery/service.json?serviceId=svc.a&regionId=sha&zoneId=SHA-Z1")
	post=$(post_json "$DISC" /api/discovery/service.json '{"discoveryConfig":{"serviceId":"svc.a"},"regionId":"sha","zoneId":"sha-z1"}')
	[ "$get" = "$post" ]
	echo "$post" | jq -e '.service.instances[0].instanceId == "i-1" and .service.routeRules == []'
	run get_json "$DISC" "/api/discovery/service.json?serviceId=svc.a"
	[ "$output" = '{"responseStatus":{"errorCode":"no-permission","message":"regionId is not the same as the registry node. regionId: null, registry node.regionId: sha","status":"fail"},"service":null}' ]
	run get_json "$DISC" "/api/discovery/service.json?serviceId=svc.a&regionId=sha&zoneId=z9"
	echo "$output" | jq -e '.responseStatus.message == "zoneId is not the same as the registry node. zoneId: z9, registry node.zoneId: sha-z1"'
	run get_json "$DISC" "/api/discovery/service.json?serviceId=svc.none&regionId=sha&zoneId=sha-z1"
	echo "$output" | jq -e '.service == {"instances":null,"logicInstances":null,"metadata":null,"routeRules":null,"serviceId":"svc.none"}'
	run post_json "$DISC" /api/discovery/service.json '{"discoveryConfig":{"serviceId":" "},"regionId":"sha"}'
	[ "$output" = '{"responseStatus":{"errorCode":"bad-request","message":"Request is null or request.discoveryConfig is null.","status":"fail"},"service":null}' ]
	run post_json "$DISC" /api/discovery/service.json '{"regionId":"sha"}'
	echo "$output" | jq -e '.responseStatus.errorCode == "bad-request"'
	get_json "$DISC" /api/discovery/service.json >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	# lookup from another zone is quietly a placeholder when disallowed
	run post_json "$DISC" /api/discovery/lookup.json '{"discoveryConfigs":[{"serviceId":"svc.a"}],"regionId":"sha","zoneId":"z9"}'
	echo "$output" | jq -e '.responseStatus.status == "success" and .services[0].instances == null'
}

services_version() { get_json "$DISC" /api/discovery/services.json | jq -r .version; }
version_above() { [ "$(services_version)" -gt "$1" ]; }

@test "services.json is versioned; services-delta gives new/delete to the newest version" {
	# version 0 is checked before the first build: 4 s leaves room for a
	# loaded machine (1 s did not, under ASan with other files running); i-1
	# has no heartbeats, so its lease must outlive that
	LEASE_TTL=30s artemis_config "[discoveryd]" "cache-init-delay = 4s"
	start_both
	register svc.a i-1
	wait_until has_ids svc.a i-1
	run get_json "$DISC" /api/discovery/services.json
	echo "$output" | jq -e '.version == 0 and (.services | map(.serviceId) == ["svc.a"])'
	run post_json "$DISC" /api/discovery/services-delta.json '{"version":0}'
	[ "$output" = '{"delta":null,"responseStatus":{"errorCode":"data-not-found","message":"Delta is not found.","status":"fail"},"version":0}' ]
	wait_until_s 15 version_above 0
	v1=$(services_version)
	run post_json "$DISC" /api/discovery/services-delta.json "{\"version\":$v1}"
	echo "$output" | jq -e '.responseStatus.errorCode == "data-not-found"'
	register svc.a i-2
	register svc.b i-1
	wait_until has_ids svc.b i-1
	for ((i = 0; i < 60; i++)); do version_above "$v1" && break; sleep 0.1; done
	v2=$(services_version)
	[ "$v2" -gt "$v1" ]
	run post_json "$DISC" /api/discovery/services-delta.json "{\"version\":$v1,\"regionId\":\"x\"}"
	echo "$output" | jq -e --argjson v "$v2" '.version == $v and .responseStatus.status == "success"'
	echo "$output" | jq -e '.delta["svc.a"] | map(.changeType + ":" + .instance.instanceId) == ["new:i-2"]'
	echo "$output" | jq -e '.delta["svc.b"][0].changeType == "new"'
	# region and zone are ignored by services.json
	run post_json "$DISC" /api/discovery/services.json '{"regionId":"NYC","zoneId":"nowhere"}'
	echo "$output" | jq -e '.services | map(.serviceId) == ["svc.a","svc.b"]'
	post_json "$DISC" /api/discovery/services-delta.json '{"version":"abc"}' >/dev/null
	[ "$HTTP_STATUS" = 400 ]
}

@test "subscribers get one new and one delete frame; other services and bad frames ignored" {
	start_both
	ws_bg "$TMP/ws1" "$TMP/r1" "$(ws_url /ws/discovery/instance-change)" \
	    -s 'not json' -s '{"serviceId":"  "}' -s '{"discoveryData":null,"regionId":null,"serviceId":"svc.p","zoneId":null}' \
	    -s '{"serviceId":"svc.p"}' -n 2 -t 8
	p1=$WS_PID
	ws_bg "$TMP/ws2" "$TMP/r2" "$(ws_url /ws/discovery/all-instance-change)" -s ignored -n 3 -t 8
	p2=$WS_PID
	register svc.q i-1
	register svc.p i-1
	wait_until has_ids svc.p i-1
	unregister svc.p i-1
	wait "$p1"; wait "$p2"
	cat "$TMP/ws1"
	[ "$(wc -l < "$TMP/ws1")" = 2 ]
	sed -n 1p "$TMP/ws1" | jq -e '.changeType == "new" and .instance.serviceId == "svc.p" and (.changeTime | type == "number")'
	sed -n 2p "$TMP/ws1" | jq -e '.changeType == "delete" and .instance.instanceId == "i-1"'
	[[ "$(sed -n 1p "$TMP/ws1")" == '{"changeTime":'*',"changeType":"new","instance":{"groupId":null,'* ]]
	cat "$TMP/ws2"
	[ "$(jq -r '.instance.serviceId + ":" + .changeType' "$TMP/ws2" | tr '\n' ' ')" = "svc.q:new svc.p:new svc.p:delete " ]
}

@test "WebSocket misuse: binary frames 1003, oversize 1009, pings answered, unknown path 404" {
	start_both
	run python3 "$WS" "$(ws_url /ws/discovery/instance-change)" --binary -t 3
	[ "$output" = "CLOSE 1003" ]
	run python3 "$WS" "$(ws_url /ws/discovery/instance-change)" --big 2000000 -t 3
	[ "$output" = "CLOSE 1009" ]
	run python3 "$WS" "$(ws_url /ws/discovery/all-instance-change)" --ping -t 1
	[ "$output" = "PONG p" ]
	run python3 "$WS" "$(ws_url /ws/discovery/nope)" -t 1
	[ "$output" = "HTTP 404" ]
}

@test "WebSocket limits: blacklist and max connections" {
	artemis_config "[registryd]" "ws-max-connections = 3" \
	    "[discoveryd]" "all-ws-blacklist = 127.0.0.1"
	start_both
	run python3 "$WS" "$(ws_url /ws/discovery/all-instance-change)" -t 1
	[ "$output" = "HTTP 403" ]
	pids=()
	# the three hold their sessions until killed below (-t is only a bound),
	# however long the fourth client takes to start
	for i in 1 2 3; do
		ws_bg "$TMP/h$i" "$TMP/hr$i" "$(ws_url /ws/discovery/instance-change)" -t 60
		pids+=("$WS_PID")
	done
	run python3 "$WS" "$(ws_url /ws/discovery/instance-change)" -t 1
	echo "$output"
	[ "$output" = "HTTP 503" ]
	kill "${pids[@]}"
	wait "${pids[@]}" || true
	# room again once they are gone
	for ((i = 0; i < 100; i++)); do
		out=$(python3 "$WS" "$(ws_url /ws/discovery/instance-change)" --ping -t 0.5)
		[ "$out" = "PONG p" ] && break
		sleep 0.05
	done
	[ "$out" = "PONG p" ]
}

@test "WebSocket sessions are closed with 1000 after their TTL" {
	artemis_config "[registryd]" "ws-session-ttl = 1s" "ws-check-interval = 100ms"
	start_both
	run python3 "$WS" "$(ws_url /ws/discovery/instance-change)" -t 4
	[ "$output" = "CLOSE 1000" ]
	run python3 "$WS" "$(ws_url /ws/discovery/all-instance-change)" -t 4
	[ "$output" = "CLOSE 1000" ]
}

@test "an expired lease disappears and is pushed as delete in time" {
	LEASE_TTL=1s CLEAN_INTERVAL=100ms artemis_config
	start_both
	ws_bg "$TMP/ws" "$TMP/r" "$(ws_url /ws/discovery/instance-change)" -s '{"serviceId":"svc.e"}' -n 2 -t 6
	register svc.e i-1
	t0=$(date +%s%N)
	wait "$WS_PID"
	t1=$(date +%s%N)
	sed -n 2p "$TMP/ws" | jq -e '.changeType == "delete"'
	# TTL + clean interval + 100 ms (+ slack for the test's own overhead)
	[ $(( (t1 - t0) / 1000000 )) -le 1500 ]
	run lookup svc.e
	echo "$output" | jq -e '.services[0].instances == []'
}

@test "warm start: a restarted discoveryd answers the same at once" {
	start_both
	register svc.a i-1 i-2
	register svc.b i-1
	wait_until has_ids svc.b i-1
	before=$(lookup svc.a svc.b)
	stop_daemon artemis-discoveryd
	start_daemon artemis-discoveryd
	after=$(lookup svc.a svc.b)
	[ "$before" = "$after" ]
	# registryd restart: still follows the table
	stop_daemon artemis-registryd
	start_daemon artemis-registryd
	register svc.c i-1
	wait_until has_ids svc.c i-1
}

@test "a node that is not up answers service-unavailable" {
	FORCE_UP=false artemis_config
	start_both
	run get_json "$DISC" /api/discovery/services.json
	echo "$output" | jq -e '.responseStatus.errorCode == "service-unavailable" and .services == null and .version == 0'
	echo "$output" | jq -e '.responseStatus.message | startswith("Serivce discovery is not in up state. Current status: ")'
	run post_json "$DISC" /api/discovery/services-delta.json '{"version":1}'
	echo "$output" | jq -e '.responseStatus.errorCode == "service-unavailable" and .delta == null'
	run post_json "$DISC" /api/discovery/service.json '{"discoveryConfig":{"serviceId":"svc.a"},"regionId":"sha","zoneId":"sha-z1"}'
	echo "$output" | jq -e '.responseStatus.errorCode == "service-unavailable" and .service == null'
	run lookup svc.a
	echo "$output" | jq -e '.responseStatus.status == "success" and .services[0].instances == null'
}

@test "status endpoints, health and metrics are served" {
	start_both
	run get_json "$DISC" /api/status/node.json
	echo "$output" | jq -e '.nodeStatus.status == "up"'
	run get_json "$DISC" /api/status/message/connections.json
	echo "$output" | jq -e '.discovery == "0"'
	get_json "$DISC" /metrics >/dev/null
	[ "$HTTP_STATUS" = 200 ]
	get_json "$DISC" /health >/dev/null
	[ "$HTTP_STATUS" = 200 ]
}

@test "read-your-writes: a lookup right after register.json sees the instance" {
	start_both
	local k
	for ((k = 0; k < 30; k++)); do
		register svc.ryw "i-$k"
		run ids_of svc.ryw
		[[ ",$output," == *",i-$k,"* ]] || { echo "lookup after register $k: $output" >&2; false; }
	done
}

@test "10,000 idle WebSocket connections: bounded by config, the rest refused, service goes on" {
	# a long lease: opening 10,000 sessions under ASan can outlast the default 4 s
	LEASE_TTL=60s artemis_config "[registryd]" "ws-max-connections = 8000"
	# the [registryd] section is repeated; inih merges it
	start_both
	register svc.flood i-1
	python3 "$BATS_TEST_DIRNAME/wsflood.py" "$(ws_url /ws/discovery/instance-change)" 10000 \
	    --hold-file "$TMP/release" > "$TMP/flood.out" 2>&1 &
	local fpid=$! k
	for ((k = 0; k < 6000; k++)); do [ -s "$TMP/flood.out" ] && break; sleep 0.01; done
	cat "$TMP/flood.out"
	[ "$(cat "$TMP/flood.out")" = "accepted 8000 refused 2000 other 0" ]
	# the daemon still answers lookups and new sessions get a clean refusal
	run ids_of svc.flood
	[ "$output" = "i-1" ]
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Upgrade: websocket' -H 'Connection: Upgrade' \
	    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
	    "$DISC/ws/discovery/instance-change")
	[ "$code" = 503 ]
	[ "$(get_json "$DISC" /api/status/message/connections.json | jq -r .discovery)" -ge 8000 ]
	touch "$TMP/release"
	wait "$fpid"
}
