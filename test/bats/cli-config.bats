#!/usr/bin/env bats
# artemis(1) without daemons: grammar and exit codes, config validate, config
# convert (golden files), and `artemis up` driven with stand-in daemons.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BIN=${ARTEMIS_BIN:-$REPO/bin}
FIX=$REPO/test/fixtures/cli

setup() {
	TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/artemis-cli.XXXXXX")
}

teardown() {
	[ -n "${UP_PID:-}" ] && kill -TERM "$UP_PID" 2>/dev/null && wait "$UP_PID" 2>/dev/null
	rm -rf "$TMP"
}

free_port() {	# reserved while $TMP exists (ports.py: bind-to-0 ports get taken)
	python3 "$BATS_TEST_DIRNAME/ports.py" "$TMP" 1
}

@test "no command: usage on stderr, exit 2" {
	run "$BIN/artemis"
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: artemis"* ]]
}

@test "unknown command lists the valid commands, exit 2" {
	run "$BIN/artemis" frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	[[ "$output" == *"valid commands:"*"config"*"up"* ]]
}

@test "prefixes: 'co v' is config validate, 'c' is ambiguous; a verb alone lists its objects" {
	printf '[node]\nregion = a\nzone = b\n' > "$TMP/a.conf"
	run "$BIN/artemis" c v -f "$TMP/a.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"ambiguous command 'c'"* ]]
	run "$BIN/artemis" co v -f "$TMP/a.conf"
	[ "$status" -eq 0 ]
	[ "$output" = "configuration OK" ]
	run "$BIN/artemis" config
	[ "$status" -eq 2 ]
	[[ "$output" == *"needs one of: convert url validate"* ]]
	run "$BIN/artemis" config frob
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown argument 'frob'"* ]]
}

@test "unknown option: usage, exit 2; --help: exit 0" {
	run "$BIN/artemis" up --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: artemis up"* ]]
	run "$BIN/artemis" config convert --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--from FILE"* ]]
}

@test "config validate: FILE:LINE on a bad file, exit 1" {
	printf '[node]\nregion = a\nzone = b\n[lease]\nttl = soon\n' > "$TMP/bad.conf"
	run "$BIN/artemis" config validate --file "$TMP/bad.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == "$TMP/bad.conf:5: "*"ttl"* ]]
	run "$BIN/artemis" config validate -f "$REPO/etc/artemis.conf"
	[ "$status" -eq 0 ]
}

@test "config convert: --from is required (exit 2); missing file exits 1" {
	run "$BIN/artemis" config convert
	[ "$status" -eq 2 ]
	run "$BIN/artemis" config convert --from "$TMP/nope.properties"
	[ "$status" -eq 1 ]
	[[ "$output" == *"nope.properties:0: cannot open"* ]]
}

@test "config convert: malformed properties file reports file:line, exit 1" {
	cd "$FIX"
	run "$BIN/artemis" config convert --from malformed.properties
	[ "$status" -eq 1 ]
	[[ "$output" == *"malformed.properties:2: malformed \\uxxxx encoding"* ]]
}

golden() { # name args... — stdout and stderr must equal the golden files
	local name=$1; shift
	cd "$FIX"
	"$BIN/artemis" config convert "$@" > "$TMP/$name.conf" 2> "$TMP/$name.err"
	diff -u "golden-$name.conf" "$TMP/$name.conf"
	diff -u "golden-$name.err" "$TMP/$name.err"
	# what convert writes, the daemons accept
	"$BIN/artemis" config validate --file "$TMP/$name.conf"
}

@test "config convert: golden, shipped artemis.properties" {
	golden artemis --from artemis.properties --ip 10.0.2.15
}

@test "config convert: golden, test artemis.properties with its IP-suffixed key" {
	golden artemis-test --from artemis-test.properties --app app.properties --ip 10.0.2.15
}

@test "config convert: golden, escapes, continuations, cascade, 0 = default, clamps, env, -D" {
	golden edge --from edge.properties --app app.properties --env DEV --ip 10.0.2.15 \
		-D artemis.service.discovery.versioned-cache.cache-refresh.interval=5000 \
		-D 'artemis.service.registry.instance.lease-manager.lease.ttl='
}

@test "config convert: the IP decides which IP-suffixed key applies" {
	cd "$FIX"
	run "$BIN/artemis" config convert --from edge.properties --ip 10.9.9.9
	[ "$status" -eq 0 ]
	[[ "$output" == *"force-up = false"* ]]
	run "$BIN/artemis" config convert --from edge.properties --ip 10.0.2.15
	[[ "$output" == *"force-up = true"* ]]
}

@test "config convert: app.path becomes [node] base-path and joins the advertised URLs" {
	cd "$FIX"
	run "$BIN/artemis" config convert --from artemis.properties --app app.properties \
		--ip 10.0.2.15 -D app.path=/artemis-service/ --to "$TMP/ctx.conf"
	[ "$status" -eq 0 ]
	grep -q '^base-path = /artemis-service$' "$TMP/ctx.conf"
	grep -q '^registry-url = http://10.0.2.15:9090/artemis-service/$' "$TMP/ctx.conf"
	grep -q '^discovery-url = http://10.0.2.15:9091/artemis-service/$' "$TMP/ctx.conf"
	[[ "$output" != *"app.path"* ]]		# mapped, so not reported
	run "$BIN/artemis" config validate --file "$TMP/ctx.conf"
	[ "$status" -eq 0 ]
	# Tomcat's root context ("/" or blank) is no context path
	run "$BIN/artemis" config convert --from artemis.properties --app app.properties \
		--ip 10.0.2.15 -D app.path=/
	[ "$status" -eq 0 ]
	[[ "$output" != *"base-path"* ]]
	[[ "$output" == *"registry-url = http://10.0.2.15:9090"$'\n'* ]]
}

@test "config convert --to writes the file" {
	cd "$FIX"
	run "$BIN/artemis" config convert --from artemis.properties --ip 10.0.2.15 \
		-D region.id=sha -D zone.id=sha-z1 --to "$TMP/out.conf"
	[ "$status" -eq 0 ]
	grep -q '^region = sha$' "$TMP/out.conf"
	run "$BIN/artemis" config validate --file "$TMP/out.conf"
	[ "$status" -eq 0 ]
}

# ---- artemis up with stand-in daemons (test/fixtures/cli/fake-daemon) ----

up_setup() {
	mkdir -p "$TMP/bin"
	cp "$BIN/artemis" "$TMP/bin/artemis"	# a copy: up finds daemons next to itself
	local d
	for d in registryd discoveryd mgmtd; do ln -s "$FIX/fake-daemon" "$TMP/bin/artemis-$d"; done
	P1=$(free_port); P2=$(free_port); P3=$(free_port)
	cat > "$TMP/up.conf" <<-EOF
	[node]
	region = sha
	zone = sha-z1
	state-dir = $TMP/state
	[registryd]
	listen = 127.0.0.1:$P1
	[discoveryd]
	listen = 127.0.0.1:$P2
	[mgmtd]
	listen = 127.0.0.1:$P3
	EOF
}

wait_for_line() { # file pattern
	local i
	for ((i = 0; i < 500; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	cat "$1" >&2
	return 1
}

@test "up: registryd first, then the others; prefixed logs; SIGTERM stops all, exit 0" {
	up_setup
	"$TMP/bin/artemis" up -f "$TMP/up.conf" > "$TMP/up.log" 2>&1 &
	UP_PID=$!
	wait_for_line "$TMP/up.log" "node ready: 3 daemons"
	[ -d "$TMP/state" ]
	# registryd was ready before the others started
	r=$(grep -n 'artemis-registryd ready' "$TMP/up.log" | cut -d: -f1)
	s=$(grep -n 'started artemis-discoveryd' "$TMP/up.log" | cut -d: -f1)
	[ "$r" -lt "$s" ]
	grep -q '^artemis-mgmtd  *| artemis-mgmtd: listening' "$TMP/up.log"
	grep -q '^artemis-mgmtd  *| second line' "$TMP/up.log"
	kill -TERM "$UP_PID"
	rc=0; wait "$UP_PID" || rc=$?
	UP_PID=
	[ "$rc" -eq 0 ]
	grep -q 'artemis-registryd exited with status 0' "$TMP/up.log"
	grep -q 'artemis-mgmtd exited with status 0' "$TMP/up.log"
	! curl -fsS "http://127.0.0.1:$P1/health"
}

@test "up: a daemon that dies stops the rest, exit non-zero" {
	up_setup
	FAKE_DIE=discoveryd FAKE_DIE_AFTER=1 run timeout 20 "$TMP/bin/artemis" up -f "$TMP/up.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"artemis-discoveryd exited with status 3"* ]]
	[[ "$output" == *"artemis-registryd exited with status 0"* ]]
	[[ "$output" == *"artemis-mgmtd exited with status 0"* ]]
}

@test "up: a missing daemon program is named, exit 1" {
	up_setup
	rm "$TMP/bin/artemis-mgmtd"
	PATH=/usr/bin:/bin run "$TMP/bin/artemis" up -f "$TMP/up.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"artemis-mgmtd not found"* ]]
}

@test "up: a bad configuration is refused before anything starts" {
	up_setup
	printf '[lease]\nttl = x\n' >> "$TMP/up.conf"
	run "$BIN/artemis" up -f "$TMP/up.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"up.conf:"*"ttl"* ]]
}

# ---- man pages, units, completion, nginx ----

@test "man pages render without warnings" {
	local m
	for m in "$REPO"/man/*.[158]; do
		out=$(MANWIDTH=80 man -l --warnings "$m" 2>&1 >/dev/null)
		[ -z "$out" ] || { echo "$m: $out"; false; }
		out=$(groff -ww -z -man "$m" 2>&1)
		[ -z "$out" ] || { echo "$m: $out"; false; }
	done
}

@test "systemd units verify (where systemd-analyze exists)" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	local u out
	for u in "$REPO"/contrib/systemd/*.service; do
		# the programs and man pages are not installed here: ignore only that
		out=$(systemd-analyze verify "$u" 2>&1 | grep -v -e 'is not executable' \
			-e "Command 'man " -e 'Failed to prepare filename' || true)
		[ -z "$out" ] || { echo "$u: $out"; false; }
	done
}

@test "config url prints a daemon's URL (used by the systemd readiness check)" {
	run "$BIN/artemis" config url mgmtd -f "$REPO/etc/artemis.conf"
	[ "$status" -eq 0 ]
	[ "$output" = "http://127.0.0.1:8082" ]
	run "$BIN/artemis" config url nope -f "$REPO/etc/artemis.conf"
	[ "$status" -eq 2 ]
}

@test "bash completion offers verbs and objects" {
	run bash -c "source '$REPO/contrib/completion/artemis.bash'
		COMP_WORDS=(artemis ser); COMP_CWORD=1; _artemis; echo \${COMPREPLY[*]}
		COMP_WORDS=(artemis instance p); COMP_CWORD=2; _artemis; echo \${COMPREPLY[*]}"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "server service" ]
	[ "${lines[1]}" = "pull-in pull-out" ]
}

@test "nginx front door configuration parses" {
	command -v nginx >/dev/null || skip "no nginx"
	printf 'pid %s/nginx.pid;\nerror_log stderr;\nevents {}\nhttp { include %s; }\n' \
		"$TMP" "$REPO/contrib/nginx/artemis.conf" > "$TMP/nginx.conf"
	run nginx -t -c "$TMP/nginx.conf"
	[ "$status" -eq 0 ]
}
