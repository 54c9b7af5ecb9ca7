# 50-mgmtd.sh — artemis-mgmtd: durable operate-instance.json writes per second;
# discoveryd lookup throughput with 10,000 pulled-out instances, then also with
# 1,000 route rules, against none; how fast a management write is pushed.
# Sourced by contrib/bench/run; skipped when bin/artemis-mgmtd does not exist.

if [ ! -x "$BIN/artemis-mgmtd" ]; then
	row "mgmtd" "not measured: bin/artemis-mgmtd does not exist" "—" "—" "—"
	return 0
fi
node_setup mgmt
start_daemon artemis-registryd || return 0
start_daemon artemis-discoveryd || return 0
start_daemon artemis-mgmtd || return 0
DISC=http://127.0.0.1:$DISC_PORT
MGMT=http://127.0.0.1:$MGMT_PORT

# the looked-up service (10 instances, ids 0-9) and 20,000 instances to pull out
"$BENCH/http-load" -p "$REG_PORT" -s look-svc- -b 10 -n 10 -c 1 register > /dev/null
"$BENCH/http-load" -p "$REG_PORT" -s mgop-svc- -f 0 -n 20000 -c 4 register > /dev/null
lookup='{"discoveryConfigs":[{"serviceId":"look-svc-00000","regionId":"sha","zoneId":"sha-z1"}],"regionId":"sha","zoneId":"sha-z1"}'
lookup_count() {
	curl -fsS -H 'Content-Type: application/json' --data-binary "$lookup" \
		"$DISC/api/discovery/lookup.json" | grep -o '"instanceId"' | wc -l
}
for _ in $(seq 300); do [ "$(lookup_count)" -ge 10 ] && break; sleep 0.1; done
lua_post "$TMP/lookup.lua" "$lookup"
read -r base_rps base_p99 < <(wrk_run "$DISC/api/discovery/lookup.json" "$TMP/lookup.lua")

# ---- operate-instance.json: every request a new pull-out (unique instance), durable
# (db-sync-wait = 0ms: the answer comes after the SQLite commit)
cat > "$TMP/operate.lua" <<'EOL'
local next_tid = 1
function setup(thread)
	thread:set("tid", next_tid)
	next_tid = next_tid + 1
end
local n = 0
local base = tonumber(os.getenv("MG_BASE") or "0")
request = function()
	local id = base + n * 16 + tid - 1
	n = n + 1
	local body = string.format('{"instanceKey":{"regionId":"sha","serviceId":"mgop-svc-%05d",' ..
		'"instanceId":"inst-%08d"},"operation":"pullout","operationComplete":false,' ..
		'"operatorId":"bench","token":"t"}', math.floor(id / 100), id)
	return wrk.format("POST", "/api/management/operate-instance.json",
		{["Content-Type"] = "application/json"}, body)
end
EOL
ops_in_db() {
	curl -fsS "$MGMT/api/management/all-instance-operations.json?regionId=sha" |
		grep -o '"pullout"' | wc -l
}
reply=$(curl -fsS -H 'Content-Type: application/json' --data-binary \
	'{"instanceKey":{"regionId":"sha","serviceId":"look-svc-00000","instanceId":"inst-00000000"},"operation":"pullout","operationComplete":false,"operatorId":"bench","token":"t"}' \
	"$MGMT/api/management/operate-instance.json")
case $reply in *'"status":"success"'*) ;; *) echo "operate-instance answered: $reply" >&2 ;; esac
read -r wrps wp99 < <(MG_BASE=0 WRK_T=2 WRK_C=16 wrk_run "$MGMT/api/management/operate-instance.json" "$TMP/operate.lua")
indb=$(ops_in_db)
echo "mgmtd operate-instance: $wrps writes/s p99 $wp99 ms; $indb pull-outs in the DB" >&2
row "mgmtd: operate-instance.json pull-outs, durable, 2 threads × 16 conns" \
	"$wrps writes/s, p99 $wp99 ms ($indb pull-outs in the DB afterwards)" "—" "—" \
	"$(verdict "$wrps" ">=" 1000 "≥ 1,000 writes/s")"

# top up to 10,000 pull-outs (short extra runs), plus 4 more in the looked-up service
k=1
while [ "$indb" -lt 10000 ] && [ "$k" -le 30 ]; do
	SECS=1 MG_BASE=$((k * 10000000)) WRK_T=2 WRK_C=16 wrk_run \
		"$MGMT/api/management/operate-instance.json" "$TMP/operate.lua" > /dev/null
	indb=$(ops_in_db); k=$((k + 1))
done
for i in 1 2 3 4; do
	curl -fsS -o /dev/null -H 'Content-Type: application/json' --data-binary \
		"{\"instanceKey\":{\"regionId\":\"sha\",\"serviceId\":\"look-svc-00000\",\"instanceId\":\"inst-0000000$i\"},\"operation\":\"pullout\",\"operationComplete\":false,\"operatorId\":\"bench\",\"token\":\"t\"}" \
		"$MGMT/api/management/operate-instance.json"
done
visible=10
for _ in $(seq 100); do visible=$(lookup_count); [ "$visible" -le 5 ] && break; sleep 0.1; done
read -r pull_rps pull_p99 < <(wrk_run "$DISC/api/discovery/lookup.json" "$TMP/lookup.lua")
echo "lookup with $indb pull-outs: $pull_rps req/s (none: $base_rps); $visible of 10 visible" >&2
row "discoveryd: lookup.json with $indb pulled-out instances (5 of the 10 in the service; $visible still listed)" \
	"$pull_rps req/s, p99 $pull_p99 ms" "same, no pull-outs: $base_rps req/s, p99 $base_p99 ms" \
	"$(ratio "$pull_rps" "$base_rps")" "report"

# ---- 1,000 route rules of two groups each (create-route-rule.json, one transaction
# per rule): 995 spread over the pulled-out services, 5 on the looked-up one
python3 - "$MGMT_PORT" <<'EOP' || echo "route rules not created" >&2
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
for i in range(1000):
    svc = "look-svc-00000" if i < 5 else "mgop-svc-%05d" % (i % 200)
    body = {"routeRule": {"serviceId": svc, "name": "rule-%04d" % i, "status": "active",
                          "strategy": "weighted-round-robin"},
            "groups": [{"serviceId": svc, "regionId": "sha", "zoneId": "sha-z1",
                        "name": "g-%04d-%s" % (i, color), "appId": "bench",
                        "status": "active", "weight": 50} for color in ("blue", "green")],
            "operatorId": "bench", "token": "t", "operation": "create", "extensions": "{}"}
    c.request("POST", "/api/management/group/create-route-rule.json", json.dumps(body),
              {"Content-Type": "application/json"})
    r = c.getresponse(); data = r.read()
    if b'"success"' not in data:
        sys.exit("create-route-rule %d: %s" % (i, data[:200]))
EOP
nrules=$(curl -fsS -H 'Content-Type: application/json' --data-binary '{}' \
	"$MGMT/api/management/group/get-all-route-rules.json" | jq '.routeRules | length')
rules_count() {
	curl -fsS -H 'Content-Type: application/json' --data-binary "$lookup" \
		"$DISC/api/discovery/lookup.json" | jq '.services[0].routeRules | length'
}
for _ in $(seq 100); do [ "$(rules_count)" -ge 5 ] && break; sleep 0.1; done
read -r rule_rps rule_p99 < <(wrk_run "$DISC/api/discovery/lookup.json" "$TMP/lookup.lua")
echo "lookup with $indb pull-outs and $nrules rules: $rule_rps req/s (none: $base_rps)" >&2
row "discoveryd: lookup.json with $nrules route rules (5 on the service) and the $indb pull-outs" \
	"$rule_rps req/s, p99 $rule_p99 ms" "same, no management data: $base_rps req/s, p99 $base_p99 ms" \
	"$(ratio "$rule_rps" "$base_rps")" \
	"$(verdict "$(ratio "$rule_rps" "$base_rps")" ">=" 0.8 "≥ 0.80 × none")"

# ---- a write acknowledged by mgmtd → the delete/new frame at a subscriber
read -r mp50 mmax mn mmissed mping < <(python3 "$REPO/contrib/bench/mgmt-push.py" \
	"$DISC_PORT" "$MGMT_PORT" look-svc-00000 inst-00000009 20)
echo "management push: p50 $mp50 ms, max $mmax ms, $mmissed missed, ping max $mping ms" >&2
row "discoveryd: operate-instance.json answer → delete/new frame at a subscriber (with the data above, 20 pull-outs + 20 pull-ins)" \
	"p50 $mp50 ms, max $mmax ms ($mn frames, $mmissed missed); longest WebSocket ping meanwhile $mping ms" \
	"—" "—" "$(verdict "$mmax" "<=" 100 "≤ 100 ms")"
stop_daemon artemis-mgmtd
stop_daemon artemis-discoveryd
stop_daemon artemis-registryd
