# 40-discoveryd.sh — artemis-discoveryd: lookup.json of one 10-instance service,
# services.json of 100,000 instances against nginx serving the same bytes (push
# latency is 41-discoveryd-push.sh). Sourced by contrib/bench/run.

node_setup discoveryd
start_daemon artemis-registryd || return 0
start_daemon artemis-discoveryd || return 0
DISC=http://127.0.0.1:$DISC_PORT

# count_instances URL [BODY] — instances in a discovery answer
count_instances() {
	if [ -n "${2:-}" ]; then
		curl -fsS -H 'Content-Type: application/json' --data-binary "$2" "$1"
	else
		curl -fsS "$1"
	fi | grep -o '"instanceId"' | wc -l
}
wait_count() { # URL BODY MIN
	local i
	for i in $(seq 600); do
		[ "$(count_instances "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.1
	done
	echo "discoveryd never showed $3 instances at $1" >&2
	return 1
}

# ---- lookup.json: one service of 10 instances
"$BENCH/http-load" -p "$REG_PORT" -s look-svc- -b 10 -n 10 -c 1 register > /dev/null
lookup='{"discoveryConfigs":[{"serviceId":"look-svc-00000","regionId":"sha","zoneId":"sha-z1"}],"regionId":"sha","zoneId":"sha-z1"}'
wait_count "$DISC/api/discovery/lookup.json" "$lookup" 10
lua_post "$TMP/lookup.lua" "$lookup"
read -r rps p99 < <(wrk_run "$DISC/api/discovery/lookup.json" "$TMP/lookup.lua")
echo "discoveryd lookup: $rps req/s p99 $p99 ms" >&2
bytes=$(curl -fsS -H 'Content-Type: application/json' --data-binary "$lookup" \
	"$DISC/api/discovery/lookup.json" | wc -c)
row "discoveryd: lookup.json, 1 service of 10 instances ($bytes B reply)" "$rps req/s, p99 $p99 ms" \
	"$REF_RPS req/s, p99 $REF_P99 ms" "$(ratio "$rps" "$REF_RPS")" \
	"$(verdict "$(ratio "$rps" "$REF_RPS")" ">=" 0.5 "≥ 0.50 × nginx"); $(verdict "$p99" "<=" 2 "p99 ≤ 2 ms")"
read -r lrps lp99 < <(WRK_T=1 WRK_C=4 wrk_run "$DISC/api/discovery/lookup.json" "$TMP/lookup.lua")
row "discoveryd: lookup.json, 1 thread × 4 conns" "$lrps req/s, p99 $lp99 ms" \
	"$REF_LAT_RPS req/s, p99 $REF_LAT_P99 ms" "$(ratio "$lrps" "$REF_LAT_RPS")" \
	"$(verdict "$(ratio "$lrps" "$REF_LAT_RPS")" ">=" 0.5 "≥ 0.50 × nginx"); $(verdict "$lp99" "<=" 2 "p99 ≤ 2 ms")"

# ---- services.json with 100,000 instances vs nginx serving the same bytes
"$BENCH/http-load" -p "$REG_PORT" -s big-svc- -f 1000000 -n 100000 -c 4 register > /dev/null
wait_count "$DISC/api/discovery/services.json" "" 100000
curl -fsS -o "$TMP/nginx/static/services.json" "$DISC/api/discovery/services.json"
chmod 644 "$TMP/nginx/static/services.json"
size=$(wc -c < "$TMP/nginx/static/services.json")
read -r srps sp99 < <(WRK_T=2 WRK_C=4 wrk_run "$DISC/api/discovery/services.json")
read -r nrps np99 < <(WRK_T=2 WRK_C=4 wrk_run "http://127.0.0.1:$NGINX_PORT/static/services.json")
echo "services.json ($size B): discoveryd $srps req/s, nginx $nrps req/s" >&2
row "discoveryd: services.json, $(count_instances "$DISC/api/discovery/services.json") instances ($((size / 1048576)) MiB), 2 threads × 4 conns" \
	"$srps req/s, p99 $sp99 ms" "nginx static file of the same bytes: $nrps req/s, p99 $np99 ms" \
	"$(ratio "$srps" "$nrps")" "report (vs nginx static)"
stop_daemon artemis-discoveryd
stop_daemon artemis-registryd
