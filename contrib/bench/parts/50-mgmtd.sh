# 50-mgmtd.sh — artemis-mgmtd: durable operate-instance.json writes per second, and
# discoveryd lookup throughput with 10,000 pulled-out instances against none.
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
row "discoveryd: lookup.json with 1,000 route rules" "not measured yet (see notes)" "—" "—" "—"
stop_daemon artemis-mgmtd
stop_daemon artemis-discoveryd
stop_daemon artemis-registryd
