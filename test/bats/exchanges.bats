#!/usr/bin/env bats
# Wire fidelity against the Java server: test/replay-exchanges.py replays the 47
# raw exchanges captured from Java Artemis 1.5.16 (test/fixtures/java-exchanges.md,
# a copy of spec/java-exchanges.md) in order against registryd, discoveryd and
# mgmtd, configured like the captured node (region SHA, zone sha-z1, lease TTL
# 20 s, clean interval 100 ms), and compares each answer with the recording:
# status, CORS / Content-Type / Content-Encoding / Vary / Allow headers, and the
# JSON body with key order, nulls and empty lists. What the server generates
# (versions, times, lease counters) is compared by type; deviations recorded in
# docs/compat.md are printed, not failed. The replay runs once (setup_file);
# each test reports one exchange: `bats -t` or a failure shows the differences.
#
# By hand, with daemons of your own:
#   test/replay-exchanges.py --registry URL --discovery URL --management URL \
#       --out /tmp/r.jsonl -v [--trace]

load helpers

setup_file() {
	local d
	for d in artemis-registryd artemis-discoveryd artemis-mgmtd; do
		[ -x "$BIN/$d" ] || skip "$d not built yet"
	done
	LEASE_TTL=20s CLEAN_INTERVAL=100ms artemis_setup
	# the captured node: region SHA, URLs with a trailing slash; the versioned
	# cache is first built 5 s after start (exchanges 15-16 see version 0, so
	# 1-16 must be replayed before it, also on a loaded machine) and refreshed
	# every second (17-20 wait for versions, 20 retries if one slips in)
	LEASE_TTL=20s CLEAN_INTERVAL=100ms artemis_config \
	    "[node]" "region = SHA" "zone = sha-z1" \
	    "registry-url = $REG/" "discovery-url = $DISC/" "management-url = $MGMT/" \
	    "[discoveryd]" "cache-init-delay = 5s" "cache-refresh-interval = 1s"
	# the captured server ran in UTC (Date 22:10:17 GMT, lease creationTime
	# 22:10:17.618): lease-time strings, evitionTime "1970-01-01 00:00:00.000"
	export TZ=UTC
	start_daemon artemis-registryd
	start_daemon artemis-mgmtd
	start_daemon artemis-discoveryd		# last: its cache clock starts now
	export RESULTS=$TMP/exchanges.jsonl REPLAY_LOG=$TMP/replay.log
	python3 "$REPO/test/replay-exchanges.py" --registry "$REG" --discovery "$DISC" \
	    --management "$MGMT" --out "$RESULTS" -v ${EXCHANGES:+--exchanges "$EXCHANGES"} \
	    > "$REPLAY_LOG" 2>&1 || true
}

teardown_file() { [ -n "$TMP" ] && artemis_teardown; }

# exchange N — passes when the replay found no difference in exchange N; prints
# the differences, deviations and adaptations
exchange() {
	local r
	local out
	out=$(jq -r --arg id "$1" 'select(.id == $id) | "replayed",
	    (.deviations[] | "deviation: " + .), (.notes[] | "adapted: " + .),
	    (.diffs[] | "DIFF: " + .)' "$RESULTS" 2>/dev/null)
	if [ -z "$out" ]; then
		echo "exchange $1 was not replayed; replay log:"
		cat "$REPLAY_LOG"
		return 1
	fi
	printf '%s\n' "$out"
	[[ $out != *"DIFF: "* ]]
}

@test "01 status node" { exchange 1; }
@test "02 cluster up-registry-nodes (POST)" { exchange 2; }
@test "03 cluster up-discovery-nodes (POST)" { exchange 3; }
@test "04 cluster up-discovery-nodes (GET with query)" { exchange 4; }
@test "05 status cluster" { exchange 5; }
@test "06 register two instances" { exchange 6; }
@test "07 heartbeat (known instance)" { exchange 7; }
@test "08 heartbeat (one known, one unknown instance)" { exchange 8; }
@test "09 register with missing fields (no url, no instanceId)" { exchange 9; }
@test "10 status leases" { exchange 10; }
@test "11 service" { exchange 11; }
@test "12 service (GET with query)" { exchange 12; }
@test "13 service: unknown service id" { exchange 13; }
@test "14 lookup" { exchange 14; }
@test "15 services before the versioned cache is built (version 0)" { exchange 15; }
@test "16 services-delta (version 0)" { exchange 16; }
@test "17 services (versioned cache built)" { exchange 17; }
@test "18 register inst-4 (to create a delta)" { exchange 18; }
@test "19 services-delta from the previous version (inst-4 new)" { exchange 19; }
@test "20 services-delta from the newest version (not found)" { exchange 20; }
@test "21 unregister inst-4" { exchange 21; }
@test "22 get-groups (none yet)" { exchange 22; }
@test "23 insert-groups without operation/extensions/token (rejected)" { exchange 23; }
@test "24 insert-groups (full OperationContext)" { exchange 24; }
@test "25 get-groups (after insert)" { exchange 25; }
@test "26 get-all-groups" { exchange 26; }
@test "27 operate-instance: pull out inst-2" { exchange 27; }
@test "28 operate-instance: invalid (no operatorId)" { exchange 28; }
@test "29 instance-operations" { exchange 29; }
@test "30 all-instance-operations" { exchange 30; }
@test "31 service after pull-out (inst-2 filtered)" { exchange 31; }
@test "32 management service view" { exchange 32; }
@test "33 operate-instance: pull in inst-2 (operationComplete=true)" { exchange 33; }
@test "34 instance-change subscription: handshake, pull-out and pull-in pushes" { exchange 34; }
@test "35 register inst-3" { exchange 35; }
@test "36 unregister inst-3, and the new/delete pushes of inst-3" { exchange 36; }
@test "37 heartbeat over WebSocket" { exchange 37; }
@test "38 gzip: Accept-Encoding gzip on services.json" { exchange 38; }
@test "39 gzip request body (Content-Encoding gzip + Accept-Encoding gzip)" { exchange 39; }
@test "40 CORS: Origin header" { exchange 40; }
@test "41 malformed JSON body" { exchange 41; }
@test "42 wrong Content-Type (text/plain)" { exchange 42; }
@test "43 GET on a POST-only endpoint" { exchange 43; }
@test "44 unknown path" { exchange 44; }
@test "45 no .json suffix" { exchange 45; }
@test "46 unregister inst-1 and inst-2" { exchange 46; }
@test "47 service after unregister" { exchange 47; }
