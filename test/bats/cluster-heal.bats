#!/usr/bin/env bats
# cluster-heal: what an operator relies on when nodes die and come back. Real
# nodes on this machine (registryd + discoveryd + replicator each, peers of each
# other), a 2 s lease TTL, 100 ms cleaning and 100 ms peer polls:
#  - three nodes: a change made on any node is listed by every node;
#  - a peer killed with SIGKILL and restarted on its old state directory converges:
#    every live instance is on it, what was unregistered meanwhile is gone at
#    once (the unregisters it missed are sent again from the tombstones), and it
#    brings back nothing that the cluster dropped while it was away;
#  - a client whose node died fails over: heartbeat to another node, data-not-found
#    there, register (the Java client's path), and the returning node learns it;
#  - a force-up=false node bootstraps 5,000 instances and answers lookups exactly
#    as its peer does as soon as it reports up;
#  - replication never echoes: each change is applied once per node;
#  - a replicator restarted alone forwards what its clients did meanwhile,
#    unregisters included, well within a TTL.

load helpers

WS=$BATS_TEST_DIRNAME/wsclient.py

TTL_MS=2000
CLEAN_MS=100

setup() {
	[ -x "$BIN/artemis-replicator" ] || skip "artemis-replicator not built yet"
	export LEASE_TTL=${TTL_MS}ms CLEAN_INTERVAL=${CLEAN_MS}ms
	artemis_setup
	LOOPS=()
}

teardown() {
	local pid
	for pid in "${LOOPS[@]+"${LOOPS[@]}"}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || :; done
	if [ -n "$TMP" ]; then artemis_teardown; fi
}

DAEMONS="artemis-registryd artemis-discoveryd artemis-replicator"

# link_nodes NAME... — every named node lists all the others as peers
link_nodes() {
	local n m peers
	for n in "$@"; do
		peers=
		for m in "$@"; do
			[ "$m" = "$n" ] && continue
			local reg="NODE_${m}_REG"
			peers+="${peers:+,}${!reg}"
		done
		node_use "$n"
		node_peers "sha-z1:$peers"
	done
}

url() {		# url NODE REG|DISC|REPL
	local v="NODE_${1}_$2"
	echo "${!v}"
}

now_ms() { date +%s%3N; }


# peers_up NODE N — NODE's replicator sees N peers able to serve registry
peers_up() {
	[ "$(metric "$(url "$1" REPL)" 'artemis_replicator_peer_can_serve_registry{')" = "$2" ]
}

# peer_down NODE PEER — NODE's replicator no longer sends to PEER
peer_down() {
	[ "$(metric "$(url "$1" REPL)" "artemis_replicator_peer_can_serve_registry{peer=\"$(url "$2" REG)\"}")" = 0 ]
}

# resynced NODE PEER — NODE's replicator has sent PEER its first full resync
resynced() {
	[ "$(metric "$(url "$1" REPL)" "artemis_replicator_full_resyncs_total{peer=\"$(url "$2" REG)\"}")" -ge 1 ]
}

# start_cluster NAME... — create, link, start, wait for health and for every
# node's first full resync of every peer (so it does not come in the middle)
start_cluster() {
	local n m
	for n in "$@"; do cluster_node_new "$n"; done
	link_nodes "$@"
	for n in "$@"; do node_use "$n"; node_up $DAEMONS; done
	for n in "$@"; do wait_until_s 20 peers_up "$n" $(($# - 1)); done
	for n in "$@"; do
		for m in "$@"; do
			[ "$n" = "$m" ] || wait_until_s 20 resynced "$n" "$m"
		done
	done
}

body() {	# body SVC ID... -> {"instances":[...]}
	local s=$1 i out=
	shift
	for i in "$@"; do out+="${out:+,}$(instance "$s" "$i")"; done
	printf '{"instances":[%s]}' "$out"
}

call() {	# call NODE register|heartbeat|unregister SVC ID... (HTTP, on NODE)
	local n=$1 op=$2 s=$3
	shift 3
	post_json "$(url "$n" REG)" "/api/registry/$op.json" "$(body "$s" "$@")"
}

ok_call() {	# ok_call ...: call, and the answer is success
	local out
	out=$(call "$@")
	[ "$(jq -r .responseStatus.status <<<"$out")" = success ] || {
		echo "$2 on $1: $out" >&2
		return 1
	}
}


# within MS NODE SVC IDS — NODE's lookup shows exactly IDS within MS milliseconds
within() {
	local deadline=$(($(now_ms) + $1))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		[ "$(ids_on "$2" "$3")" = "$4" ] && return 0
		sleep 0.02
	done
	echo "after $1 ms node $2 lists '$(ids_on "$2" "$3")', want '$4'" >&2
	return 1
}

# within_has MS NODE SVC ID — NODE's lookup includes ID within MS milliseconds
within_has() {
	local deadline=$(($(now_ms) + $1))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		[[ ",$(ids_on "$2" "$3")," = *",$4,"* ]] && return 0
		sleep 0.02
	done
	echo "after $1 ms node $2 lists '$(ids_on "$2" "$3")', no $4" >&2
	return 1
}

# ---- an emulated Java client: heartbeats every 250 ms to one node; a failed
# instance with data-not-found or unknown is registered there at once (§12,
# java-client.md: the heartbeat reply is what makes the client register).

client_beat() {	# client_beat NODE SVC ID... — one heartbeat and its recovery
	local reg n=$1 s=$2 out again
	shift 2
	reg=$(url "$n" REG)
	out=$(curl -sS --max-time 2 -H 'Content-Type: application/json' \
	    --data-binary "$(body "$s" "$@")" "$reg/api/registry/heartbeat.json") || return 1
	again=$(jq -c '[.failedInstances[]? | select(.errorCode == "data-not-found" or
	    .errorCode == "unknown") | .instance]' <<<"$out") || return 1
	[ "$again" = "[]" ] && return 0
	curl -sS --max-time 2 -o /dev/null -H 'Content-Type: application/json' \
	    --data-binary "{\"instances\":$again}" "$reg/api/registry/register.json"
}

# client_set NAME ID... — the instances client NAME keeps alive (none: idle)
client_set() {
	local f=$TMP/client.$1
	{ flock 9; echo "${*:2}" > "$f"; } 9>"$f.lock"
}

# client_start NAME NODE SVC — client NAME heartbeats its set to NODE
client_start() {
	local f=$TMP/client.$1 n=$2 s=$3
	[ -f "$f" ] || : > "$f"
	(
		set +e		# a refused heartbeat is the point of some tests
		while :; do
			{
				flock 9
				ids=$(cat "$f")
				[ -z "$ids" ] || client_beat "$n" "$s" $ids
			} 9>"$f.lock"
			sleep 0.25
		done
	) >/dev/null 2>&1 3>&- &
	LOOPS+=($!)
	eval "CLIENT_$1=$!"
}

client_stop() {	# client_stop NAME
	local v="CLIENT_$1"
	kill "${!v}" 2>/dev/null || :
	wait "${!v}" 2>/dev/null || :
}

# sent_at_least NODE PEER KIND N — NODE's replicator had PEER accept N tasks
sent_at_least() {
	[ "$(metric "$(url "$1" REPL)" "artemis_replicator_tasks_sent_total{peer=\"$(url "$2" REG)\",kind=\"$3\"}")" -ge "$4" ]
}

# ws_beat NODE SVC ID... — one heartbeat over /ws/registry/heartbeat, as the Java
# client sends it; prints the reply
ws_beat() {
	local n=$1 s=$2 port
	shift 2
	port=$(url "$n" REG)
	port=${port##*:}
	python3 "$WS" "ws://127.0.0.1:$port/ws/registry/heartbeat" -s "$(body "$s" "$@")" \
	    -n 1 -t 5
}

# seq_is NODE N — NODE's table journal is at change N
seq_is() {
	[ "$(metric "$(url "$1" REG)" artemis_table_change_seq)" = "$2" ]
}

# tombstones NODE N — NODE's cleaner keeps N unregistered instances' tombstones
tombstones() {
	[ "$(metric "$(url "$1" REG)" artemis_table_tombstones)" = "$2" ]
}

# resent NODE PEER — unregisters NODE's replicator sent PEER again from tombstones
resent() {
	metric "$(url "$1" REPL)" "artemis_replicator_resync_unregisters_total{peer=\"$(url "$2" REG)\"}"
}

# wait_past MS — until the wall clock passes epoch MS (an outage of a set length)
wait_past() {
	while [ "$(now_ms)" -lt "$1" ]; do sleep 0.05; done
}

@test "three nodes: a register on A is listed by B and C; an unregister on B removes it everywhere" {
	start_cluster a b c
	# a client keeps both alive on A: with this file's 2 s TTL the checks
	# below may outlast an unrenewed lease on a loaded machine (CI did)
	ok_call a register svc.three i1 i2
	client_set k i1 i2; client_start k a svc.three
	within 2000 b svc.three i1,i2
	within 2000 c svc.three i1,i2
	within 500 a svc.three i1,i2
	client_set k i2	# returns once no heartbeat of i1 is in flight
	ok_call b unregister svc.three i1
	# i1's lease on A and C would only expire ~2 s after its last heartbeat:
	# gone within 1.5 s, it was the replicated unregister that removed it
	within 500 b svc.three i2
	within 1500 a svc.three i2
	within 1500 c svc.three i2
}

@test "three nodes: replication does not echo; each change is applied once per node" {
	start_cluster a b c
	local n seq0_a seq0_b seq0_c
	for n in a b c; do eval "seq0_$n=$(metric "$(url $n REG)" artemis_table_change_seq)"; done

	# register on A: one new lease on B and on C, nothing comes back to A
	ok_call a register svc.echo i1
	within 2000 b svc.echo i1
	within 2000 c svc.echo i1
	# A's client heartbeats: A replicates them, B and C renew (no journal record)
	ok_call a heartbeat svc.echo i1
	for n in b c; do
		wait_until sent_at_least a "$n" heartbeat 1
	done
	# unregister on A: one eviction on B and C (gone from lookups at once),
	# then their own cleaning of the tombstone a TTL later
	ok_call a unregister svc.echo i1
	within 2000 b svc.echo ""
	within 2000 c svc.echo ""
	within 2000 a svc.echo ""

	# register, evict, delete: three journal records on every node, no more
	for n in a b c; do
		local v="seq0_$n"
		wait_until seq_is $n $((${!v} + 3))
	done
	for n in a b c; do
		local v="seq0_$n"
		seq_is $n $((${!v} + 3))
	done
	# B and C forwarded nothing: every change they applied came from a peer.
	# Only a full resync after the unregister (a poll of a peer failed, slow
	# under ASan) sends again the unregister of i1's tombstone, which changes
	# nothing on the peers
	for n in b c; do
		local q="artemis_replicator_tasks_queued_total{kind="
		[ "$(metric "$(url $n REPL)" "$q\"register\"}")" = 0 ]
		[ "$(metric "$(url $n REPL)" "$q\"heartbeat\"}")" = 0 ]
		[ "$(metric "$(url $n REPL)" "$q\"unregister\"}")" = \
		    "$(metric "$(url $n REPL)" artemis_replicator_resync_unregisters_total)" ]
		[ "$(metric "$(url $n REPL)" artemis_replicator_peer_origin_skipped_total)" = 2 ]
	done
	# A sent each change once to each peer (and the unregister again in a
	# full resync after it, if a poll of that peer failed meanwhile)
	for n in b c; do
		local p="{peer=\"$(url $n REG)\""
		[ "$(metric "$(url a REPL)" "artemis_replicator_tasks_sent_total$p,kind=\"register\"}")" = 1 ]
		[ "$(metric "$(url a REPL)" "artemis_replicator_tasks_sent_total$p,kind=\"unregister\"}")" = $((1 + $(resent a $n))) ]
		[ "$(metric "$(url a REPL)" "artemis_replicator_tasks_failed_total$p}")" = 0 ]
	done
}

@test "a peer killed and restarted on its old state converges, and brings nothing back" {
	# a 4 s TTL: the outage below must stay shorter than a TTL, and with 2 s
	# the steps of the outage alone took longer under ASan on a busy machine
	export LEASE_TTL=4s
	TTL_MS=4000
	start_cluster a b
	# clients: "ca" keeps i1 i2 i3 alive on A, "cb" keeps i6 alive on B
	ok_call a register svc.heal i1 i2 i3
	ok_call b register svc.heal i6
	client_set ca i1 i2 i3; client_start ca a svc.heal
	client_set cb i6; client_start cb b svc.heal
	within 2000 a svc.heal i1,i2,i3,i6
	within 2000 b svc.heal i1,i2,i3,i6

	# B's registryd and replicator die (its discoveryd stays, on the old table)
	node_kill b KILL artemis-registryd artemis-replicator
	local down=$(now_ms)
	wait_until peer_down a b
	# meanwhile: i6's client fails over to A and its application stops there
	# (unregister); i4 is new; i2's application stops; i1 i3 i4 are kept alive
	client_stop cb
	ok_call a unregister svc.heal i6
	ok_call a register svc.heal i4
	client_set ca i1 i3 i4
	ok_call a unregister svc.heal i2
	within 2000 a svc.heal i1,i3,i4
	# the outage is shorter than a TTL: i6's lease on B was renewed by its
	# client less than a TTL before B comes back
	[ $(($(now_ms) - down)) -lt $((TTL_MS - 500)) ]
	local seq_a=$(metric "$(url a REG)" artemis_table_change_seq)

	# B comes back on its old state directory
	node_use b
	node_up artemis-registryd artemis-replicator
	# every live instance is on B within a TTL (A sends B every live lease),
	# and what was unregistered meanwhile (i2, i6) is gone with it: A sends B
	# the unregisters of its tombstones (B's registryd re-armed every lease it
	# found in its table, so expiry would also remove them, a TTL after the
	# restart: with a TTL of seconds timing cannot tell the two apart, the
	# resync counter does; the 60 s TTL scenarios below time it)
	wait_until peers_up a 1
	wait_until peers_up b 1
	within 3000 b svc.heal i1,i3,i4
	[ "$(resent a b)" -ge 2 ]
	within 500 a svc.heal i1,i3,i4

	# B's replicator did send A its full resync, but nothing in it was news:
	# no lease of B's stale table (i6) came back to A. A's journal moves only
	# by the cleaning of its two tombstones, a TTL after the unregisters
	[ "$(metric "$(url b REPL)" "artemis_replicator_full_resyncs_total{peer=\"$(url a REG)\"}")" -ge 1 ]
	[ "$(metric "$(url a REPL)" "artemis_replicator_full_resyncs_total{peer=\"$(url b REG)\"}")" -ge 1 ]
	wait_until_s 10 seq_is a $((seq_a + 2))
	within 500 b svc.heal i1,i3,i4
	seq_is a $((seq_a + 2))
}

@test "a client fails over: heartbeat to B, data-not-found, register on B; A learns it when it returns" {
	start_cluster a b
	# the Java client's first heartbeat to A gets data-not-found and registers
	client_set c X Y Z; client_start c a svc.fo
	within 2000 a svc.fo X,Y,Z
	within 2000 b svc.fo X,Y,Z

	# node A dies whole
	node_kill a KILL $DAEMONS
	local down=$(now_ms)
	client_stop c
	# X's client fails over to B at once: B knows X (replicated), renewals succeed
	client_set x X; client_start x b svc.fo
	# Z's application stops: it unregisters on B
	ok_call b unregister svc.fo Z
	# Y's client is slow to fail over: B's copy (renewed only by A) expires
	within $((TTL_MS + CLEAN_MS + 1500)) b svc.fo X
	# its heartbeat to B gets data-not-found, over the WebSocket as over HTTP...
	run ws_beat b svc.fo Y
	[ "$status" = 0 ]
	[ "$(jq -c '[.responseStatus.status, .failedInstances[0].errorCode,
	    .failedInstances[0].instance.instanceId]' <<<"$output")" = '["partial_fail","data-not-found","Y"]' ]
	# ...so the client registers Y there, and its next heartbeat succeeds
	ok_call b register svc.fo Y
	run ws_beat b svc.fo Y
	[ "$(jq -r .responseStatus.status <<<"$output")" = success ]
	client_set x X Y
	within 1000 b svc.fo X,Y
	wait_past $((down + TTL_MS + 200))
	# Z's tombstone on B is cleaned a TTL after its unregister: A, back after
	# that, is not told and expires Z itself
	wait_until tombstones b 0
	local seq_b=$(metric "$(url b REG)" artemis_table_change_seq)

	# A comes back on its old state: its table still holds X Y Z (re-armed).
	# X and Y are renewed there by B's heartbeats, Z expires within TTL + cleaning
	node_use a
	node_up $DAEMONS
	wait_until peers_up a 1
	wait_until peers_up b 1
	within $((TTL_MS + CLEAN_MS + 1500)) a svc.fo X,Y
	within 500 b svc.fo X,Y
	[ "$(metric "$(url b REPL)" "artemis_replicator_full_resyncs_total{peer=\"$(url a REG)\"}")" -ge 1 ]
	# A's stale Z never came back to B
	[ "$(metric "$(url b REG)" artemis_table_change_seq)" = "$seq_b" ]
}

# lookup_all NODE — every svc.big.* service in NODE's lookup, instances sorted
lookup_all() {
	local cfgs
	cfgs=$(jq -cn '[range(20) | {serviceId: "svc.big.\(.)"}]')
	post_json "$(url "$1" DISC)" /api/discovery/lookup.json \
	    "{\"discoveryConfigs\":$cfgs,\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}" |
	    jq -cS '.services | map(.instances |= sort_by(.instanceId)) | sort_by(.serviceId)'
}

node_is_up() {	# node_is_up BASE — node.json of that daemon says up
	post_json "$1" /api/status/node.json '{}' | jq -e '.nodeStatus.status == "up"'
}

@test "bootstrap: a new node takes 5,000 instances from its peer and answers lookups as it does once up" {
	# the registrations are not renewed here: a TTL that outlasts the test
	export LEASE_TTL=60s
	cluster_node_new a
	cluster_node_new c
	sed -i 's/^force-up = .*/force-up = false/' "$CONF"
	link_nodes a c
	node_use a
	node_up $DAEMONS
	local k
	for k in $(seq 0 19); do
		post_json "$(url a REG)" /api/registry/register.json "$(jq -cn --arg s svc.big.$k '
		    {instances: [range(250) as $i | {regionId: "sha", zoneId: "sha-z1",
		     serviceId: $s, instanceId: "\($s)-\($i)", ip: "10.1.\($i % 250).\($i / 250 | floor)",
		     port: 8080, url: "http://10.1.0.\($i % 250):8080/\($s)", status: "up",
		     metadata: {n: "\($i)"}}]}')" > "$TMP/out"
		[ "$(jq -r .responseStatus.status "$TMP/out")" = success ]
	done
	[ "$(metric "$(url a REG)" artemis_table_instances)" = 5000 ]

	node_use c
	node_up $DAEMONS
	# the moment C's discoveryd says up, its lookups are A's
	wait_until node_is_up "$(url c DISC)"
	lookup_all c > "$TMP/c.json"
	lookup_all a > "$TMP/a.json"
	[ "$(jq 'map(.instances | length) | add' "$TMP/a.json")" = 5000 ]
	cmp "$TMP/a.json" "$TMP/c.json"
	[ "$(metric "$(url c REG)" artemis_table_instances)" = 5000 ]
	[ "$(metric "$(url c REPL)" artemis_replicator_bootstrap_registered_total)" = 5000 ]
}

@test "a node's replicator restarts: what its clients did meanwhile reaches the peers" {
	# a TTL that outlasts the test: only replication can explain what B drops
	export LEASE_TTL=60s
	start_cluster a b
	client_set c i0; client_start c a svc.rr
	within 2000 b svc.rr i0
	node_kill a KILL artemis-replicator
	# while A's replicator is away, A's clients register i1 and unregister i0
	client_set c i1
	ok_call a unregister svc.rr i0
	within 2000 a svc.rr i1
	node_use a
	node_up artemis-replicator
	# the restarted replicator finds B up and sends it every live lease of A's
	# clients (i1) and the unregister of every tombstone of A's table (i0): B
	# lists i1 only at once, 59 s before i0's lease could have expired there
	within 2000 b svc.rr i1
	[ "$(resent a b)" -ge 1 ]
	# a register of the same instance brings it back everywhere
	ok_call a register svc.rr i0
	within 2000 b svc.rr i0,i1
	within 500 a svc.rr i0,i1
}

@test "a peer down while an unregister is made drops the instance within seconds of coming back" {
	export LEASE_TTL=60s
	start_cluster a b
	ok_call a register svc.down i1 i2
	within 2000 b svc.down i1,i2
	# B dies whole
	node_kill b KILL $DAEMONS
	wait_until peer_down a b
	ok_call a unregister svc.down i1
	within 500 a svc.down i2
	# B comes back on its old state: its table still holds i1 (re-armed for
	# 60 s); A sees it up and sends it the unregister it missed
	node_use b
	node_up $DAEMONS
	wait_until peers_up a 1
	within 3000 b svc.down i2
	[ "$(resent a b)" -ge 1 ]
	# and B's own full resync sent nothing back to A
	within 500 a svc.down i2
}
