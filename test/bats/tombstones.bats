#!/usr/bin/env bats
# tombstones: an unregistered instance's slot stays in the table for one TTL
# (registryd's lease.c), so the replicator can send the unregister again to a
# peer that missed it (cluster-heal.bats). Here, one node: nothing else may see
# the tombstone. Discovery (and its delete push), status, services.json,
# heartbeats and the instance count treat it as gone at once; a register of the
# same key revives it; it is cleaned a TTL after the unregister; it gives its
# slot to a register when the table is full; and a mass unregister lowers the
# protection peak at once, not a TTL later when the tombstones go.

load helpers

setup() {
	artemis_setup
}

teardown() {
	artemis_teardown
}

call() {	# call register|heartbeat|unregister SVC ID...
	local op=$1 s=$2 i out=
	shift 2
	for i in "$@"; do out+="${out:+,}$(instance "$s" "$i")"; done
	post_json "$REG" "/api/registry/$op.json" "{\"instances\":[$out]}"
}

metric() {	# metric NAME -> value
	curl -sS "$REG/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

ids() {		# ids SVC -> discoveryd's lookup, sorted instance ids
	post_json "$DISC" /api/discovery/lookup.json \
	    "{\"discoveryConfigs\":[{\"serviceId\":\"$1\"}],\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}" |
	    jq -r '.services[0].instances // [] | map(.instanceId) | sort | join(",")'
}

ids_are() { [ "$(ids "$1")" = "$2" ]; }

raw_ids() {	# raw_ids SVC -> services.json of the replication API (bootstrap source)
	post_json "$REG" /api/replication/registry/services.json '{"regionId":"sha"}' |
	    jq -r --arg s "$1" '[.services[] | select(.serviceId == $s) | .instances[].instanceId] | sort | join(",")'
}

lease_ids() {	# lease_ids SVC -> leases.json
	post_json "$REG" /api/status/leases.json '{}' |
	    jq -r --arg s "$1" '[.leases[$s][]?.instance] | length'
}

metric_is() { [ "$(metric "$1")" = "$2" ]; }

@test "an unregistered instance is gone for every reader at once; its tombstone goes a TTL later" {
	LEASE_TTL=3s CLEAN_INTERVAL=100ms artemis_config "[ratelimit]" "status-map = get-leases:100000"
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	call register svc.t i1 i2 >/dev/null
	wait_until ids_are svc.t i1,i2
	local t0=$(date +%s%3N)
	call unregister svc.t i1 >/dev/null
	# discovery, the replication services.json, leases.json, heartbeats
	wait_until ids_are svc.t i2
	[ "$(raw_ids svc.t)" = i2 ]
	[ "$(lease_ids svc.t)" = 1 ]
	run call heartbeat svc.t i1
	[ "$(jq -r '.failedInstances[0].errorCode' <<<"$output")" = data-not-found ]
	# the cleaner sees the tombstone: not counted as an instance
	wait_until metric_is artemis_table_tombstones 1
	metric_is artemis_table_instances 1
	# it stays a TTL (3 s), then goes like an expired lease (i2 is kept
	# alive meanwhile, so the one delete is the tombstone's)
	local seq=$(metric artemis_table_change_seq) k
	for ((k = 0; k < 50; k++)); do
		call heartbeat svc.t i2 >/dev/null
		metric_is artemis_table_tombstones 0 && break
		sleep 0.1
	done
	metric_is artemis_table_tombstones 0
	[ $(($(date +%s%3N) - t0)) -ge 2900 ]
	[ "$(metric artemis_table_change_seq)" = $((seq + 1)) ]
	metric_is artemis_table_instances 1
	ids_are svc.t i2
}

@test "a register of an unregistered instance revives it at once" {
	LEASE_TTL=60s CLEAN_INTERVAL=100ms artemis_config
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	call register svc.r i1 >/dev/null
	wait_until ids_are svc.r i1
	call unregister svc.r i1 >/dev/null
	wait_until ids_are svc.r ""
	wait_until metric_is artemis_table_tombstones 1
	call register svc.r i1 >/dev/null
	wait_until ids_are svc.r i1
	[ "$(raw_ids svc.r)" = i1 ]
	run call heartbeat svc.r i1
	[ "$(jq -r .responseStatus.status <<<"$output")" = success ]
	wait_until metric_is artemis_table_tombstones 0
	metric_is artemis_table_instances 1
}

@test "a full table: a tombstone gives its slot to a new register" {
	TABLE_CAPACITY=16 LEASE_TTL=60s CLEAN_INTERVAL=100ms artemis_config
	start_daemon artemis-registryd
	local k
	for ((k = 1; k <= 16; k++)); do
		[ "$(call register svc.cap "i$k" | jq -r .responseStatus.status)" = success ]
	done
	run call register svc.cap i17
	[ "$(jq -r .responseStatus.status <<<"$output")" = partial_fail ]
	[[ "$(jq -r '.failedInstances[0].errorMessage' <<<"$output")" = *"instance table is full" ]]
	call unregister svc.cap i3 i4 >/dev/null
	# at once, not a TTL (60 s) later
	run call register svc.cap i17
	[ "$(jq -r .responseStatus.status <<<"$output")" = success ]
	run call register svc.cap i18
	[ "$(jq -r .responseStatus.status <<<"$output")" = success ]
	run call register svc.cap i19
	[ "$(jq -r .responseStatus.status <<<"$output")" = partial_fail ]
	# re-registering an instance held needs no new slot
	run call register svc.cap i1
	[ "$(jq -r .responseStatus.status <<<"$output")" = success ]
	[ "$(raw_ids svc.cap | tr ',' '\n' | wc -l)" = 16 ]
}

@test "mass-expiry protection: a mass unregister lowers the peak when it happens, not when its tombstones go" {
	# 10 of 30 renewing is 33 % of the peak: without the decay at first sight
	# protection would engage within the 3 s window, 30 s before the
	# tombstones are cleaned
	LEASE_TTL=30s CLEAN_INTERVAL=100ms artemis_config "[lease]" "safe-time-window = 3s" \
	    "safe-percentage = 60" "safe-max-count-threshold = 20" "safe-max-hold = 1h"
	start_daemon artemis-registryd
	mass_unregister svc.dec
	metric_is artemis_table_tombstones 20
	metric_is artemis_table_instances 10
	metric_is 'artemis_lease_protection_engaged{manager="instance"}' 0
	! grep -q 'lease protection engaged' "$TMP/artemis-registryd.log"
}

@test "subscribers get the delete when the unregister is applied, and nothing when its tombstone goes" {
	LEASE_TTL=2s CLEAN_INTERVAL=100ms artemis_config
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	local ready=$TMP/ready k
	python3 "$BATS_TEST_DIRNAME/wsclient.py" "ws://127.0.0.1:$DISC_PORT/ws/discovery/instance-change" \
	    -s '{"serviceId":"svc.w"}' -t 6 --ready "$ready" > "$TMP/ws" 2>&1 &
	local ws=$!
	for ((k = 0; k < 300; k++)); do [ -e "$ready" ] && break; sleep 0.01; done
	[ -e "$ready" ]
	call register svc.w i1 >/dev/null
	wait_until ids_are svc.w i1
	call unregister svc.w i1 >/dev/null
	# the delete frame within a second (the tombstone stays 2 s)
	for ((k = 0; k < 100; k++)); do [ "$(grep -c '"delete"' "$TMP/ws")" = 1 ] && break; sleep 0.01; done
	[ "$(grep -c '"delete"' "$TMP/ws")" = 1 ]
	# the tombstone's cleaning pushes nothing more
	wait_until metric_is artemis_table_tombstones 1
	for ((k = 0; k < 50; k++)); do metric_is artemis_table_tombstones 0 && break; sleep 0.1; done
	metric_is artemis_table_tombstones 0
	wait "$ws" || :
	cat "$TMP/ws"
	[ "$(jq -r .changeType "$TMP/ws" | tr '\n' ' ')" = "new delete " ]
}
