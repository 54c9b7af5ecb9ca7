#!/usr/bin/env bats
# artemis(1) against real daemons: queries, register, status, management, and the
# exit codes (0 ok, 1 server failure, 2 usage, 3 connection, 4 not found).

load helpers

setup() {
	artemis_setup
	A=("$BIN/artemis" -f "$CONF")
}

teardown() {
	[ -n "${REG_CLI_PID:-}" ] && kill -TERM "$REG_CLI_PID" 2>/dev/null && wait "$REG_CLI_PID" 2>/dev/null
	artemis_teardown
}

need() {
	local d
	for d in "$@"; do
		[ -x "$BIN/$d" ] || skip "$d not built"
	done
}

@test "daemon not running: message names the URL, exit 3" {
	run "${A[@]}" service list
	[ "$status" -eq 3 ]
	[[ "$output" == *"$DISC"* ]]
	run "${A[@]}" status
	[ "$status" -eq 3 ]
	[[ "$output" == *"$REG"* ]]
	run "${A[@]}" instance pull-out --service-id s --instance-id i
	[ "$status" -eq 3 ]
	[[ "$output" == *"$MGMT"* ]]
}

@test "missing argument: usage, exit 2" {
	run "${A[@]}" service get
	[ "$status" -eq 2 ]
	run "${A[@]}" instance pull-out --service-id s
	[ "$status" -eq 2 ]
	[[ "$output" == *"--instance-id"* ]]
	run "${A[@]}" register --url http://x:1/
	[ "$status" -eq 2 ]
}

@test "register -- CMD: registered exactly while the command lives" {
	need artemis-registryd artemis-discoveryd
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	"${A[@]}" register --service-id cli.demo --url http://10.0.0.9:8080/demo \
		--metadata color=blue --interval 500ms -- sleep 3 &
	REG_CLI_PID=$!
	wait_until "${A[@]}" service get cli.demo
	run "${A[@]}" service get cli.demo --json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.instances[0].instanceId' <<<"$output")" = "10.0.0.9:8080" ]
	[ "$(jq -r '.instances[0].metadata.color' <<<"$output")" = "blue" ]
	run "${A[@]}" service list
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[].serviceId' <<<"$output")" = "cli.demo" ]
	run "${A[@]}" instance list cli.demo
	[ "$(jq length <<<"$output")" -eq 1 ]
	run "${A[@]}" instance list --local
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].serviceId' <<<"$output")" = "cli.demo" ]
	# the command ends: exit status is the command's, the instance is gone
	wait "$REG_CLI_PID"
	REG_CLI_PID=
	run "${A[@]}" instance list --local
	[ "$output" = "[]" ]
}

@test "register: heartbeats keep the lease past its TTL; SIGTERM unregisters" {
	need artemis-registryd
	LEASE_TTL=2s artemis_config
	start_daemon artemis-registryd
	"${A[@]}" register --service-id cli.hb --url http://10.0.0.8:80/ --interval 300ms &
	REG_CLI_PID=$!
	wait_until sh -c "'$BIN/artemis' -f '$CONF' instance list --local | grep -q cli.hb"
	sleep 3	# longer than the TTL: only heartbeats keep it
	run "${A[@]}" instance list --local cli.hb
	[ "$(jq length <<<"$output")" -eq 1 ]
	kill -TERM "$REG_CLI_PID"
	rc=0; wait "$REG_CLI_PID" || rc=$?
	REG_CLI_PID=
	[ "$rc" -eq 0 ]
	wait_until sh -c "[ \"\$('$BIN/artemis' -f '$CONF' instance list --local cli.hb)\" = '[]' ]"
}

@test "service get of an unknown service: exit 4" {
	need artemis-registryd artemis-discoveryd
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	run "${A[@]}" service get no.such.service
	[ "$status" -eq 4 ]
	[[ "$output" == *"not found"* ]]
}

@test "status: node up, lease protection state, JSON when piped" {
	need artemis-registryd
	start_daemon artemis-registryd
	run "${A[@]}" status
	[ "$status" -eq 0 ]
	[ "$(jq -r .node.status <<<"$output")" = "up" ]
	[ "$(jq -r .leases.isSafe <<<"$output")" = "true" ]
}

@test "server-reported failure: message printed, exit 1" {
	need artemis-registryd
	start_daemon artemis-registryd
	# an instance of another region is refused by the registry
	run "${A[@]}" register --service-id x --url http://10.0.0.1:1/ --region elsewhere
	[ "$status" -eq 1 ]
	[[ "$output" == *"no-permission"* ]]
}

@test "instance pull-out / pull-in through mgmtd, and its log" {
	need artemis-mgmtd
	start_daemon artemis-mgmtd
	run "${A[@]}" instance pull-out --service-id cli.svc --instance-id i-1 --operator bob
	[ "$status" -eq 0 ]
	run "${A[@]}" log instance --service-id cli.svc
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].operatorId' <<<"$output")" = "bob" ]
	[ "$(jq -r '.[0].complete' <<<"$output")" = "false" ]
	run "${A[@]}" instance pull-in --service-id cli.svc --instance-id i-1 --operator bob
	[ "$status" -eq 0 ]
	run "${A[@]}" log instance --service-id cli.svc --complete true
	[ "$(jq length <<<"$output")" -eq 1 ]
	run "${A[@]}" server pull-out --ip 10.0.0.1
	[ "$status" -eq 0 ]
	run "${A[@]}" zone pull-out --service-id cli.svc --zone sha-z1
	[ "$status" -eq 0 ]
	run "${A[@]}" log zone --service-id cli.svc
	[ "$(jq -r '.[0].zoneId' <<<"$output")" = "sha-z1" ]
}

@test "up runs the real daemons and stops them on SIGINT" {
	need artemis-registryd artemis-discoveryd artemis-mgmtd artemis-replicator
	"$BIN/artemis" up -f "$CONF" > "$TMP/up.log" 2>&1 &
	local pid=$!
	wait_http "$MGMT/health" 2000
	wait_until grep -q "node ready" "$TMP/up.log"
	kill -INT "$pid"
	rc=0; wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
}

@test "watch: one JSON change per line; reconnects after discoveryd restarts" {
	need artemis-registryd artemis-discoveryd
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	"${A[@]}" watch cli.w > "$TMP/watch.out" 2> "$TMP/watch.err" &
	local wpid=$!
	DAEMON_PIDS+=("$wpid")
	# subscriptions are not acknowledged: register until a change shows up
	wait_until sh -c "'$BIN/artemis' -f '$CONF' register --service-id cli.w \
		--url http://10.0.0.7:1/ --instance-id w1 -- true; grep -q w1 '$TMP/watch.out'"
	[ "$(head -1 "$TMP/watch.out" | jq -r .instance.serviceId)" = "cli.w" ]
	stop_daemon artemis-discoveryd
	start_daemon artemis-discoveryd
	wait_until grep -q reconnecting "$TMP/watch.err"
	wait_until sh -c "'$BIN/artemis' -f '$CONF' register --service-id cli.w \
		--url http://10.0.0.7:1/ --instance-id w2 -- true; grep -q w2 '$TMP/watch.out'"
	kill -TERM "$wpid"
	rc=0; wait "$wpid" || rc=$?
	[ "$rc" -eq 0 ]
	# every line is one JSON object
	jq -e . "$TMP/watch.out" > /dev/null
}

@test "watch: daemon not running, exit 3" {
	run "${A[@]}" watch
	[ "$status" -eq 3 ]
	[[ "$output" == *"$DISC"* ]]
}
