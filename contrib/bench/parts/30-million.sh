# 30-million.sh — 1,000,000 instances in 10,000 services: registryd restart time and
# resident memory, discoveryd load time and resident memory. The table is filled
# by contrib/bench/table-fill (the same records registryd writes for the same
# registrations) so the run does not spend half a minute on HTTP first; registryd
# then re-attaches it exactly as after a restart. Sourced by contrib/bench/run.

node_setup million
read -r fill_n fill_s fill_b < <("$BENCH/table-fill" "$STATE/instances.table" 1000000 10000 600000)
echo "filled $fill_n instances ($fill_b-byte JSON) in ${fill_s}s" >&2
t0=$(date +%s%N)
"$BIN/artemis-registryd" -f "$CONF" >> "$NODE/artemis-registryd.log" 2>&1 &
PID_artemis_registryd=$!; PIDS+=($!)
up_ms=$("$BENCH/http-load" -p "$REG_PORT" -t "$t0" health)
sleep 2	# let the cleaner make a pass over every lease
reg_mem=$(mem_of "$PID_artemis_registryd"); reg_rss=$(rss_mib "$PID_artemis_registryd")
echo "registryd with 1 M: up in $up_ms ms, $reg_mem" >&2
row "registryd: restart on a table of 1 M instances: exec → /health 200" "$up_ms ms" "—" "—" \
	"$(verdict "$up_ms" "<=" 200 "≤ 200 ms")"
row "registryd: resident memory with 1 M instances ($fill_b-byte JSON)" "$reg_mem" "—" "—" \
	"$(verdict "$reg_rss" "<=" 1229 "VmRSS ≤ 1.2 GiB")"

lookup_last='{"discoveryConfigs":[{"serviceId":"fill-svc-09999","regionId":"sha","zoneId":"sha-z1"}],"regionId":"sha","zoneId":"sha-z1"}'
# discoveryd listens only once every instance is loaded. Its /health is polled
# from one process (http-load, 1 ms apart): start_daemon's curl every 10 ms took
# about 40 % of a core from the two the load itself runs on. Then the lookup
# must show the 100 instances.
t0=$(date +%s%N)
"$BIN/artemis-discoveryd" -f "$CONF" >> "$NODE/artemis-discoveryd.log" 2>&1 &
PID_artemis_discoveryd=$!; PIDS+=($!)
"$BENCH/http-load" -p "$DISC_PORT" -t "$t0" health > /dev/null ||
	{ echo "artemis-discoveryd did not start:" >&2; tail -20 "$NODE/artemis-discoveryd.log" >&2; return 0; }
loaded=
for _ in $(seq 1200); do
	n=$(curl -fsS -H 'Content-Type: application/json' --data-binary "$lookup_last" \
		"http://127.0.0.1:$DISC_PORT/api/discovery/lookup.json" | grep -o '"instanceId"' | wc -l)
	[ "$n" -ge 100 ] && { loaded=$((($(date +%s%N) - t0) / 1000000)); break; }
	sleep 0.05
done
sleep 1
disc_mem=$(mem_of "$PID_artemis_discoveryd")
echo "discoveryd with 1 M: loaded in ${loaded:-?} ms, $disc_mem" >&2
row "discoveryd: resident memory with 1 M instances in 10,000 services" "$disc_mem" "—" "—" "report"
row "discoveryd: start → last of 10,000 services answers lookup with its 100 instances" \
	"${loaded:-not within 60 s} ms" "—" "—" "report"
stop_daemon artemis-discoveryd
stop_daemon artemis-registryd
rm -f "$STATE/instances.table"
