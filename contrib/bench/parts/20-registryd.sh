# 20-registryd.sh — artemis-registryd: HTTP heartbeat, batched WebSocket heartbeats,
# registration throughput, SIGKILL + restart under load. Sourced by contrib/bench/run.

# capacity above what 5 s of registration at 400 k/s fills, so the row measures
# registration, not a full table
TABLE_CAPACITY=3000000 node_setup registryd
start_daemon artemis-registryd || return 0
REG=http://127.0.0.1:$REG_PORT

# ---- HTTP heartbeat of one instance over keep-alive (wrk, 100-byte-ish reply)
one='{"instances":[{"regionId":"sha","zoneId":"sha-z1","serviceId":"hb1-svc","instanceId":"inst-1","groupId":"default","machineName":"host-1","ip":"10.1.0.1","port":8080,"protocol":"http","status":"up","url":"http://10.1.0.1:8080/api/v1/service-endpoint","healthCheckUrl":"http://10.1.0.1:8080/health","metadata":{"idc":"sha-aws-1","version":"1.5.16-SNAPSHOT","weight":"100","owner":"team-benchmark","build":"20240101.1234"}}]}'
curl -fsS -H 'Content-Type: application/json' --data-binary "$one" "$REG/api/registry/register.json" >/dev/null
reply=$(curl -fsS -H 'Content-Type: application/json' --data-binary "$one" "$REG/api/registry/heartbeat.json")
case $reply in '{"failedInstances":null'*) ;; *) echo "heartbeat.json answered: $reply" >&2 ;; esac
lua_post "$TMP/hb1.lua" "$one"
read -r rps p99 < <(wrk_run "$REG/api/registry/heartbeat.json" "$TMP/hb1.lua")
echo "registryd HTTP heartbeat: $rps req/s p99 $p99 ms" >&2
row "registryd: HTTP heartbeat of 1 instance (keep-alive)" "$rps req/s, p99 $p99 ms" \
	"$REF_RPS req/s, p99 $REF_P99 ms" "$(ratio "$rps" "$REF_RPS")" \
	"$(verdict "$(ratio "$rps" "$REF_RPS")" ">=" 0.5 "≥ 0.50 × nginx"); $(verdict "$p99" "<=" 2 "p99 ≤ 2 ms")"
read -r lrps lp99 < <(WRK_T=1 WRK_C=4 wrk_run "$REG/api/registry/heartbeat.json" "$TMP/hb1.lua")
row "registryd: HTTP heartbeat of 1 instance, 1 thread × 4 conns" "$lrps req/s, p99 $lp99 ms" \
	"$REF_LAT_RPS req/s, p99 $REF_LAT_P99 ms" "$(ratio "$lrps" "$REF_LAT_RPS")" \
	"$(verdict "$(ratio "$lrps" "$REF_LAT_RPS")" ">=" 0.5 "≥ 0.50 × nginx"); $(verdict "$lp99" "<=" 2 "p99 ≤ 2 ms")"

# ---- WebSocket heartbeats, batches of 100 instances (10,000 registered instances)
"$BENCH/http-load" -p "$REG_PORT" -s hb-svc- -c 2 -n 10000 register > /dev/null
read -r wsr wsm wsf wsp50 wsp99 < <("$BENCH/ws-heartbeat-load" "$REG_PORT" 4 4 "$SECS" 10000 100)
echo "registryd WS heartbeat: $wsr renewals/s ($wsm msg/s, $wsf failed, p50 $wsp50 p99 $wsp99 ms)" >&2
row "registryd: WebSocket heartbeats, 100 instances/message, 4 conns × window 4" \
	"$(fmt_rate "$wsr" " renewals/s") ($(fmt_rate "$wsm" " msg/s"), p50 $wsp50 ms, p99 $wsp99 ms, $wsf failed)" "—" "—" \
	"$(verdict "$wsr" ">=" 200000 "≥ 200 k renewals/s")"

# ---- registration: new instances in HTTP batches of 100, unique ids
read -r regr regn regf regp50 regp99 < <("$BENCH/http-load" -p "$REG_PORT" -s reg-svc- -f 1000000 \
	-c 4 -d "$SECS" register)
echo "registryd registration: $regr instances/s ($regn acked, $regf failed requests)" >&2
row "registryd: registration, HTTP batches of 100 new instances, 4 conns" \
	"$(fmt_rate "$regr" " instances/s") (p50 $regp50 ms, p99 $regp99 ms per batch, $regf failed)" "—" "—" \
	"$(verdict "$regr" ">=" 30000 "≥ 30 k/s")"
stop_daemon artemis-registryd

# ---- SIGKILL and restart under registration load: nothing acknowledged is lost
node_setup killtest
start_daemon artemis-registryd || return 0
"$BENCH/http-load" -p "$REG_PORT" -s kill-svc- -c 4 -d 4 -r -o "$NODE/acked" register \
	> "$NODE/load.out" 2>&1 &
loadpid=$!
sleep 1.5
kill -KILL "$PID_artemis_registryd"; wait "$PID_artemis_registryd" 2>/dev/null
t0=$(date +%s%N)
"$BIN/artemis-registryd" -f "$CONF" >> "$NODE/artemis-registryd.log" 2>&1 &
PID_artemis_registryd=$!; PIDS+=($!)
up_ms=$("$BENCH/http-load" -p "$REG_PORT" -t "$t0" health)
live_before=$(wc -l < "$NODE/acked")
wait "$loadpid"
read -r checked lost < <("$BENCH/http-load" -p "$REG_PORT" -s kill-svc- -i "$NODE/acked" verify)
echo "kill test: restart to /health $up_ms ms; $checked acknowledged instances checked, $lost lost" >&2
row "registryd: SIGKILL under registration load, restart: exec → /health 200" "$up_ms ms" "—" "—" \
	"$(verdict "$up_ms" "<=" 200 "≤ 200 ms")"
row "registryd: … acknowledged registrations lost (heartbeat of every acked instance after restart)" \
	"$lost of $checked" "—" "—" "$(verdict "$lost" "<=" 0 "0 lost")"
stop_daemon artemis-registryd
