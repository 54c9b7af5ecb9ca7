#!/usr/bin/env bats
# artemis-registryd against core-contract.md §1-§6, §8 (session 5 audit): each test
# here failed before the fix it names. The rest of the registry contract is in
# registryd.bats, core-contract.bats and exchanges.bats.

load helpers

WS=$BATS_TEST_DIRNAME/wsclient.py
RS_OK='{"errorCode":"success","message":"","status":"success"}'
OK_BODY='{"failedInstances":null,"responseStatus":'$RS_OK'}'
LIMITED='{"failedInstances":null,"responseStatus":{"errorCode":"rate-limited","message":"Request is rate limited.","status":"fail"}}'

setup() {
	artemis_setup
}

teardown() {
	artemis_teardown
}

hb_ws() { python3 "$WS" "ws://127.0.0.1:$REG_PORT/ws/registry/heartbeat" "$@"; }
hb_ws_path() { local p=$1; shift; python3 "$WS" "ws://127.0.0.1:$REG_PORT$p" "$@"; }

@test "WebSocket heartbeat 'null' counts against the heartbeat rate limit and can be rate-limited (§8.2, §6.8)" {
	artemis_config "[ratelimit]" "registry-map = heartbeat:2"
	start_daemon artemis-registryd
	i=$(instance svc.rl i-1)
	post_json "$REG" /api/registry/register.json "{\"instances\":[$i]}" >/dev/null
	# Java passes null to heartbeat(), whose rate limiter runs first: the
	# "null" is call 2 of 2, so the heartbeat after it is call 3, refused
	run hb_ws -s "{\"instances\":[$i]}" -s null -s "{\"instances\":[$i]}" -s null -n 4 -t 5
	[ "$status" -eq 0 ]
	[ "$(sed -n 1p <<<"$output")" = "$OK_BODY" ]
	[ "$(sed -n 2p <<<"$output")" = '{"failedInstances":null,"responseStatus":{"errorCode":"bad-request","message":"request is null","status":"fail"}}' ]
	[ "$(sed -n 3p <<<"$output")" = "$LIMITED" ]
	[ "$(sed -n 4p <<<"$output")" = "$LIMITED" ]
}

@test "an HTTP body may start with a UTF-8 byte order mark, as Jackson reads bytes (§1.2, §2)" {
	start_daemon artemis-registryd
	i=$(instance svc.bom i-1)
	for op in register heartbeat unregister; do
		out=$(printf '\xef\xbb\xbf{"instances":[%s]}' "$i" | curl -sS -H 'Content-Type: application/json' \
		    --data-binary @- "$REG/api/registry/$op.json")
		[ "$out" = "$OK_BODY" ] || { echo "$op: $out"; false; }
	done
	# gzip-encoded, as a Java client sends it
	out=$(printf '\xef\xbb\xbf{"instances":[%s]}' "$i" | gzip | curl -sS -H 'Content-Type: application/json' \
	    -H 'Content-Encoding: gzip' --data-binary @- "$REG/api/registry/register.json")
	[ "$out" = "$OK_BODY" ]
	out=$(printf '\xef\xbb\xbf{"regionId":"sha"}' | curl -sS -H 'Content-Type: application/json' \
	    --data-binary @- "$REG/api/replication/registry/services.json")
	[ "$(jq -r '.services[0].instances[0].instanceId' <<<"$out")" = i-1 ]
	# a mark and nothing else is still an empty body
	code=$(printf '\xef\xbb\xbf' | curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary @- "$REG/api/registry/register.json")
	[ "$code" = 400 ]
	# a WebSocket message is a Java String to caravan's mapper: U+FEFF is a bad
	# character there, answered with the canned success
	run hb_ws -s $'\xef\xbb\xbf'"{\"instances\":[$(instance svc.bom nobody)]}" -n 1 -t 5
	[ "$status" -eq 0 ]
	[ "$output" = "$OK_BODY" ]
}

@test "[node] base-path: the Java context path is served, and paths are read as Tomcat/Spring read them (§1.1, §1.2)" {
	artemis_config "[node]" "base-path = /artemis-service/"
	start_daemon artemis-registryd
	i=$(instance svc.ctx i-1)
	body="{\"instances\":[$i]}"
	# a Java client joins the advertised URL (context path included) and /api/...
	run post_json "$REG" /artemis-service/api/registry/register.json "$body"
	[ "$output" = "$OK_BODY" ]
	run hb_ws_path /artemis-service/ws/registry/heartbeat -s "$body" -n 1 -t 5
	[ "$status" -eq 0 ]
	[ "$output" = "$OK_BODY" ]
	[ "$(get_json "$REG" /artemis-service/api/status/node.json | jq -r .nodeStatus.status)" = up ]
	# Tomcat drops path parameters and collapses "//"; Spring tolerates one trailing '/'
	for p in '/artemis-service//api/registry/heartbeat.json;jsessionid=0A1B' \
	    '/artemis-service/api/registry;v=1/heartbeat.json/' '/api//registry/heartbeat.json'; do
		run post_json "$REG" "$p" "$body" --path-as-is
		[ "$output" = "$OK_BODY" ] || { echo "$p: HTTP $(last_status) $output"; false; }
	done
	# another prefix is another path; case matters
	post_json "$REG" /artemis-servicex/api/registry/heartbeat.json "$body" >/dev/null
	[ "$(last_status)" = 404 ]
	post_json "$REG" /Artemis-Service/api/registry/heartbeat.json "$body" >/dev/null
	[ "$(last_status)" = 404 ]
	# the key is checked
	artemis_config "[node]" "base-path = artemis-service"
	run "$BIN/artemis-registryd" -n -f "$CONF"
	[ "$status" -ne 0 ]
	[[ "$output" == *"base-path: must start with '/'"* ]]
}
