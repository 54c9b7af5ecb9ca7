#!/usr/bin/env bats
# Server operations (operate-server.json) on registered instances, end to end
# (management-contract §6.2, core-contract §7.5): a pull-out hides every
# instance on the ip in every service, whatever the case of the ip, and pushes
# "delete"; a pull-in shows them again with "new"; services without an instance
# there are left alone. discoveryd finds the services through each service's
# filter of instance ips, so this also covers filters built by the initial load,
# by re-renderings and for a service of many instances.

load helpers

WS=$BATS_TEST_DIRNAME/wsclient.py

setup() {
	local d
	for d in artemis-registryd artemis-discoveryd artemis-mgmtd; do
		[ -x "$BIN/$d" ] || skip "$d not built yet"
	done
	LEASE_TTL=120s artemis_setup
	LEASE_TTL=120s artemis_config "[registryd]" "max-instances-per-request = 1000"
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	start_daemon artemis-mgmtd
}
teardown() { [ -n "$TMP" ] && artemis_teardown; }

OK='{"responseStatus":{"errorCode":"success","message":"","status":"success"}}'

# reg SERVICE ID IP... — register instances (region sha), one per IP, ids ID-0..
reg() {
	local s=$1 id=$2
	shift 2
	post_json "$REG" /api/registry/register.json "$(jq -cn --arg s "$s" --arg i "$id" \
	    '{instances: [$ARGS.positional | to_entries[] | {regionId:"sha",zoneId:"sha-z1",
	      serviceId:$s,instanceId:($i + "-" + (.key | tostring)),ip:.value,port:8080,
	      url:("http://" + .value + ":8080/"),status:"up"}]}' --args "$@")" |
	    jq -e '.responseStatus.status == "success"' >/dev/null
}

ids() {
	post_json "$DISC" /api/discovery/lookup.json \
	    "{\"discoveryConfigs\":[{\"serviceId\":\"$1\"}],\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}" |
	    jq -c '[.services[0].instances[]?.instanceId] | sort'
}

eventually() {
	local want=$1; shift
	wait_until eval '[ "$('"$*"')" = "$want" ]' || {
		echo "want $want, got $("$@")"
		return 1
	}
}

server() {	# IP pullout|pullin
	[ "$(post_json "$MGMT" /api/management/operate-server.json \
	    "{\"serverKey\":{\"regionId\":\"sha\",\"serverId\":\"$1\"},\"operation\":\"pullout\",\"operationComplete\":$([ "$2" = pullin ] && echo true || echo false),\"operatorId\":\"bats\",\"token\":\"t\"}")" = "$OK" ]
}

@test "server pull-out and pull-in: every service with an instance on the ip, any case, pushed" {
	reg so.a a 10.7.0.1 10.7.0.2
	reg so.b b 10.7.0.1 HOST-X
	reg so.c c 10.7.0.3
	# many instances, one on the server
	local ips=() i
	for ((i = 0; i < 300; i++)); do ips+=("10.8.$((i / 200)).$((i % 200))"); done
	ips[123]=10.7.0.1
	reg so.d d "${ips[@]}"
	eventually 300 eval 'ids so.d | jq length'
	eventually '["b-0","b-1"]' ids so.b

	python3 "$WS" "ws://127.0.0.1:$DISC_PORT/ws/discovery/instance-change" \
	    -s '{"serviceId":"so.b"}' -n 4 -t 10 --ready "$TMP/ws.ready" > "$TMP/ws.out" 2>&1 &
	local ws=$!
	for ((i = 0; i < 500; i++)); do [ -e "$TMP/ws.ready" ] && break; sleep 0.01; done
	[ -e "$TMP/ws.ready" ]

	server 10.7.0.1 pullout
	eventually '["a-1"]' ids so.a
	eventually '["b-1"]' ids so.b
	eventually 299 eval 'ids so.d | jq length'
	ids so.d | jq -e 'index("d-123") == null'
	[ "$(ids so.c)" = '["c-0"]' ]
	# the ip of an instance is matched as management keys servers: lower case
	server host-x pullout
	eventually '[]' ids so.b
	server 10.7.0.1 pullin
	eventually '["a-0","a-1"]' ids so.a
	eventually '["b-0"]' ids so.b
	eventually 300 eval 'ids so.d | jq length'
	server HOST-X pullin
	eventually '["b-0","b-1"]' ids so.b
	wait $ws
	cat "$TMP/ws.out"
	[ "$(jq -sc '[.[] | [.changeType, .instance.instanceId]]' "$TMP/ws.out")" = \
	    '[["delete","b-0"],["delete","b-1"],["new","b-0"],["new","b-1"]]' ]
}

@test "server pull-out after the service changed, and of an ip that arrives later" {
	reg so.e e 10.9.0.1 10.9.0.2
	eventually '["e-0","e-1"]' ids so.e
	# a re-rendering (a new instance) rebuilds the service's filter
	reg so.e f 10.9.0.5
	eventually '["e-0","e-1","f-0"]' ids so.e
	server 10.9.0.5 pullout
	eventually '["e-0","e-1"]' ids so.e
	# registered while its server is out: hidden from the start
	reg so.g g 10.9.0.5 10.9.0.6
	eventually '["g-1"]' ids so.g
	server 10.9.0.5 pullin
	eventually '["e-0","e-1","f-0"]' ids so.e
	eventually '["g-0","g-1"]' ids so.g
}

@test "server pull-out reaches services loaded at start" {
	reg so.h h 10.10.0.1 10.10.0.2
	reg so.i i 10.10.0.2
	eventually '["i-0"]' ids so.i
	# discoveryd restarted: the filters come from its initial load
	stop_daemon artemis-discoveryd
	start_daemon artemis-discoveryd
	eventually '["h-0","h-1"]' ids so.h
	server 10.10.0.2 pullout
	eventually '["h-0"]' ids so.h
	eventually '[]' ids so.i
	server 10.10.0.2 pullin
	eventually '["h-0","h-1"]' ids so.h
	eventually '["i-0"]' ids so.i
}
