# helpers.bash — shared by every bats file: start real daemons on free ports in a
# temporary state dir, talk HTTP to them, stop them in teardown.
#
#   load helpers
#   setup()    { artemis_setup; }          # writes $CONF (see artemis_config)
#   teardown() { artemis_teardown; }
#   start_daemon artemis-registryd         # waits for GET /health
#   post_json "$REG" /api/registry/register.json '{"instances":[...]}'
#
# Variables after artemis_setup: REPO, BIN, TMP, STATE, CONF, REG, DISC, MGMT, REPL
# (base URLs), REG_PORT ... REPL_PORT.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${ARTEMIS_BIN:-$REPO/bin}

# reserve_ports N — N ports no concurrent run (other bats files, the other build,
# other engineers) nor any outgoing connection can take before our daemons bind
# them: reserved until $TMP is removed (ports.py says why bind-to-0 was not enough)
reserve_ports() {
	python3 "$REPO/test/bats/ports.py" "${TMP:?}" "$1"
}

# free_port — one reserved port (for a config that names a port nobody serves)
free_port() {
	reserve_ports 1
}

# node_ports — set REG_PORT ... REPL_PORT and the base URLs from them
node_ports() {
	local p
	p=$(reserve_ports 4) || return 1
	read -r REG_PORT DISC_PORT MGMT_PORT REPL_PORT <<<"$p"
	REG=http://127.0.0.1:$REG_PORT
	DISC=http://127.0.0.1:$DISC_PORT
	MGMT=http://127.0.0.1:$MGMT_PORT
	REPL=http://127.0.0.1:$REPL_PORT
}

# artemis_config [extra ini lines...] — (re)write $CONF; extra lines are appended
# verbatim (use "[section]" lines to open sections; keys may repeat sections).
artemis_config() {
	cat > "$CONF" <<EOC
[node]
region = sha
zone = sha-z1
state-dir = $STATE
registry-url = $REG
discovery-url = $DISC
management-url = $MGMT

[registryd]
listen = 127.0.0.1:$REG_PORT
allow-from-other-zone = ${ALLOW_OTHER_ZONE:-true}

[discoveryd]
listen = 127.0.0.1:$DISC_PORT
allow-from-other-zone = ${ALLOW_OTHER_ZONE:-true}
cache-init-delay = 1s
cache-refresh-interval = 2s
cache-count = 3

[mgmtd]
listen = 127.0.0.1:$MGMT_PORT
database = management.db
db-sync-wait = 0ms

[replicator]
listen = 127.0.0.1:$REPL_PORT

[table]
capacity = ${TABLE_CAPACITY:-20000}

[lease]
ttl = ${LEASE_TTL:-4s}
clean-interval = ${CLEAN_INTERVAL:-200ms}

[cluster]
force-up = ${FORCE_UP:-true}
peers =
EOC
	local l
	for l in "$@"; do printf '%s\n' "$l" >> "$CONF"; done
}

artemis_setup() {
	TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/artemis-bats.XXXXXX")
	STATE=$TMP/state
	mkdir -p "$STATE"
	CONF=$TMP/artemis.conf
	node_ports
	DAEMON_PIDS=()
	artemis_config
}

# url_of DAEMON — base URL the daemon listens on
url_of() {
	case $1 in
	artemis-registryd) echo "$REG" ;;
	artemis-discoveryd) echo "$DISC" ;;
	artemis-mgmtd) echo "$MGMT" ;;
	artemis-replicator) echo "$REPL" ;;
	esac
}

# wait_http URL [tries] — until GET URL answers 200 (10 ms steps, default 5 s)
wait_http() {
	local i tries=${2:-500}
	for ((i = 0; i < tries; i++)); do
		curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
		sleep 0.01
	done
	echo "not ready: $1" >&2
	return 1
}

# start_daemon NAME [args...] — start in background, log to $TMP/NAME.log, wait for /health
start_daemon() {
	local name=$1; shift
	"$BIN/$name" -f "$CONF" "$@" >> "$TMP/$name.log" 2>&1 &
	local pid=$!
	DAEMON_PIDS+=("$pid")
	eval "PID_${name//-/_}=$pid"
	if ! wait_http "$(url_of "$name")/health" || ! listens "$pid" "$(url_of "$name")"; then
		echo "--- $name log:" >&2; tail -30 "$TMP/$name.log" >&2
		return 1
	fi
}

# listens PID URL — the process PID is the one listening on URL's port: /health
# answered by another run's daemon on a taken port must not pass for ours
listens() {
	local port=${2##*:}
	port=${port%%/*}
	ss -Hltnp "sport = :$port" 2>/dev/null | grep -q "pid=$1," && return 0
	echo "port $port is not served by pid $1: $(ss -Hltnp "sport = :$port" 2>&1)" >&2
	return 1
}

# stop_daemon NAME [SIGNAL] — signal it (default TERM) and wait; returns its exit status
stop_daemon() {
	local name=$1 sig=${2:-TERM} var="PID_${1//-/_}"
	local pid=${!var}
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null
	local rc=0
	wait "$pid" || rc=$?
	eval "$var="
	return $rc
}

artemis_teardown() {
	local pid
	for pid in "${DAEMON_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${DAEMON_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	keep_logs
	# sanitizer reports in logs fail the test
	if grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP"/*.log 2>/dev/null; then
		grep -hE -A20 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP"/*.log >&2
		rm -rf "$TMP"
		return 1
	fi
	rm -rf "$TMP"
}

# keep_logs — a failed test leaves its daemons' logs: their tails in the TAP
# output, the whole logs under $ARTEMIS_BATS_LOGS (run-bats sets it) if set
keep_logs() {
	[ -n "${BATS_TEST_NAME:-}" ] && [ -z "${BATS_TEST_COMPLETED:-}" ] || return 0
	local f
	for f in "$TMP"/*.log; do
		[ -e "$f" ] || continue
		echo "--- tail of $(basename "$f"):" >&2
		tail -15 "$f" >&2
	done
	[ -n "${ARTEMIS_BATS_LOGS:-}" ] || return 0
	mkdir -p "$ARTEMIS_BATS_LOGS/$BATS_TEST_NAME" &&
	    cp -r "$TMP"/. "$ARTEMIS_BATS_LOGS/$BATS_TEST_NAME/" 2>/dev/null
	return 0
}

# post_json BASE PATH JSON [curl args...] — prints body; status in $HTTP_STATUS
post_json() {
	local base=$1 path=$2 body=$3; shift 3
	local out
	out=$(curl -sS -w '\n%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "$body" "$@" "$base$path")
	HTTP_STATUS=${out##*$'\n'}
	echo "$HTTP_STATUS" > "$TMP/.http_status"
	printf '%s' "${out%$'\n'*}"
}

# last_status — HTTP status of the last post_json/get_json, also when it ran in $(...)
last_status() {
	cat "$TMP/.http_status"
}

# get_json BASE PATH [curl args...]
get_json() {
	local base=$1 path=$2; shift 2
	local out
	out=$(curl -sS -w '\n%{http_code}' "$@" "$base$path")
	HTTP_STATUS=${out##*$'\n'}
	echo "$HTTP_STATUS" > "$TMP/.http_status"
	printf '%s' "${out%$'\n'*}"
}

# instance SERVICE ID [extra jq assignments] — an Instance JSON for region sha/sha-z1
instance() {
	jq -cn --arg s "$1" --arg i "$2" \
		'{regionId:"sha",zoneId:"sha-z1",serviceId:$s,instanceId:$i,
		  url:("http://10.0.0.1:8080/" + $i),ip:"10.0.0.1",port:8080,status:"up"}'"${3:+ | $3}"
}

# wait_until CMD... — retry a command until it succeeds (10 ms steps, 5 s)
wait_until() {
	local i
	for ((i = 0; i < 500; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.01
	done
	"$@"
}

# wait_until_s SECONDS CMD... — wait_until with a longer budget, for what needs
# several daemons to start and poll each other (slow under the sanitizers)
wait_until_s() {
	local deadline=$((SECONDS + $1))
	shift
	while [ "$SECONDS" -lt "$deadline" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.02
	done
	"$@"
}

# ---- several nodes in one test (replicator.bats) ----------------------------
# node_new NAME — allocate ports and a state dir under $TMP/NAME for another node,
# switch to it (REG, DISC, ..., CONF, STATE now name it) and write its config;
# node_use NAME switches back. artemis_setup's node is "main". The daemons of
# every node log to the same $TMP/<daemon>.log.
NODE_VARS="STATE CONF REG_PORT DISC_PORT MGMT_PORT REPL_PORT REG DISC MGMT REPL"

node_save() {
	local v
	for v in $NODE_VARS; do eval "NODE_${1}_$v=\${$v}"; done
}

node_use() {
	local v n
	[ -n "$(eval echo "\${NODE_${1}_CONF}")" ] || node_save main
	for v in $NODE_VARS; do n="NODE_${1}_$v"; eval "$v=\${$n}"; done
	NODE_CUR=$1
}

node_new() {
	[ -n "$NODE_main_CONF" ] || node_save main
	mkdir -p "$TMP/$1/state"
	STATE=$TMP/$1/state
	CONF=$TMP/$1/artemis.conf
	node_ports
	artemis_config
	node_save "$1"
	NODE_CUR=$1
}

# cluster_node_new NAME — node_new, with the replicator polling its peers'
# status every 100 ms (cluster tests wait on peers coming up and going down)
cluster_node_new() {
	node_new "$1"
	printf '[replicator]\nstatus-update-interval = 100ms\n' >> "$CONF"
}

# ids_on NODE SVC — sorted instance ids in NODE's lookup of SVC, comma-separated
ids_on() {
	local disc="NODE_${1}_DISC"
	post_json "${!disc}" /api/discovery/lookup.json \
	    "{\"discoveryConfigs\":[{\"serviceId\":\"$2\"}],\"regionId\":\"sha\",\"zoneId\":\"sha-z1\"}" |
	    jq -r '.services[0].instances // [] | map(.instanceId) | sort | join(",")'
}

# metric BASE NAME-AND-LABELS — the sum of the /metrics lines that start so
metric() {
	curl -sS "$1/metrics" | awk -v m="$2" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'
}

# node_peers PEERS — set [cluster] peers of the current node's config
node_peers() {
	sed -i "s|^peers =.*|peers = $1|" "$CONF"
}

# node_start DAEMON... — start daemons of the current node
node_start() {
	local d
	for d in "$@"; do start_daemon "$d" || return 1; done
}

# ---- killing and restarting one node's daemons (cluster-heal.bats) ----------
# node_up DAEMON... — node_start, and remember each daemon's pid for the current
# node (start_daemon's PID_<daemon> names only the last one started anywhere)
node_up() {
	local d
	for d in "$@"; do
		start_daemon "$d" || return 1
		eval "NODE_${NODE_CUR}_PID_${d//-/_}=\$PID_${d//-/_}"
	done
}

# node_kill NODE SIGNAL DAEMON... — signal that node's daemons (started by
# node_up) and wait for them to exit; the state directory stays as it is
node_kill() {
	local node=$1 sig=$2 d var pid
	shift 2
	for d in "$@"; do
		var="NODE_${node}_PID_${d//-/_}"
		pid=${!var}
		[ -n "$pid" ] || continue
		kill -"$sig" "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || :
		eval "$var="
	done
	return 0
}

# batch_of SVC N [FIRST] — {"instances":[...]} with N instances of SVC
batch_of() {
	local svc=$1 n=$2 first=${3:-1} k list=""
	for ((k = first; k < first + n; k++)); do list="$list${list:+,}$(instance "$svc" "i-$k")"; done
	echo "{\"instances\":[$list]}"
}

# beat BODY SECONDS — a client heartbeating BODY every 100 ms for SECONDS (pacing,
# not a wait)
beat() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		post_json "$REG" /api/registry/heartbeat.json "$1" >/dev/null
		sleep 0.1
	done
}

# mass_unregister SVC — 30 instances of SVC heartbeat for 4 s, then 20 of them
# unregister and the other 10 go on heartbeating for 5 s
mass_unregister() {
	local all kept gone
	all=$(batch_of "$1" 30)
	kept=$(batch_of "$1" 10 1)
	gone=$(batch_of "$1" 20 11)
	post_json "$REG" /api/registry/register.json "$all" >/dev/null
	beat "$all" 4
	post_json "$REG" /api/registry/unregister.json "$gone" >/dev/null
	beat "$kept" 5
}

# ---- registryd + discoveryd (discoveryd.bats, audit-discovery.bats) --------------

start_both() {
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
}

register() {	# register SVC ID... — register.json on $REG, answered 200 (files may redefine it)
	local svc=$1 list="" i; shift
	for i in "$@"; do list="$list${list:+,}$(instance "$svc" "$i")"; done
	post_json "$REG" /api/registry/register.json "{\"instances\":[$list]}" >/dev/null
	[ "$HTTP_STATUS" = 200 ]
}
