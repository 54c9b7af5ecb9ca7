#!/usr/bin/env bats
# audit-cluster: the cluster side against core-contract §5.8-5.10, §9, §10
# (session 6). What a Java peer or client could tell apart: the answers of the
# replication endpoints to bad input, and a node that names itself among its
# peers by another URL (§9.1's note: Java's shipped sample replicates to
# itself) must not replicate to itself.

load helpers

setup() {
	[ -x "$BIN/artemis-replicator" ] || skip "artemis-replicator not built yet"
	artemis_setup
}
teardown() { [ -n "$TMP" ] && artemis_teardown; }



has_ids() { [ "$(ids_on "$1" "$2")" = "$3" ]; }

node_listed_up() {	# node_listed_up BASE URL — cluster.json has URL up
	get_json "$1" /api/status/cluster.json |
	    jq -e --arg u "$2" '.nodesStatus[] | select(.node.url == $u) | .status == "up"'
}

caught_up() {	# caught_up — A's replicator has read A's journal to its end
	local seq
	seq=$(metric "$NODE_a_REG" artemis_table_change_seq)
	[ "$seq" -gt 0 ] && [ "$(metric "$NODE_a_REPL" artemis_replicator_journal_seq)" -ge "$seq" ]
}

@test "§9.1: a node naming itself by another URL does not replicate to itself" {
	cluster_node_new a
	cluster_node_new b
	SELF=http://localhost:$NODE_a_REG_PORT
	node_use a; node_peers "sha-z1:$SELF,$NODE_b_REG"
	node_start artemis-registryd artemis-discoveryd artemis-replicator
	# the loopback spelling is polled and listed, as Java lists it
	wait_until_s 10 node_listed_up "$NODE_a_REG" "$SELF"
	post_json "$REG" /api/registry/register.json "{\"instances\":[$(instance s1 x)]}" >/dev/null
	[ "$(last_status)" = 200 ]
	wait_until_s 10 caught_up
	# B arrives after the register: A's catching up must hand it x (a register
	# A had replicated to itself became a peer's, and was never re-sent)
	node_use b; node_peers "sha-z1:$NODE_a_REG"
	node_start artemis-registryd artemis-discoveryd artemis-replicator
	wait_until_s 10 has_ids b s1 x
	# nothing ever went to the node itself, and it is no replication target
	[ "$(metric "$NODE_a_REPL" "artemis_replicator_requests_total{peer=\"$SELF\"}")" = 0 ]
	[ "$(metric "$NODE_a_REPL" "artemis_replicator_tasks_sent_total{peer=\"$SELF\"")" = 0 ]
	[ "$(metric "$NODE_a_REPL" "artemis_replicator_peer_can_serve_registry{peer=\"$SELF\"}")" = 0 ]
	node_listed_up "$NODE_a_REG" "$SELF"
	# the loopback entry advertises A's own URLs: up-*-nodes list each URL once
	run get_json "$NODE_a_REG" "/api/cluster/up-registry-nodes.json?regionId=sha&zoneId=sha-z1"
	[ "$(jq -c '[.nodes[].url]' <<<"$output")" = "[\"$NODE_a_REG\",\"$NODE_b_REG\"]" ]
	run get_json "$NODE_a_REG" "/api/cluster/up-discovery-nodes.json?regionId=sha&zoneId=sha-z1"
	[ "$(jq -c '[.nodes[].url]' <<<"$output")" = "[\"$NODE_a_DISC\",\"$NODE_b_DISC\"]" ]
	# A's client's unregister still reaches B
	post_json "$NODE_a_REG" /api/registry/unregister.json "{\"instances\":[$(instance s1 x)]}" >/dev/null
	wait_until_s 10 has_ids b s1 ""
	[ "$(metric "$NODE_a_REPL" "artemis_replicator_requests_total{peer=\"$SELF\"}")" = 0 ]
}

@test "§5.10: replication endpoints answer bad input as Java's RegistryTool" {
	node_start artemis-registryd
	local op out
	for op in register heartbeat unregister; do
		# no instances: bad-request, nothing per instance
		for body in '{}' '{"instances":null}' '{"instances":[]}'; do
			out=$(post_json "$REG" /api/replication/registry/$op.json "$body")
			[ "$(last_status)" = 200 ]
			[ "$(jq -c '[.failedInstances, .responseStatus.errorCode, .responseStatus.message]' <<<"$out")" = \
			    '[null,"bad-request","request.instances is null or empty."]' ]
		done
		# a null element is skipped (Java: continue), the request succeeds
		out=$(post_json "$REG" /api/replication/registry/$op.json '{"instances":[null]}')
		[ "$(jq -c '[.failedInstances, .responseStatus.errorCode]' <<<"$out")" = '[null,"success"]' ]
		# another zone is fine on this path (no zone check), another region is not
		out=$(post_json "$REG" /api/replication/registry/$op.json \
		    "{\"instances\":[$(instance s1 z '.zoneId="other"')]}")
		[ "$(jq -r .responseStatus.errorCode <<<"$out")" = success ]
		out=$(post_json "$REG" /api/replication/registry/$op.json \
		    "{\"instances\":[$(instance s1 r '.regionId="xx"')]}")
		[ "$(jq -c '[.responseStatus.status, .responseStatus.message, .failedInstances[0].errorCode]' <<<"$out")" = \
		    '["partial_fail","","no-permission"]' ]
		# GET is Spring's 405
		get_json "$REG" /api/replication/registry/$op.json >/dev/null
		[ "$(last_status)" = 405 ]
	done
	# a replicated heartbeat for an unknown instance registers it (upsert)
	out=$(post_json "$REG" /api/replication/registry/heartbeat.json "{\"instances\":[$(instance s2 h)]}")
	[ "$(jq -r .responseStatus.errorCode <<<"$out")" = success ]
	out=$(post_json "$REG" /api/replication/registry/services.json '{"regionId":"sha"}')
	[ "$(jq -c '[.services[] | select(.serviceId == "s2") | .instances[].instanceId]' <<<"$out")" = '["h"]' ]
	# services.json: regionId required on GET, region compared, zone ignored
	get_json "$REG" /api/replication/registry/services.json >/dev/null
	[ "$(last_status)" = 400 ]
	out=$(post_json "$REG" /api/replication/registry/services.json '{}')
	[ "$(jq -c '[.services, .responseStatus.errorCode]' <<<"$out")" = '[null,"no-permission"]' ]
	out=$(post_json "$REG" /api/replication/registry/services.json '{"regionId":"sha","zoneId":"elsewhere"}')
	[ "$(jq -r .responseStatus.errorCode <<<"$out")" = success ]
}
