#!/usr/bin/env bats
# artemis-discoveryd with management data at some scale: many pull-outs across
# many services and a route rule are what lookup.json serves, and a pull-in is
# pushed as "new" promptly (management-contract §6.2, core-contract §7.5).

load helpers

WS=$BATS_TEST_DIRNAME/wsclient.py

setup() {
	for d in artemis-registryd artemis-discoveryd artemis-mgmtd artemis; do
		[ -x "$BIN/$d" ] || skip "$d not built yet"
	done
	artemis_setup
	artemis_config "[registryd]" "max-instances-per-request = 1000" \
	    "[lease]" "ttl = 120s"
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	start_daemon artemis-mgmtd
}
teardown() { [ -n "$TMP" ] && artemis_teardown; }

# mgload.py register|pullout|check ARGS — bulk requests over keep-alive
# connections (one curl per request would take most of the test's time).
mgload() {
	python3 - "$@" <<'EOF'
import http.client, json, sys

def conn(url):
    host, port = url.split("//")[1].split(":")
    return http.client.HTTPConnection(host, int(port), timeout=10)

def post(c, path, body):
    c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    if r.status != 200 or b'"success"' not in data:
        sys.exit("%s answered %d %s" % (path, r.status, data[:200]))
    return json.loads(data)

def inst(s, i):
    return {"regionId": "sha", "zoneId": "sha-z1", "serviceId": "mg.svc-%03d" % s,
            "instanceId": "i-%02d" % i, "ip": "10.1.%d.%d" % (s, i), "port": 8080,
            "url": "http://10.1.%d.%d:8080/" % (s, i), "status": "up"}

def op(s, i, what):
    return {"instanceKey": {"regionId": "sha", "serviceId": "mg.svc-%03d" % s,
            "instanceId": "i-%02d" % i}, "operation": "pullout",
            "operationComplete": what == "pullin", "operatorId": "bats", "token": "t"}

mode, url, nsvc, per, down = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
c = conn(url)
if mode == "register":
    for s in range(nsvc):
        post(c, "/api/registry/register.json",
             {"instances": [inst(s, i) for i in range(per)]})
elif mode == "pullout":
    for s in range(nsvc):
        for i in range(down):
            post(c, "/api/management/operate-instance.json", op(s, i, "pullout"))
elif mode == "check":
    # every service lists exactly its instances that are not pulled out
    cfgs = [{"serviceId": "mg.svc-%03d" % s} for s in range(nsvc)]
    got = post(c, "/api/discovery/lookup.json",
               {"discoveryConfigs": cfgs, "regionId": "sha", "zoneId": "sha-z1"})
    for s, svc in enumerate(got["services"]):
        ids = sorted(x["instanceId"] for x in svc["instances"] or [])
        want = ["i-%02d" % i for i in range(down, per)]
        if svc["serviceId"] != "mg.svc-%03d" % s or ids != want:
            sys.exit("%s: %s, want %s" % (svc["serviceId"], ids, want))
EOF
}

ws_url() { echo "ws://127.0.0.1:$DISC_PORT$1"; }

@test "2,000 pull-outs in 200 services and a route rule in lookup; a pull-in is pushed within a second" {
	mgload register "$REG" 200 12 0
	mgload check "$DISC" 200 12 0
	mgload pullout "$MGMT" 200 10 10
	wait_until mgload check "$DISC" 200 12 10
	curl -fsS "$MGMT/api/management/all-instance-operations.json?regionId=sha" |
	    jq -e '.allInstanceOperations | length == 2000'

	# a released route rule of two groups on one of the services
	A=("$BIN/artemis" -f "$CONF")
	"${A[@]}" route create --service-id mg.svc-007 --name r1 --group blue:30 \
	    --group green:70 >/dev/null
	"${A[@]}" route release 1 >/dev/null
	rules() {
		post_json "$DISC" /api/discovery/lookup.json \
		    '{"discoveryConfigs":[{"serviceId":"mg.svc-007"}],"regionId":"sha","zoneId":"sha-z1"}' |
		    jq -c '.services[0].routeRules'
	}
	wait_until eval '[ "$(rules | jq -c "[.[0].routeId, [.[0].groups[] | [.groupKey, .weight]]]")" = \
	    "[\"r1\",[[\"mg.svc-007/sha/sha-z1/blue\",30],[\"mg.svc-007/sha/sha-z1/green\",70]]]" ]'
	# the rule changed nothing else
	mgload check "$DISC" 200 12 10
	post_json "$DISC" /api/discovery/lookup.json \
	    '{"discoveryConfigs":[{"serviceId":"mg.svc-008"}],"regionId":"sha","zoneId":"sha-z1"}' |
	    jq -e '.services[0].routeRules == []'

	# a pull-in reaches a subscriber of the service as "new" within a second
	python3 "$WS" "$(ws_url /ws/discovery/instance-change)" \
	    -s '{"serviceId":"mg.svc-123"}' -n 1 -t 10 --ready "$TMP/ready" > "$TMP/ws" 2>&1 &
	ws_pid=$!
	for ((i = 0; i < 500; i++)); do [ -e "$TMP/ready" ] && break; sleep 0.01; done
	[ -e "$TMP/ready" ]
	t0=$(date +%s%N)
	post_json "$MGMT" /api/management/operate-instance.json \
	    '{"instanceKey":{"regionId":"sha","serviceId":"mg.svc-123","instanceId":"i-04"},"operation":"pullout","operationComplete":true,"operatorId":"bats","token":"t"}' |
	    jq -e '.responseStatus.status == "success"'
	wait "$ws_pid"
	ms=$((($(date +%s%N) - t0) / 1000000))
	cat "$TMP/ws"
	echo "pull-in pushed after $ms ms"
	[ "$ms" -lt 1000 ]
	jq -e '.changeType == "new" and .instance.serviceId == "mg.svc-123" and
	    .instance.instanceId == "i-04"' "$TMP/ws"
	post_json "$DISC" /api/discovery/lookup.json \
	    '{"discoveryConfigs":[{"serviceId":"mg.svc-123"}],"regionId":"sha","zoneId":"sha-z1"}' |
	    jq -e '[.services[0].instances[].instanceId] | sort == ["i-04","i-10","i-11"]'
}
