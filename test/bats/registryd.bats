#!/usr/bin/env bats
# artemis-registryd from the outside: registry API, bad input, leases, restart.

load helpers

setup() {
	artemis_setup
	start_daemon artemis-registryd
}

teardown() {
	artemis_teardown
}

RS_OK='{"errorCode":"success","message":"","status":"success"}'
OK_BODY='{"failedInstances":null,"responseStatus":'$RS_OK'}'

register() { post_json "$REG" /api/registry/register.json "{\"instances\":[$1]}"; }
heartbeat() { post_json "$REG" /api/registry/heartbeat.json "{\"instances\":[$1]}"; }
unregister() { post_json "$REG" /api/registry/unregister.json "{\"instances\":[$1]}"; }

# number of instances in the table (raw registry view)
table_count() {
	post_json "$REG" /api/replication/registry/services.json '{"regionId":"sha"}' |
		jq '[.services[].instances | length] | add // 0'
}

table_empty() { [ "$(table_count)" -eq 0 ]; }

# assert_count N — the table still holds BEFORE instances
assert_count() {
	local n
	n=$(table_count)
	[ "$n" -eq "$1" ] || { echo "table holds $n instances, expected $1" >&2; return 1; }
}

@test "register, heartbeat, unregister: success shapes and byte-exact JSON" {
	i=$(instance svc.a i-1)
	run register "$i"
	[ "$output" = "$OK_BODY" ]
	[ "$(last_status)" = 200 ]
	run heartbeat "$i"
	[ "$output" = "$OK_BODY" ]
	run unregister "$i"
	[ "$output" = "$OK_BODY" ]
}

@test "register stores the instance exactly as its canonical wire form" {
	i='{"instanceId":"i-1","serviceId":"svc.a","regionId":"sha","zoneId":"sha-z1","url":"http://x/","metadata":{"b":"2","a":"1"},"port":81}'
	register "$i" >/dev/null
	got=$(post_json "$REG" /api/replication/registry/services.json '{"regionId":"sha"}' | jq -c '.services[0].instances[0]')
	[ "$got" = '{"groupId":null,"healthCheckUrl":null,"instanceId":"i-1","ip":null,"machineName":null,"metadata":{"b":"2","a":"1"},"port":81,"protocol":null,"regionId":"sha","serviceId":"svc.a","status":null,"url":"http://x/","zoneId":"sha-z1"}' ]
}

@test "heartbeat of an unknown instance is data-not-found with the Java message" {
	i=$(instance svc.zz nope)
	body=$(heartbeat "$i")
	[ "$(last_status)" = 200 ]
	[ "$(jq -r .responseStatus.status <<<"$body")" = partial_fail ]
	[ "$(jq -r .responseStatus.errorCode <<<"$body")" = partial_fail ]
	[ "$(jq -r '.failedInstances[0].errorCode' <<<"$body")" = data-not-found ]
	[ "$(jq -r '.failedInstances[0].errorMessage' <<<"$body")" = "sha/sha-z1/svc.zz/nope: Instance is not exising! Need re-register." ]
}

@test "heartbeat never changes stored data" {
	register "$(instance svc.a i-1)" >/dev/null
	before=$(post_json "$REG" /api/replication/registry/services.json '{"regionId":"sha"}')
	heartbeat "$(instance svc.a i-1 '.port=1 | .status="down"')" >/dev/null
	after=$(post_json "$REG" /api/replication/registry/services.json '{"regionId":"sha"}')
	[ "$before" = "$after" ]
}

@test "unregister of an unknown instance succeeds; heartbeat after unregister fails" {
	run unregister "$(instance svc.none x)"
	[ "$output" = "$OK_BODY" ]
	i=$(instance svc.a i-1)
	register "$i" >/dev/null
	unregister "$i" >/dev/null
	body=$(heartbeat "$i")
	[ "$(jq -r '.failedInstances[0].errorCode' <<<"$body")" = data-not-found ]
	wait_until table_empty
}

@test "expired lease is cleaned after ttl + clean interval" {
	artemis_teardown; artemis_setup
	LEASE_TTL=1s CLEAN_INTERVAL=100ms artemis_config
	start_daemon artemis-registryd
	register "$(instance svc.a i-1)" >/dev/null
	assert_count 1
	for ((k = 0; k < 300; k++)); do [ "$(table_count)" -eq 0 ] && break; sleep 0.01; done
	assert_count 0
}

@test "region mismatch: no-permission with the Java message; case-insensitive match accepted" {
	body=$(register "$(instance svc.a i-1 '.regionId="NYC"')")
	[ "$(jq -r '.failedInstances[0].errorCode' <<<"$body")" = no-permission ]
	[ "$(jq -r '.failedInstances[0].errorMessage' <<<"$body")" = "nyc/sha-z1/svc.a/i-1: regionId is not the same as the registry node. regionId: NYC, registry node.regionId: sha" ]
	assert_count 0
	run register "$(instance svc.a i-2 '.regionId="SHA"')"
	[ "$output" = "$OK_BODY" ]
}

@test "zone mismatch refused when allow-from-other-zone = false" {
	artemis_teardown; artemis_setup
	ALLOW_OTHER_ZONE=false artemis_config
	start_daemon artemis-registryd
	body=$(register "$(instance svc.a i-1 '.zoneId="z2"')")
	[ "$(jq -r '.failedInstances[0].errorMessage' <<<"$body")" = "sha/z2/svc.a/i-1: zoneId is not the same as the registry node. zoneId: z2, registry node.zoneId: sha-z1" ]
	assert_count 0
}

@test "field validation order and messages (serviceId, instanceId, url)" {
	body=$(post_json "$REG" /api/registry/register.json \
		'{"instances":[{"regionId":"sha","zoneId":"sha-z1","serviceId":" ","instanceId":"","url":""},{"regionId":"sha","zoneId":"sha-z1","serviceId":"s","instanceId":null,"url":""},{"regionId":"sha","zoneId":"sha-z1","serviceId":"s","instanceId":"i","url":"  "}]}')
	[ "$(jq -r '[.failedInstances[].errorCode] | unique | .[]' <<<"$body")" = internal-service-error ]
	[ "$(jq -r '.failedInstances[0].errorMessage' <<<"$body")" = "sha/sha-z1/ /: Exception: argument instance.serviceId is null or whitespace" ]
	[ "$(jq -r '.failedInstances[1].errorMessage' <<<"$body")" = "sha/sha-z1/s/null: Exception: argument instance.instanceId is null or whitespace" ]
	[ "$(jq -r '.failedInstances[2].errorMessage' <<<"$body")" = "sha/sha-z1/s/i: Exception: argument instance.url is null or whitespace" ]
	[ "$(jq -r .responseStatus.status <<<"$body")" = partial_fail ]
	assert_count 0
}

@test "bad input: malformed JSON 400, content type 415, method 405, unknown path 404" {
	post_json "$REG" /api/registry/register.json '{"instances":[' >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' --data '{}' "$REG/api/registry/register.json" | grep -qx 415
	curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @/dev/null -H 'Content-Type:' "$REG/api/registry/register.json" | grep -qx 415
	curl -s -o /dev/null -w '%{http_code}' "$REG/api/registry/register.json" | grep -qx 405
	curl -s -o /dev/null -w '%{http_code}' "$REG/api/registry/nope.json" | grep -qx 404
	assert_count 0
}

@test "bad input: null body, instances null, empty, [null]" {
	post_json "$REG" /api/registry/register.json 'null' >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	for b in '{"instances":null}' '{"instances":[]}' '{}'; do
		run post_json "$REG" /api/registry/register.json "$b"
		[ "$output" = '{"failedInstances":null,"responseStatus":{"errorCode":"bad-request","message":"request.instances is null or empty.","status":"fail"}}' ]
	done
	run post_json "$REG" /api/registry/register.json '{"instances":[null]}'
	[ "$output" = "$OK_BODY" ]
	post_json "$REG" /api/registry/register.json '[]' >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	assert_count 0
}

@test "bad input: port non-numeric or out of int range is 400; numeric string accepted" {
	for p in '"abc"' '99999999999' '{}' '[1]' 'true'; do
		post_json "$REG" /api/registry/register.json "{\"instances\":[$(instance svc.a i-1 ".port=$p")]}" >/dev/null
		[ "$HTTP_STATUS" = 400 ] || { echo "port $p -> $HTTP_STATUS" >&2; false; }
	done
	assert_count 0
	run register "$(instance svc.a i-1 '.port="8080"')"
	[ "$output" = "$OK_BODY" ]
	[ "$(post_json "$REG" /api/replication/registry/services.json '{"regionId":"sha"}' | jq '.services[0].instances[0].port')" = 8080 ]
}

@test "bad input: metadata too large for a slot is refused, not truncated" {
	big=$(head -c 2500 /dev/zero | tr '\0' x)	# two of them: over the 4064-byte slot
	body=$(register "$(instance svc.a i-1 ".metadata={\"big\":\"$big\",\"big2\":\"$big\"}")")
	[ "$(jq -r '.failedInstances[0].errorCode' <<<"$body")" = bad-request ]
	jq -r '.failedInstances[0].errorMessage' <<<"$body" | grep -q 'too large'
	assert_count 0
}

@test "bad input: deeply nested JSON is 400" {
	deep=$(python3 -c 'print("{\"instances\":[{\"metadata\":" + "[" * 5000 + "]" * 5000 + "}]}")')
	post_json "$REG" /api/registry/register.json "$deep" >/dev/null
	[ "$HTTP_STATUS" = 400 ]
	assert_count 0
}

@test "bad input: body over the limit is 413; gzip bomb bounded; corrupt gzip 400" {
	head -c 9000000 /dev/zero | tr '\0' ' ' > "$TMP/big.json"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$TMP/big.json" "$REG/api/registry/register.json")
	[ "$code" = 413 ]
	head -c 100000000 /dev/zero | gzip -c > "$TMP/bomb.gz"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary @"$TMP/bomb.gz" "$REG/api/registry/register.json")
	[ "$code" = 413 ]
	printf 'not gzip at all' > "$TMP/bad.gz"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary @"$TMP/bad.gz" "$REG/api/registry/register.json")
	[ "$code" = 400 ]
	assert_count 0
}

@test "gzip request body is accepted (what Java clients send)" {
	instance svc.a i-1 | jq -c '{instances:[.]}' | gzip -c > "$TMP/req.gz"
	out=$(curl -s -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary @"$TMP/req.gz" "$REG/api/registry/register.json")
	[ "$out" = "$OK_BODY" ]
	assert_count 1
}

@test "bad input: too many instances in one request is answered, not hung" {
	python3 -c '
import json
print(json.dumps({"instances":[{"regionId":"sha","zoneId":"sha-z1","serviceId":"svc.big","instanceId":"i-%d"%n,"url":"http://x/%d"%n} for n in range(10000)]}))' > "$TMP/many.json"
	out=$(curl -s --max-time 10 -H 'Content-Type: application/json' --data-binary @"$TMP/many.json" "$REG/api/registry/register.json")
	[ "$(jq -r .responseStatus.errorCode <<<"$out")" = bad-request ]
	assert_count 0
}

@test "unknown fields ignored, property names in any case accepted" {
	run post_json "$REG" /api/registry/register.json '{"INSTANCES":[{"RegionId":"sha","ZONEID":"sha-z1","serviceid":"svc.c","InstanceId":"i-1","URL":"http://x","foo":{"bar":[1]}}],"extra":1}'
	[ "$output" = "$OK_BODY" ]
	got=$(post_json "$REG" /api/replication/registry/services.json '{"regionId":"sha"}' | jq -c '.services[0].instances[0] | keys')
	[ "$got" = '["groupId","healthCheckUrl","instanceId","ip","machineName","metadata","port","protocol","regionId","serviceId","status","url","zoneId"]' ]
}

@test "rate limiter answers rate-limited with HTTP 200 and counts only allowed calls" {
	artemis_teardown; artemis_setup
	artemis_config "[ratelimit]" "registry = 3"
	start_daemon artemis-registryd
	i=$(instance svc.a i-1)
	for k in 1 2 3; do run register "$i"; [ "$output" = "$OK_BODY" ]; done
	run register "$i"
	[ "$output" = '{"failedInstances":null,"responseStatus":{"errorCode":"rate-limited","message":"Request is rate limited.","status":"fail"}}' ]
	[ "$(last_status)" = 200 ]
}

@test "node not up: service-unavailable for register" {
	artemis_teardown; artemis_setup
	FORCE_UP=false artemis_config
	start_daemon artemis-registryd
	body=$(register "$(instance svc.a i-1)")
	[ "$(jq -r .responseStatus.errorCode <<<"$body")" = service-unavailable ]
	jq -r .responseStatus.message <<<"$body" | grep -q '^Serivce registry is not in up state. Current status: { node: sha/sha-z1/http://127.0.0.1:'
	assert_count 0
}

@test "replication: heartbeat of an unknown instance registers it; no zone check" {
	i=$(instance svc.r i-1 '.zoneId="other-zone"')
	run post_json "$REG" /api/replication/registry/heartbeat.json "{\"instances\":[$i]}"
	[ "$output" = "$OK_BODY" ]
	assert_count 1
	body=$(post_json "$REG" /api/replication/registry/register.json "{\"instances\":[$(instance svc.r i-2 '.regionId="x"')]}")
	[ "$(jq -r '.failedInstances[0].errorCode' <<<"$body")" = no-permission ]
	run post_json "$REG" /api/replication/registry/services.json '{"regionId":"other"}'
	[ "$(jq -r .responseStatus.errorCode <<<"$output")" = no-permission ]
	[ "$(jq -r .services <<<"$output")" = null ]
	get_json "$REG" "/api/replication/registry/services.json" >/dev/null
	[ "$HTTP_STATUS" = 400 ]
}

@test "leases.json lists leases with Java field names and times" {
	register "$(instance svc.l i-1)" >/dev/null
	body=$(post_json "$REG" /api/status/leases.json '{"serviceIds":["svc.l"]}')
	[ "$(jq -r '.leases["svc.l"][0].instance' <<<"$body")" = "sha/sha-z1/svc.l/i-1" ]
	[ "$(jq -r '.leases["svc.l"][0].ttl' <<<"$body")" = 4000 ]
	jq -r '.leases["svc.l"][0].renewalTime' <<<"$body" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}$'
	[ "$(jq -r .isSafe <<<"$body")" = true ]
	[ "$(jq -r .leaseCount <<<"$body")" = 1 ]
}

@test "cluster endpoints advertise this node's registry and discovery URLs" {
	body=$(post_json "$REG" /api/cluster/up-registry-nodes.json '{"regionId":"sha","zoneId":"sha-z1"}')
	[ "$(jq -r '.nodes[0].url' <<<"$body")" = "$REG" ]
	body=$(get_json "$REG" "/api/cluster/up-discovery-nodes.json?regionId=sha&zoneId=sha-z1")
	[ "$(jq -r '.nodes[0].url' <<<"$body")" = "$DISC" ]
	body=$(post_json "$REG" /api/status/node.json '{}')
	[ "$(jq -r .nodeStatus.status <<<"$body")" = up ]
}

@test "SIGKILL and restart: every registration survives and is renewable" {
	# one request: 50 sequential registers could outlast the 4 s TTL on a busy box
	post_json "$REG" /api/registry/register.json "$(batch_of svc.k 50)" >/dev/null
	assert_count 50
	stop_daemon artemis-registryd KILL || true
	start_daemon artemis-registryd
	assert_count 50
	run heartbeat "$(instance svc.k i-7)"
	[ "$output" = "$OK_BODY" ]
}

@test "SIGTERM exits 0" {
	stop_daemon artemis-registryd TERM
}

@test "-n reports FILE:LINE for an unknown key and OK for a good file" {
	run "$BIN/artemis-registryd" -n -f "$CONF"
	[ "$status" -eq 0 ]
	[ "$output" = "configuration OK" ]
	printf '[lease]\nbogus = 1\n' >> "$CONF"
	run "$BIN/artemis-registryd" -n -f "$CONF"
	[ "$status" -ne 0 ]
	[[ "$output" == "$CONF:"*": unknown key 'bogus' in section [lease]" ]]
}

@test "WebSocket heartbeat: one reply per message; repeated identical messages renew; a lapsed instance is reported" {
	i=$(instance svc.ws i-1)
	register "$i" >/dev/null
	msg="{\"instances\":[$i]}"
	run python3 "$BATS_TEST_DIRNAME/wsclient.py" "ws://127.0.0.1:$REG_PORT/ws/registry/heartbeat" \
	    -s "$msg" -s "$msg" -s "$msg" -n 3 -t 5
	[ "$status" -eq 0 ]
	[ "$(grep -c -x -F "$OK_BODY" <<<"$output")" -eq 3 ]
	unregister "$i" >/dev/null
	run python3 "$BATS_TEST_DIRNAME/wsclient.py" "ws://127.0.0.1:$REG_PORT/ws/registry/heartbeat" \
	    -s "$msg" -s "$msg" -n 2 -t 5
	[ "$status" -eq 0 ]
	[ "$(grep -c '"errorCode":"data-not-found"' <<<"$output")" -eq 2 ]
	register "$i" >/dev/null
	run python3 "$BATS_TEST_DIRNAME/wsclient.py" "ws://127.0.0.1:$REG_PORT/ws/registry/heartbeat" \
	    -s "$msg" -s "not json" -s "null" -n 3 -t 5
	[ "$(sed -n 1p <<<"$output")" = "$OK_BODY" ]
	[ "$(sed -n 2p <<<"$output")" = "$OK_BODY" ]
	[ "$(sed -n 3p <<<"$output")" = '{"failedInstances":null,"responseStatus":{"errorCode":"bad-request","message":"request is null","status":"fail"}}' ]
}

leases_field() { post_json "$REG" /api/status/leases.json '{}' | jq -r ".$1"; }
protection_engaged() { [ "$(leases_field isSafe)" = false ]; }
protection_released() { [ "$(leases_field isSafe)" = true ]; }

@test "mass-expiry protection engages, holds expired leases, and releases after safe-max-hold" {
	artemis_teardown; artemis_setup
	# the drop below 60 % of the peak shows within two seconds, the leases
	# expire after four (a 3 s window and 60 % absorb the jitter of a shell loop)
	LEASE_TTL=4s CLEAN_INTERVAL=100ms artemis_config "[lease]" "safe-time-window = 3s" \
	    "safe-percentage = 60" "safe-max-count-threshold = 20" "safe-max-hold = 5s" "[ratelimit]" "status-map = get-leases:100000"
	start_daemon artemis-registryd
	body=$(batch_of svc.safe 30)
	post_json "$REG" /api/registry/register.json "$body" >/dev/null
	beat "$body" 4
	# renewals stop: the rate falls below 85 % of its peak before the leases expire
	wait_until protection_engaged
	for ((k = 0; k < 300; k++)); do [ "$(leases_field leaseProtectionHeldCount)" -eq 30 ] && break; sleep 0.02; done
	[ "$(leases_field leaseProtectionHeldCount)" -eq 30 ]
	[ "$(leases_field leaseProtectionSince)" -gt 0 ]
	assert_count 30
	curl -s "$REG/metrics" | grep -q '^artemis_lease_protection_engaged{manager="instance"} 1$'
	# after the maximum hold the peak is reset and the expired leases go
	for ((k = 0; k < 800; k++)); do table_empty && break; sleep 0.01; done
	assert_count 0
	protection_released
	[ "$(grep -c 'lease protection engaged' "$TMP/artemis-registryd.log")" -eq 1 ]
	[ "$(grep -c 'lease protection released' "$TMP/artemis-registryd.log")" -eq 1 ]
}

@test "mass-expiry protection: unregistered instances lower the peak instead of engaging it" {
	artemis_teardown; artemis_setup
	# without the decay, 10 of 30 renewing is 33 % of the peak: protection
	LEASE_TTL=1s CLEAN_INTERVAL=100ms artemis_config "[lease]" "safe-time-window = 3s" \
	    "safe-percentage = 60" "safe-max-count-threshold = 20" "safe-max-hold = 1h" "[ratelimit]" "status-map = get-leases:100000"
	start_daemon artemis-registryd
	mass_unregister svc.dec
	assert_count 10
	protection_released
	! grep -q 'lease protection engaged' "$TMP/artemis-registryd.log"
}
