#!/usr/bin/env bats
# Clauses of spec/core-contract.md that the other files do not cover: failure
# shapes of rate-limited status calls, what Jackson would refuse on the status,
# cluster and discovery doors, request Content-Encoding as ziplet reads it, and
# the session counts of connections.json on every daemon.

load helpers

WS=$BATS_TEST_DIRNAME/wsclient.py

setup() {
	artemis_setup
}

teardown() {
	[ -z "$WS_PIDS" ] || kill $WS_PIDS 2>/dev/null || true
	artemis_teardown
}

RL='{"errorCode":"rate-limited","message":"Request is rate limited.","status":"fail"}'
RS_OK='{"errorCode":"success","message":"","status":"success"}'

# limited N BASE PATH BODY — the first N calls pass, the next one is limited;
# prints the limited body
limited() {
	local n=$1 base=$2 path=$3 body=$4 i out
	for ((i = 0; i < n; i++)); do
		out=$(post_json "$base" "$path" "$body")
		[ "$(last_status)" = 200 ] || { echo "call $i: HTTP $(last_status)" >&2; return 1; }
		jq -e '.responseStatus.errorCode == "success"' <<<"$out" >/dev/null ||
			{ echo "call $i was not a success: $out" >&2; return 1; }
	done
	post_json "$base" "$path" "$body"
}

@test "rate-limited status calls carry every field at its failure value (§6.8, §10)" {
	artemis_config "[ratelimit]" "status = 2"
	start_daemon artemis-registryd
	run limited 2 "$REG" /api/status/config.json '{}'
	[ "$output" = '{"properties":null,"responseStatus":'"$RL"',"sources":null}' ]
	run limited 2 "$REG" /api/status/deployment.json '{}'
	[ "$output" = '{"appId":null,"ip":null,"machineName":null,"path":null,"port":0,"properties":null,"protocol":null,"regionId":null,"responseStatus":'"$RL"',"sources":null,"zoneId":null}' ]
	run limited 2 "$REG" /api/status/cluster.json '{}'
	[ "$output" = '{"nodeCount":0,"nodesStatus":null,"responseStatus":'"$RL"'}' ]
	run limited 2 "$REG" /api/status/legacy-leases.json '{}'
	[ "$output" = '{"isSafe":false,"isSafeCheckEnabled":false,"leaseCount":0,"leaseUpdateCountLastTimeWindow":0,"leaseUpdateMaxCount":0,"leaseUpdateMaxCountLastUpdateTime":0,"leases":null,"responseStatus":'"$RL"'}' ]
	# Spring reads the body before the service asks the limiter: still a 400
	run post_json "$REG" /api/status/legacy-leases.json '{"serviceIds":'
	[ "$(last_status)" = 400 ]
	# node.json is never limited (peers poll it)
	for i in 1 2 3; do
		run post_json "$REG" /api/status/node.json '{}'
		echo "$output" | jq -e '.responseStatus.errorCode == "success"'
	done
}

@test "leases.json selects services by their exact id, ?appIds= lists trimmed (§5.9, §10.3)" {
	start_daemon artemis-registryd
	post_json "$REG" /api/registry/register.json \
	    "{\"instances\":[$(instance Svc.Mixed i-1),$(instance svc.b i-1)]}" >/dev/null
	run get_json "$REG" "/api/status/leases.json?appIds=Svc.Mixed"
	echo "$output" | jq -e '(.leases | keys) == ["Svc.Mixed"] and .leaseCount == 1'
	# Java looks the raw id up in its service map: another case finds nothing
	run get_json "$REG" "/api/status/leases.json?appIds=svc.mixed"
	echo "$output" | jq -e '.leases == {} and .leaseCount == 0'
	run get_json "$REG" "/api/status/leases.json?appIds=%20svc.b%20,Svc.Mixed"
	echo "$output" | jq -e '(.leases | keys | sort) == ["Svc.Mixed","svc.b"] and .leaseCount == 2'
	# a POST element is bound as it is (Jackson trims nothing): "svc.b " is no id
	run post_json "$REG" /api/status/leases.json '{"serviceIds":["svc.b "]}'
	echo "$output" | jq -e '.leases == {} and .leaseCount == 0'
	# a POST element is one id, not a comma list
	run post_json "$REG" /api/status/leases.json '{"serviceIds":["svc.b,Svc.Mixed"]}'
	echo "$output" | jq -e '.leases == {}'
	run post_json "$REG" /api/status/leases.json '{"serviceIds":null}'
	echo "$output" | jq -e '.leaseCount == 2'
}

@test "status and cluster doors bind only a JSON object, as Jackson does (§1.2)" {
	start_daemon artemis-registryd
	for path in /api/status/node.json /api/status/cluster.json /api/status/config.json \
	    /api/status/deployment.json /api/status/leases.json \
	    /api/cluster/up-registry-nodes.json /api/cluster/up-discovery-nodes.json; do
		for body in '[]' '"x"' '1' '{"regionId":{}}' '{"serviceIds":"a"}'; do
			run post_json "$REG" "$path" "$body"
			case $path,$body in
			/api/cluster/*,'{"serviceIds":"a"}' | /api/status/[!l]*,'{'*)
				# unknown or unchecked fields are ignored
				[ "$(last_status)" = 200 ] || { echo "$path $body: $(last_status)"; false; } ;;
			/api/status/leases.json,'{"regionId":{}}')
				[ "$(last_status)" = 200 ] ;;
			*)
				[ "$(last_status)" = 400 ] || { echo "$path $body: $(last_status)"; false; } ;;
			esac
		done
	done
}

@test "services.json and services-delta.json still bind regionId and zoneId (§5.6, §5.7)" {
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	run post_json "$DISC" /api/discovery/services.json '{"regionId":"nyc","zoneId":"z9"}'
	[ "$(last_status)" = 200 ]
	echo "$output" | jq -e --argjson ok "$RS_OK" '.responseStatus == $ok'
	run post_json "$DISC" /api/discovery/services.json '{"regionId":{}}'
	[ "$(last_status)" = 400 ]
	run post_json "$DISC" /api/discovery/services.json '{"zoneId":[1]}'
	[ "$(last_status)" = 400 ]
	run post_json "$DISC" /api/discovery/services-delta.json '{"version":1,"regionId":"nyc"}'
	[ "$(last_status)" = 200 ]
	echo "$output" | jq -e '.responseStatus.errorCode == "data-not-found" and .version == 0'
	run post_json "$DISC" /api/discovery/services-delta.json '{"version":1,"zoneId":{}}'
	[ "$(last_status)" = 400 ]
}

@test "request Content-Encoding is read as ziplet reads it (§1.3)" {
	start_daemon artemis-registryd
	i=$(instance svc.enc i-1)
	body="{\"instances\":[$i]}"
	# codings ziplet does not decode leave the body as it is
	for enc in identity br x-unknown; do
		run post_json "$REG" /api/registry/register.json "$body" -H "Content-Encoding: $enc"
		[ "$(last_status)" = 200 ] || { echo "$enc: HTTP $(last_status)"; false; }
		echo "$output" | jq -e '.responseStatus.status == "success"'
	done
	# ... so a compressed body under an unknown label is not JSON
	run sh -c "printf '%s' '$body' | gzip | curl -s -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/json' -H 'Content-Encoding: br' --data-binary @- $REG/api/registry/register.json"
	[ "$output" = 400 ]
	# compress / x-compress: a zip stream ziplet reads no entry from
	run post_json "$REG" /api/registry/register.json "$body" -H "Content-Encoding: compress"
	[ "$(last_status)" = 400 ]
	for enc in gzip x-gzip GZIP; do
		run sh -c "printf '%s' '$body' | gzip | curl -s -H 'Content-Type: application/json' \
		    -H 'Content-Encoding: $enc' --data-binary @- $REG/api/registry/register.json"
		echo "$output" | jq -e '.responseStatus.status == "success"'
	done
}

# counts BASE — "registry,discovery" of connections.json
counts() {
	get_json "$1" /api/status/message/connections.json | jq -r '"\(.registry),\(.discovery)"'
}

counts_are() { [ "$(counts "$1")" = "$2" ]; }

@test "connections.json on every daemon counts heartbeat and instance-change sessions (§5.9)" {
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	start_daemon artemis-replicator
	run get_json "$REG" /api/status/message/connections.json
	[ "$output" = '{"registry":"0","discovery":"0"}' ]
	python3 "$WS" "ws://127.0.0.1:$REG_PORT/ws/registry/heartbeat" --count 0 --hold -t 30 \
	    --ready "$TMP/hb.ready" >/dev/null 2>&1 &
	WS_PIDS="$!"
	for n in 1 2; do
		python3 "$WS" "ws://127.0.0.1:$DISC_PORT/ws/discovery/instance-change" --count 0 \
		    --hold -t 30 --ready "$TMP/ic$n.ready" >/dev/null 2>&1 &
		WS_PIDS="$WS_PIDS $!"
	done
	# all-instance-change sessions are not reported
	python3 "$WS" "ws://127.0.0.1:$DISC_PORT/ws/discovery/all-instance-change" --count 0 \
	    --hold -t 30 --ready "$TMP/all.ready" >/dev/null 2>&1 &
	WS_PIDS="$WS_PIDS $!"
	wait_until test -e "$TMP/hb.ready" -a -e "$TMP/ic1.ready" -a -e "$TMP/ic2.ready" -a -e "$TMP/all.ready"
	for base in "$REG" "$DISC" "$REPL"; do
		wait_until counts_are "$base" 1,2
	done
	run get_json "$DISC" /api/status/message/connections.json
	[ "$output" = '{"registry":"1","discovery":"2"}' ]
	kill $WS_PIDS
	wait $WS_PIDS 2>/dev/null || true
	WS_PIDS=
	for base in "$REG" "$DISC" "$REPL"; do
		wait_until counts_are "$base" 0,0
	done
	# a count whose daemon is gone reads as 0
	python3 "$WS" "ws://127.0.0.1:$DISC_PORT/ws/discovery/instance-change" --count 0 \
	    --hold -t 30 --ready "$TMP/ic3.ready" >/dev/null 2>&1 &
	WS_PIDS="$!"
	wait_until test -e "$TMP/ic3.ready"
	wait_until counts_are "$REG" 0,1
	stop_daemon artemis-discoveryd KILL || true
	wait_until counts_are "$REG" 0,0
}

@test "text after the first JSON value of a body is not read, as Jackson 2.9 does (§1.2)" {
	start_daemon artemis-registryd
	i=$(instance svc.trail i-1)
	run post_json "$REG" /api/registry/register.json "{\"instances\":[$i]} x 'y' NaN"
	[ "$(last_status)" = 200 ]
	echo "$output" | jq -e '.responseStatus.errorCode == "success"'
	run post_json "$REG" /api/registry/heartbeat.json "{\"instances\":[$i]}{}"
	[ "$(last_status)" = 200 ]
	echo "$output" | jq -e '.responseStatus.errorCode == "success"'
	# a bad byte inside the value is still a 400
	run post_json "$REG" /api/registry/register.json "{\"instances\":[$i] x}"
	[ "$(last_status)" = 400 ]
	# the heartbeat WebSocket reads the value, not the canned answer for bad input
	run python3 "$WS" "ws://127.0.0.1:$REG_PORT/ws/registry/heartbeat" \
	    -s "{\"instances\":[$(instance svc.trail i-2)]} X" -n 1 -t 5
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.failedInstances | length == 1'
}

@test "identity ignores the case of non-ASCII letters, as Java's toLowerCase (§3.1)" {
	start_daemon artemis-registryd
	up=$(instance svc.uni 'ÉX-Ä')
	low=$(instance svc.uni 'éx-ä')
	run post_json "$REG" /api/registry/register.json "{\"instances\":[$up]}"
	echo "$output" | jq -e '.responseStatus.errorCode == "success"'
	run post_json "$REG" /api/registry/heartbeat.json "{\"instances\":[$low]}"
	echo "$output" | jq -e '.responseStatus.errorCode == "success"'
	run post_json "$REG" /api/registry/heartbeat.json "{\"instances\":[$(instance svc.uni 'ÉY')]}"
	echo "$output" | jq -e '.failedInstances[0].errorCode == "data-not-found"'
}

service_code() {
	post_json "$DISC" /api/discovery/service.json \
	    '{"discoveryConfig":{"serviceId":"svc.w"},"regionId":"sha","zoneId":"sha-z1"}' |
	    jq -r '.responseStatus.errorCode'
}
service_is() { [ "$(service_code)" = "$1" ]; }

@test "discoveryd reports its node down while registryd, the table's writer, is gone" {
	artemis_config "[lease]" "clean-interval = 100ms"
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	post_json "$REG" /api/registry/register.json "{\"instances\":[$(instance svc.w i-1)]}" >/dev/null
	wait_until service_is success
	stop_daemon artemis-registryd KILL || true
	# 3 s without a beat (3 x clean-interval, at least 3 s); wait_until gives 5 s
	wait_until service_is service-unavailable
	run post_json "$DISC" /api/discovery/service.json '{"discoveryConfig":{"serviceId":"svc.w"},"regionId":"sha","zoneId":"sha-z1"}'
	[[ "$(jq -r .responseStatus.message <<<"$output")" == "Serivce discovery is not in up state. Current status: { node: sha/sha-z1/"*", status: down, canServiceRegistry: false, canServiceDiscovery: false }" ]]
	# lookup.json keeps Java's per-service placeholder
	run post_json "$DISC" /api/discovery/lookup.json '{"discoveryConfigs":[{"serviceId":"svc.w"}],"regionId":"sha","zoneId":"sha-z1"}'
	jq -e '.services[0].instances == null' <<<"$output"
	run post_json "$DISC" /api/status/node.json '{}'
	jq -e '.nodeStatus.status == "down"' <<<"$output"
	start_daemon artemis-registryd
	wait_until service_is success
	run post_json "$DISC" /api/status/node.json '{}'
	jq -e '.nodeStatus.status == "up"' <<<"$output"
}

@test "cluster.json lists this node where [cluster] peers puts it in its zone (§5.8, as Java)" {
	local p1 p2 p3 out
	p1=http://127.0.0.1:$(free_port) p2=http://127.0.0.1:$(free_port) p3=http://127.0.0.1:$(free_port)
	node_peers "sha-z2:$p3;sha-z1:$p1,$REG/,$p2"
	start_daemon artemis-registryd
	out=$(get_json "$REG" /api/status/cluster.json)
	[ "$(jq -c '[.nodesStatus[].node.url]' <<<"$out")" = "[\"$p1\",\"$REG\",\"$p2\",\"$p3\"]" ]
	[ "$(jq -r '.nodesStatus[1].status' <<<"$out")" = up ]
	# not listed at all: first, before its zone's peers
	node_peers "sha-z1:$p1,$p2"
	stop_daemon artemis-registryd
	start_daemon artemis-registryd
	out=$(get_json "$REG" /api/status/cluster.json)
	[ "$(jq -c '[.nodesStatus[].node.url]' <<<"$out")" = "[\"$REG\",\"$p1\",\"$p2\"]" ]
}
