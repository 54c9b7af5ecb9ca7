#!/usr/bin/env bats
# Clauses of spec/core-contract.md that the other files do not cover: failure
# shapes of rate-limited status calls, what Jackson would refuse on the status,
# cluster and discovery doors, request Content-Encoding as ziplet reads it, and
# the session counts of connections.json on every daemon.

load helpers

WS=$BATS_TEST_DIRNAME/wsclient.py

setup() {
	artemis_setup
}

teardown() {
	[ -z "$WS_PIDS" ] || kill $WS_PIDS 2>/dev/null || true
	artemis_teardown
}

RL='{"errorCode":"rate-limited","message":"Request is rate limited.","status":"fail"}'
RS_OK='{"errorCode":"success","message":"","status":"success"}'

# limited N BASE PATH BODY — the first N calls pass, the next one is limited;
# prints the limited body
limited() {
	local n=$1 base=$2 path=$3 body=$4 i out
	for ((i = 0; i < n; i++)); do
		out=$(post_json "$base" "$path" "$body")
		[ "$(last_status)" = 200 ] || { echo "call $i: HTTP $(last_status)" >&2; return 1; }
		jq -e '.responseStatus.errorCode == "success"' <<<"$out" >/dev/null ||
			{ echo "call $i was not a success: $out" >&2; return 1; }
	done
	post_json "$base" "$path" "$body"
}

@test "services.json and services-delta.json still bind regionId and zoneId (§5.6, §5.7)" {
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	run post_json "$DISC" /api/discovery/services.json '{"regionId":"nyc","zoneId":"z9"}'
	[ "$(last_status)" = 200 ]
	echo "$output" | jq -e --argjson ok "$RS_OK" '.responseStatus == $ok'
	run post_json "$DISC" /api/discovery/services.json '{"regionId":{}}'
	[ "$(last_status)" = 400 ]
	run post_json "$DISC" /api/discovery/services.json '{"zoneId":[1]}'
	[ "$(last_status)" = 400 ]
	run post_json "$DISC" /api/discovery/services-delta.json '{"version":1,"regionId":"nyc"}'
	[ "$(last_status)" = 200 ]
	echo "$output" | jq -e '.responseStatus.errorCode == "data-not-found" and .version == 0'
	run post_json "$DISC" /api/discovery/services-delta.json '{"version":1,"zoneId":{}}'
	[ "$(last_status)" = 400 ]
}

@test "request Content-Encoding is read as ziplet reads it (§1.3)" {
	start_daemon artemis-registryd
	i=$(instance svc.enc i-1)
	body="{\"instances\":[$i]}"
	# codings ziplet does not decode leave the body as it is
	for enc in identity br x-unknown; do
		run post_json "$REG" /api/registry/register.json "$body" -H "Content-Encoding: $enc"
		[ "$(last_status)" = 200 ] || { echo "$enc: HTTP $(last_status)"; false; }
		echo "$output" | jq -e '.responseStatus.status == "success"'
	done
	# ... so a compressed body under an unknown label is not JSON
	run sh -c "printf '%s' '$body' | gzip | curl -s -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/json' -H 'Content-Encoding: br' --data-binary @- $REG/api/registry/register.json"
	[ "$output" = 400 ]
	# compress / x-compress: a zip stream ziplet reads no entry from
	run post_json "$REG" /api/registry/register.json "$body" -H "Content-Encoding: compress"
	[ "$(last_status)" = 400 ]
	for enc in gzip x-gzip GZIP; do
		run sh -c "printf '%s' '$body' | gzip | curl -s -H 'Content-Type: application/json' \
		    -H 'Content-Encoding: $enc' --data-binary @- $REG/api/registry/register.json"
		echo "$output" | jq -e '.responseStatus.status == "success"'
	done
}
