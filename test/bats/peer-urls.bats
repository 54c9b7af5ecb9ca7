#!/usr/bin/env bats
# peer-urls: a peer is configured by one URL (its registryd), yet a Java client
# asking up-discovery-nodes.json must be sent to the peer's discoveryd. Without
# the nginx front door: every daemon of ours answers node.json with its node's
# advertised URLs in X-Artemis-Registry-Url / X-Artemis-Discovery-Url (the body
# stays Java's), the replicator learns them while polling and publishes them in
# cluster.view, and up-*-nodes list a peer by the learned URL of their kind.
# A peer that sends no such header (a Java node: a small python server here),
# or a bad one, is listed by its configured URL, as before. cluster.json keeps
# the configured URL (the node's identity).

load helpers

WS=$BATS_TEST_DIRNAME/wsclient.py

setup() {
	[ -x "$BIN/artemis-replicator" ] || skip "artemis-replicator not built yet"
	artemis_setup
	FAKE_PIDS=()
}

teardown() {
	local pid
	for pid in "${FAKE_PIDS[@]+"${FAKE_PIDS[@]}"}"; do
		kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || :
	done
	if [ -n "$TMP" ]; then artemis_teardown; fi
}

DAEMONS="artemis-registryd artemis-discoveryd artemis-replicator"


# fake_peer NAME [HEADER: VALUE...] — a Java-like peer: answers node.json with an
# up nodeStatus and the given extra headers (none: what a Java node sends), and
# any other POST (replication) with success. Sets FAKE_<NAME> to its base URL.
fake_peer() {
	local name=$1 portfile=$TMP/fake-$1.port i
	shift
	python3 - "$portfile" "$@" > "$TMP/fake-$name.log" 2>&1 <<'EOF' &
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

extra = [h.split(": ", 1) for h in sys.argv[2:]]

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ok = {"status": "success", "errorCode": "success", "message": ""}
        if self.path.endswith("/api/status/node.json"):
            host = "http://%s:%d" % self.server.server_address
            body = {"nodeStatus": {"allowDiscoveryFromOtherZone": True,
                    "allowRegistryFromOtherZone": True, "canServiceDiscovery": True,
                    "canServiceRegistry": True, "status": "up",
                    "node": {"url": host, "zone": {"metadata": None, "regionId": "sha",
                             "zoneId": "sha-z1"}}},
                    "responseStatus": ok}
        else:
            body = {"responseStatus": ok}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
EOF
	FAKE_PIDS+=("$!")
	for ((i = 0; i < 500; i++)); do [ -s "$portfile" ] && break; sleep 0.01; done
	[ -s "$portfile" ] || { echo "fake peer $name did not start" >&2; return 1; }
	eval "FAKE_$name=http://127.0.0.1:$(cat "$portfile")"
}

urls_of() {	# urls_of BASE PATH -> the listed node URLs, space-separated
	get_json "$1" "$2" | jq -r '[.nodes[]?.url] | join(" ")'
}

lists() {	# lists BASE PATH WANT
	[ "$(urls_of "$1" "$2")" = "$3" ]
}

# node.json response headers, lower-cased names
node_headers() {
	curl -sS -D - -o /dev/null -X POST -H 'Content-Type: application/json' -d '{}' \
	    "$1/api/status/node.json" | tr -d '\r' | tr 'A-Z' 'a-z'
}

@test "node.json: every daemon names its node's registry and discovery URLs in headers only" {
	node_start $DAEMONS
	local base h body
	for base in "$REG" "$DISC" "$REPL"; do
		h=$(node_headers "$base")
		grep -qxF "x-artemis-registry-url: $REG" <<<"$h"
		grep -qxF "x-artemis-discovery-url: $DISC" <<<"$h"
		# the body is Java's: nodeStatus and responseStatus, nothing more
		body=$(post_json "$base" /api/status/node.json '{}')
		[ "$(jq -c 'keys' <<<"$body")" = '["nodeStatus","responseStatus"]' ]
		[ "$(jq -c '.nodeStatus | keys' <<<"$body")" = \
		    '["allowDiscoveryFromOtherZone","allowRegistryFromOtherZone","canServiceDiscovery","canServiceRegistry","node","status"]' ]
	done
	# GET answers them too
	curl -sS -D - -o /dev/null "$REG/api/status/node.json" | tr -d '\r' |
	    grep -qixF "X-Artemis-Discovery-Url: $DISC"
}

@test "two nodes by registry URL: up-discovery-nodes sends clients to the peer's discoveryd; Java-like peers keep their configured URL" {
	fake_peer java
	fake_peer bad "X-Artemis-Discovery-Url: ftp://127.0.0.1:1/" \
	    "X-Artemis-Registry-Url: not a url"
	cluster_node_new a
	cluster_node_new b
	node_use a
	node_peers "sha-z1:$NODE_b_REG,$FAKE_java,$FAKE_bad"
	node_up $DAEMONS
	node_use b
	node_peers "sha-z1:$NODE_a_REG"
	node_up $DAEMONS

	# B's discovery URL is learned and listed in its place (order kept: this
	# node, then the peers as configured)
	wait_until_s 20 lists "$NODE_a_DISC" /api/cluster/up-discovery-nodes.json \
	    "$NODE_a_DISC $NODE_b_DISC $FAKE_java $FAKE_bad"
	# every daemon of A answers alike (all read the same cluster.view)
	lists "$NODE_a_REG" /api/cluster/up-discovery-nodes.json \
	    "$NODE_a_DISC $NODE_b_DISC $FAKE_java $FAKE_bad"
	lists "$NODE_a_REPL" "/api/cluster/up-discovery-nodes.json?regionId=sha&zoneId=sha-z1" \
	    "$NODE_a_DISC $NODE_b_DISC $FAKE_java $FAKE_bad"
	lists "$NODE_a_DISC" /api/cluster/up-registry-nodes.json \
	    "$NODE_a_REG $NODE_b_REG $FAKE_java $FAKE_bad"
	# B's registry URL is not what A gives discovery clients
	[[ "$(urls_of "$NODE_a_DISC" /api/cluster/up-discovery-nodes.json)" != *"$NODE_b_REG"* ]]
	# cluster.json names peers by their configured URL
	[ "$(get_json "$NODE_a_REG" /api/status/cluster.json | jq -r '[.nodesStatus[].node.url] | join(" ")')" = \
	    "$NODE_a_REG $NODE_b_REG $FAKE_java $FAKE_bad" ]
	# and so does B for A
	wait_until_s 20 lists "$NODE_b_REG" /api/cluster/up-discovery-nodes.json \
	    "$NODE_b_DISC $NODE_a_DISC"

	# what a Java client does with that list: lookup.json and the WebSocket at
	# the URL advertised for B reach B's discoveryd, with B's data
	node_use b
	run post_json "$REG" /api/registry/register.json "{\"instances\":[$(instance svc.urls i1)]}"
	[ "$(jq -r .responseStatus.status <<<"$output")" = success ]
	local adv
	adv=$(get_json "$NODE_a_DISC" /api/cluster/up-discovery-nodes.json | jq -r '.nodes[1].url')
	[ "$adv" = "$NODE_b_DISC" ]
	ids_at() {
		post_json "$adv" /api/discovery/lookup.json \
		    '{"discoveryConfigs":[{"serviceId":"svc.urls"}],"regionId":"sha","zoneId":"sha-z1"}' |
		    jq -r '.services[0].instances // [] | map(.instanceId) | join(",")'
	}
	wait_until_s 10 eval '[ "$(ids_at)" = i1 ]'
	run post_json "$adv" /api/discovery/lookup.json \
	    '{"discoveryConfigs":[{"serviceId":"svc.urls"}],"regionId":"sha","zoneId":"sha-z1"}'
	[ "$(last_status)" = 200 ]
	[ "$(jq -r '.services[0].instances[0].instanceId' <<<"$output")" = i1 ]
	run python3 "$WS" "${adv/http:/ws:}/ws/discovery/instance-change" --ping -t 1
	[ "$status" = 0 ]
	[[ "$output" == *PONG* ]]
	# the configured URL (B's registryd) would have refused both
	run post_json "$NODE_b_REG" /api/discovery/lookup.json \
	    '{"discoveryConfigs":[{"serviceId":"svc.urls"}],"regionId":"sha","zoneId":"sha-z1"}'
	[ "$(last_status)" = 404 ]

	# a bad header is ignored (debug log), the configured URL stands
	lists "$NODE_a_REG" /api/cluster/up-registry-nodes.json \
	    "$NODE_a_REG $NODE_b_REG $FAKE_java $FAKE_bad"

	# B goes away: it is no longer listed; back again, it is listed by its
	# discovery URL again
	node_kill b TERM $DAEMONS
	wait_until_s 20 lists "$NODE_a_DISC" /api/cluster/up-discovery-nodes.json \
	    "$NODE_a_DISC $FAKE_java $FAKE_bad"
	node_use b
	node_up $DAEMONS
	wait_until_s 20 lists "$NODE_a_DISC" /api/cluster/up-discovery-nodes.json \
	    "$NODE_a_DISC $NODE_b_DISC $FAKE_java $FAKE_bad"
}

@test "a replicator restarted on a cluster.view of the old layout keeps it readable and adds the URLs" {
	cluster_node_new a
	cluster_node_new b
	node_use a
	node_peers "sha-z1:$NODE_b_REG"
	node_up $DAEMONS
	node_use b
	node_peers "sha-z1:$NODE_a_REG"
	node_up $DAEMONS
	wait_until_s 20 lists "$NODE_a_DISC" /api/cluster/up-discovery-nodes.json \
	    "$NODE_a_DISC $NODE_b_DISC"
	# cut A's view back to the first area (what a replicator built before wrote)
	node_kill a TERM artemis-replicator
	node_use a
	local size
	size=$(stat -c %s "$STATE/cluster.view")
	python3 - "$STATE/cluster.view" <<'EOF'
import os, struct, sys
p = sys.argv[1]
with open(p, "rb") as f:
    data = f.read()
# the first area ends where the URLs area's magic ("ACLVURL1") starts
i = data.find(struct.pack("<Q", 0x314c5255564c4341))
assert i > 0, "no URLs area"
with open(p + ".old", "wb") as f:
    f.write(data[:i])
os.rename(p + ".old", p)
EOF
	[ "$(stat -c %s "$STATE/cluster.view")" -lt "$size" ]
	# A's daemons still read it (B listed by its configured URL meanwhile, or
	# stale: either way not by a URL the file no longer holds)
	run get_json "$NODE_a_REG" /api/status/cluster.json
	[ "$(jq -r '.nodesStatus[0].node.url' <<<"$output")" = "$NODE_a_REG" ]
	node_up artemis-replicator
	[ "$(stat -c %s "$STATE/cluster.view")" = "$size" ]
	grep -q "adding the peer URLs area" "$TMP/artemis-replicator.log"
	wait_until_s 20 lists "$NODE_a_DISC" /api/cluster/up-discovery-nodes.json \
	    "$NODE_a_DISC $NODE_b_DISC"
}
