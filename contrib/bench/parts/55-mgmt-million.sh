# 55-mgmt-million.sh — management changes against 1,000,000 instances in 10,000
# services: how fast an instance pull-out/pull-in is pushed, and how long
# discoveryd's loop (pings, pushes) is kept busy by it and by a server pull-out.
# The table is filled by contrib/bench/table-fill as in 30-million.sh. Sourced by
# contrib/bench/run; skipped when bin/artemis-mgmtd does not exist.

if [ ! -x "$BIN/artemis-mgmtd" ]; then
	row "discoveryd: management changes with 1 M instances" \
		"not measured: bin/artemis-mgmtd does not exist" "—" "—" "—"
	return 0
fi
node_setup mgmtmillion
read -r fill_n fill_s fill_b < <("$BENCH/table-fill" "$STATE/instances.table" 1000000 10000 600000)
echo "filled $fill_n instances ($fill_b-byte JSON) in ${fill_s}s" >&2
start_daemon artemis-registryd || return 0
t0=$(date +%s%N)
start_daemon artemis-discoveryd || return 0
echo "1 M: discoveryd answered /health $((($(date +%s%N) - t0) / 1000000)) ms after exec" >&2
start_daemon artemis-mgmtd || return 0
lookup_last='{"discoveryConfigs":[{"serviceId":"fill-svc-09999","regionId":"sha","zoneId":"sha-z1"}],"regionId":"sha","zoneId":"sha-z1"}'
for _ in $(seq 1200); do
	n=$(curl -fsS -H 'Content-Type: application/json' --data-binary "$lookup_last" \
		"http://127.0.0.1:$DISC_PORT/api/discovery/lookup.json" | grep -o '"instanceId"' | wc -l)
	[ "$n" -ge 100 ] && break
	sleep 0.05
done

# inst-00000000 is in fill-svc-00000 on 10.1.0.0, which ~15 instances of other
# services share
read -r mp50 mmax mn mmissed mping < <(python3 "$REPO/contrib/bench/mgmt-push.py" \
	"$DISC_PORT" "$MGMT_PORT" fill-svc-00000 inst-00000000 10)
echo "1 M: instance pull-out push p50 $mp50 max $mmax ms, ping max $mping ms" >&2
row "discoveryd, 1 M instances: operate-instance.json answer → delete/new frame (10 pull-outs + 10 pull-ins)" \
	"p50 $mp50 ms, max $mmax ms ($mn frames, $mmissed missed); longest WebSocket ping meanwhile $mping ms" \
	"—" "—" "$(verdict "$mmax" "<=" 100 "≤ 100 ms")"
# a server operation: only services with an instance on the server are re-rendered;
# what that costs the first time and after, and what it leaves in memory
disc_mem_before=$(mem_of "$PID_artemis_discoveryd")
for run in first second; do
	read -r _ _ _ _ sping sms < <(python3 "$REPO/contrib/bench/mgmt-push.py" \
		"$DISC_PORT" "$MGMT_PORT" fill-svc-00000 inst-00000000 0 10.1.0.0)
	echo "1 M: $run server pull-out/pull-in: frame after $sms ms, ping max $sping ms" >&2
	row "discoveryd, 1 M instances: operate-server.json ($run pull-out + pull-in) → frame of an instance on it" \
		"slower of the two: $sms ms; longest WebSocket ping meanwhile $sping ms" "—" "—" \
		"$(verdict "$sms" "<=" 100 "≤ 100 ms")"
done
disc_mem_after=$(mem_of "$PID_artemis_discoveryd")
echo "1 M: discoveryd $disc_mem_before before the server operations, $disc_mem_after after" >&2
row "discoveryd, 1 M instances: resident memory before → after the server operations above" \
	"$disc_mem_before → $disc_mem_after" "—" "—" "report"
stop_daemon artemis-mgmtd
stop_daemon artemis-discoveryd
stop_daemon artemis-registryd
rm -f "$STATE/instances.table"
