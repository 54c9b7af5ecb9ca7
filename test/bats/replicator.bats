#!/usr/bin/env bats
# artemis-replicator: two (or three) real nodes on this machine, each with
# registryd + discoveryd + replicator, peers of each other. Peer health in
# cluster.json, register / heartbeat / unregister replication, no echo back,
# bootstrap of a force-up=false node, a lone force-up=false node stays starting.

load helpers

setup() {
	[ -x "$BIN/artemis-replicator" ] || skip "artemis-replicator not built yet"
	artemis_setup
}
teardown() { [ -n "$TMP" ] && artemis_teardown; }

# fast polls; a short TTL on B so that "kept alive by A's heartbeats" means something
fast_polls() {
	printf '[replicator]\nstatus-update-interval = 200ms\n' >> "$CONF"
}

start_node() {
	node_start artemis-registryd artemis-discoveryd artemis-replicator
}

# two nodes A and B, peers of each other
start_pair() {
	node_new a; fast_polls
	node_new b; fast_polls
	node_use a; node_peers "sha-z1:$NODE_b_REG"; start_node
	node_use b; node_peers "sha-z1:$NODE_a_REG"; start_node
}

register() {	# register SVC ID (on the current node)
	post_json "$REG" /api/registry/register.json "{\"instances\":[$(instance "$1" "$2")]}"
}

heartbeat() {
	post_json "$REG" /api/registry/heartbeat.json "{\"instances\":[$(instance "$1" "$2")]}"
}

unregister() {
	post_json "$REG" /api/registry/unregister.json "{\"instances\":[$(instance "$1" "$2")]}"
}


has_ids() { [ "$(ids_on "$1" "$2")" = "$3" ]; }

# within MS NODE SVC IDS — the lookup shows IDS within MS milliseconds
within() {
	local deadline=$(( $(date +%s%3N) + $1 ))
	while [ "$(date +%s%3N)" -lt "$deadline" ]; do
		has_ids "$2" "$3" "$4" && return 0
		sleep 0.02
	done
	echo "after $1 ms node $2 has '$(ids_on "$2" "$3")', want '$4'" >&2
	return 1
}

peer_up_in_cluster() {	# peer_up_in_cluster BASE PEER_URL
	get_json "$1" /api/status/cluster.json |
	    jq -e --arg u "$2" '.nodesStatus[] | select(.node.url == $u) | .status == "up"'
}


@test "two nodes: peer health, register, heartbeats, unregister, no echo" {
	start_pair
	# cluster view: every daemon of A reports B up (registryd, discoveryd, replicator)
	wait_until peer_up_in_cluster "$NODE_a_REG" "$NODE_b_REG"
	peer_up_in_cluster "$NODE_a_DISC" "$NODE_b_REG"
	peer_up_in_cluster "$NODE_a_REPL" "$NODE_b_REG"
	wait_until peer_up_in_cluster "$NODE_b_REG" "$NODE_a_REG"
	run get_json "$NODE_a_REG" /api/cluster/up-registry-nodes.json
	[ "$(jq -r '[.nodes[].url] | join(" ")' <<<"$output")" = "$NODE_a_REG $NODE_b_REG" ]

	# a register on A appears in B's lookup within a second
	node_use a
	run register svc.repl i1
	[ "$(jq -r .responseStatus.status <<<"$output")" = success ]
	within 1000 b svc.repl i1

	# A's clients keep heartbeating: B's copy outlives B's 4 s TTL
	for _ in $(seq 1 12); do
		heartbeat svc.repl i1 >/dev/null
		sleep 0.5
	done
	has_ids b svc.repl i1

	# the copy on B is of peer origin: B never sent anything back to A
	[ "$(metric "$NODE_b_REPL" 'artemis_replicator_tasks_sent_total')" = 0 ]
	[ "$(metric "$NODE_b_REPL" 'artemis_replicator_requests_total')" = 0 ]
	[ "$(metric "$NODE_b_REPL" 'artemis_replicator_peer_origin_skipped_total')" -ge 1 ]
	[ "$(metric "$NODE_a_REPL" 'artemis_replicator_tasks_sent_total{peer="'"$NODE_b_REG"'",kind="heartbeat"}')" -ge 5 ]
	[ "$(metric "$NODE_a_REPL" 'artemis_replicator_requests_total')" -ge 5 ]

	# an unregister on A removes it from B
	node_use a
	run unregister svc.repl i1
	[ "$(jq -r .responseStatus.status <<<"$output")" = success ]
	within 2000 b svc.repl ""
	within 1000 a svc.repl ""
}

@test "bootstrap: a force-up=false node comes up with its peer's instances" {
	node_new a; fast_polls
	start_node
	register svc.boot i1 >/dev/null
	register svc.boot i2 >/dev/null
	node_new c; fast_polls
	sed -i 's/^force-up = .*/force-up = false/' "$CONF"
	node_peers "sha-z1:$NODE_a_REG"
	start_node
	wait_until bash -c "curl -sS -X POST -H 'Content-Type: application/json' -d '{}' \
	    $NODE_c_REG/api/status/node.json | jq -e '.nodeStatus.status == \"up\"'"
	run get_json "$NODE_c_DISC" /api/status/node.json
	[ "$(jq -c '.nodeStatus | [.status, .canServiceRegistry, .canServiceDiscovery]' <<<"$output")" = '["up",true,true]' ]
	within 2000 c svc.boot i1,i2
	# and now it takes registrations of its own
	node_use c
	run register svc.boot i3
	[ "$(jq -r .responseStatus.status <<<"$output")" = success ]
}

@test "force-up=false without an up peer: stays starting; unreachable peer is unknown" {
	node_new d; fast_polls
	sed -i 's/^force-up = .*/force-up = false/' "$CONF"
	node_peers "sha-z1:http://127.0.0.1:$(free_port)/"
	start_node
	# several poll rounds pass
	wait_until bash -c "[ \$(curl -sS $REPL/metrics | awk '/^artemis_replicator_polls_failed_total/ {print \$NF}') -ge 3 ]"
	run get_json "$REG" /api/status/cluster.json
	[ "$(jq -c '[.nodesStatus[].status]' <<<"$output")" = '["starting","unknown"]' ]
	[ "$(jq -c '.nodesStatus[1].canServiceRegistry' <<<"$output")" = null ]
	run register svc.down i1
	[ "$(jq -r .responseStatus.errorCode <<<"$output")" = service-unavailable ]
	run get_json "$REG" /api/cluster/up-registry-nodes.json
	[ "$(jq -r .responseStatus.errorCode <<<"$output")" = data-not-found ]
	# SIGTERM: clean exit
	stop_daemon artemis-replicator
}
