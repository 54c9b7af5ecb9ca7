#!/usr/bin/env bats
# Large instances: a Java client may register an instance with a few KB of
# metadata (the Java server has no bound); the table stores records of up to
# 4064 bytes (key + serviceId + canonical JSON, libcommon/table.h). One with
# ~3.5 KB of metadata goes through every path end to end: register, lookup.json,
# services.json, the instance-change WebSocket push, heartbeats over HTTP and
# the heartbeat WebSocket, replication to a peer. One over the slot is refused
# per element with bad-request while its siblings in the same request are stored.

load helpers

WS=$BATS_TEST_DIRNAME/wsclient.py

setup() {
	[ -x "$BIN/artemis-registryd" ] || skip "artemis-registryd not built yet"
	artemis_setup
}
teardown() { [ -n "$TMP" ] && artemis_teardown; }

# metadata N LEN — a JSON object of N entries m1..mN, LEN-byte values
metadata() {
	jq -cn --argjson n "$1" --argjson len "$2" \
	    '[range(1; $n + 1)] | map({key: "m\(.)", value: ("v\(.)-" + ("x" * $len))[:$len]}) |
	     from_entries'
}

MD_BIG=$(metadata 7 500)	# ~3.5 KB: stored
MD_HUGE=$(metadata 10 500)	# ~5 KB: over the slot

big() { instance "$1" "$2" ".metadata=$MD_BIG"; }

lookup() {	# lookup BASE SVC -> body
	post_json "$1" /api/discovery/lookup.json \
	    "{\"discoveryConfigs\":[{\"serviceId\":\"$2\"}],\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}"
}

# has_big BASE SVC ID — the lookup on BASE lists ID with the whole big metadata
has_big() {
	lookup "$1" "$2" | jq -e --arg i "$3" --argjson md "$MD_BIG" \
	    '.services[0].instances // [] | map(select(.instanceId == $i)) |
	     length == 1 and .[0].metadata == $md'
}

ids_of() {	# ids_of BASE SVC -> sorted instance ids
	lookup "$1" "$2" | jq -r '.services[0].instances // [] | map(.instanceId) | sort | join(",")'
}

has_ids() { [ "$(ids_of "$1" "$2")" = "$3" ]; }

@test "a ~3.5 KB instance: stored, looked up, listed, pushed, heartbeated; a 5 KB sibling refused alone" {
	[ "$(jq -r 'tostring | length' <<<"$MD_BIG")" -ge 3500 ]
	[ "$(jq -r 'tostring | length' <<<"$MD_HUGE")" -ge 5000 ]
	# the instances get their first heartbeat at the end: a lease that
	# outlives a slow run on a loaded machine
	LEASE_TTL=60s artemis_config
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	# a subscriber of the service, ready once its subscription was processed
	python3 "$WS" "ws://127.0.0.1:$DISC_PORT/ws/discovery/instance-change" \
	    -s '{"serviceId":"svc.large"}' -n 2 -t 30 --ready "$TMP/ready" > "$TMP/push" 2>&1 &
	ws=$!
	wait_until_s 15 test -e "$TMP/ready"

	body="{\"instances\":[$(instance svc.large i-small),$(big svc.large i-big),$(instance svc.large i-huge ".metadata=$MD_HUGE")]}"
	run post_json "$REG" /api/registry/register.json "$body"
	[ "$(last_status)" = 200 ]
	echo "$output" | jq -e '.failedInstances | length == 1'
	echo "$output" | jq -e '.failedInstances[0].errorCode == "bad-request" and
	    .failedInstances[0].instance.instanceId == "i-huge"'
	echo "$output" | jq -r '.failedInstances[0].errorMessage' | grep -q 'too large to store (max 4064 bytes'

	# lookup and services.json: the big one whole, the small sibling, not the huge one
	wait_until has_ids "$DISC" svc.large "i-big,i-small"
	has_big "$DISC" svc.large i-big
	run post_json "$DISC" /api/discovery/services.json '{"regionId":"sha"}'
	echo "$output" | jq -e --argjson md "$MD_BIG" '.services[] | select(.serviceId == "svc.large") |
	    .instances | map(select(.instanceId == "i-big")) | length == 1 and .[0].metadata == $md'
	run post_json "$DISC" /api/discovery/service.json \
	    '{"discoveryConfig":{"serviceId":"svc.large"},"regionId":"sha","zoneId":"sha-z1"}'
	echo "$output" | jq -e '.service.instances | length == 2'

	# the push: one "new" frame per stored instance; the big one's is whole
	wait "$ws"
	[ "$(jq -sr 'map(.changeType + ":" + .instance.instanceId) | sort | join(",")' "$TMP/push")" = \
	    "new:i-big,new:i-small" ]
	jq -se --argjson md "$MD_BIG" 'map(select(.instance.instanceId == "i-big")) |
	    length == 1 and .[0].instance.metadata == $md' "$TMP/push"

	# heartbeats: HTTP, and the heartbeat WebSocket (a 3.5 KB+ text frame)
	run post_json "$REG" /api/registry/heartbeat.json "{\"instances\":[$(big svc.large i-big)]}"
	echo "$output" | jq -e '.responseStatus.errorCode == "success" and .failedInstances == null'
	run python3 "$WS" "ws://127.0.0.1:$REG_PORT/ws/registry/heartbeat" \
	    -s "{\"instances\":[$(big svc.large i-big),$(instance svc.large i-small)]}" -n 1 -t 5
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.responseStatus.errorCode == "success" and .failedInstances == null'
	# the huge one was never stored: its heartbeat is data-not-found
	run post_json "$REG" /api/registry/heartbeat.json "{\"instances\":[$(instance svc.large i-huge)]}"
	echo "$output" | jq -e '.failedInstances[0].errorCode == "data-not-found"'
	has_big "$DISC" svc.large i-big
}

@test "a ~3.5 KB instance replicates to the peer whole" {
	[ -x "$BIN/artemis-replicator" ] || skip "artemis-replicator not built yet"
	node_new a; printf '[replicator]\nstatus-update-interval = 200ms\n' >> "$CONF"
	node_new b; printf '[replicator]\nstatus-update-interval = 200ms\n' >> "$CONF"
	node_use a; node_peers "sha-z1:$NODE_b_REG"
	node_start artemis-registryd artemis-discoveryd artemis-replicator
	node_use b; node_peers "sha-z1:$NODE_a_REG"
	node_start artemis-registryd artemis-discoveryd artemis-replicator
	# A's replicator forwards only to a peer it has seen up
	wait_until_s 20 bash -c "curl -sS '$NODE_a_REPL/api/status/cluster.json' |
	    jq -e '.nodesStatus[] | select(.node.url == \"$NODE_b_REG\") | .status == \"up\"'"
	node_use a
	run post_json "$REG" /api/registry/register.json \
	    "{\"instances\":[$(big svc.rep i-big),$(instance svc.rep i-small)]}"
	echo "$output" | jq -e '.responseStatus.errorCode == "success" and .failedInstances == null'
	wait_until_s 10 has_ids "$NODE_b_DISC" svc.rep "i-big,i-small"
	has_big "$NODE_b_DISC" svc.rep i-big
	# the peer's own replication endpoint takes it whole too (a heartbeat of an
	# instance the peer lacks registers it there: what bootstrap and heal rely on)
	run post_json "$NODE_b_REG" /api/replication/registry/heartbeat.json \
	    "{\"instances\":[$(big svc.rep i-big3)]}"
	echo "$output" | jq -e '.responseStatus.errorCode == "success"'
	wait_until_s 10 has_big "$NODE_b_DISC" svc.rep i-big3
}
