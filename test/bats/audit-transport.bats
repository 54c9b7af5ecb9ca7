#!/usr/bin/env bats
# Transport and JSON conventions (core-contract.md §1, §2, §4, §8.1, §8.5;
# management-contract.md's framework rules), audited across the daemons in
# session 6. The first test failed before the fix it names; the others pin
# conventions the audit found already right, so they stay right.

load helpers

OK='{"responseStatus":{"errorCode":"success","message":"","status":"success"}}'

setup() {
	artemis_setup
}

teardown() {
	artemis_teardown
}

m() { post_json "$MGMT" "/api/management$1" "$2"; }
# code METHOD URL [curl args...] — the status code only
code() { local meth=$1 url=$2; shift 2; curl -s -o /dev/null -w '%{http_code}' -X "$meth" "$@" "$url"; }

@test "a boolean field binds strings as Jackson 2.9 does: trimmed true/True/false/False, '' and 'null' no value (§2 input 4)" {
	start_daemon artemis-mgmtd
	local s=svc.bool
	op() { printf '{"instanceKey":{"regionId":"sha","serviceId":"%s","instanceId":"i1"},"operation":"pullout","operationComplete":%s,"operatorId":"a","token":"t"}' "$s" "$1"; }
	# primitive boolean: " true" is true, "null" is false; "TRUE" is refused
	[ "$(m /operate-instance.json "$(op '"null"')")" = "$OK" ]
	[ "$(m /operate-instance.json "$(op '" true "')")" = "$OK" ]
	run curl -s -w ' %{http_code}' -H 'Content-Type: application/json' \
	    --data-binary "$(op '"TRUE"')" "$MGMT/api/management/operate-instance.json"
	[ "${output##* }" = 400 ] || { echo "$output"; false; }
	[ "$(code POST "$MGMT/api/management/operate-instance.json" -H 'Content-Type: application/json' \
	    --data-binary "$(op '"yes"')")" = 400 ]
	logs() { m /log/instance-operation-logs.json "{\"serviceId\":\"$s\"$1}" | jq -c '[.logs[].complete]'; }
	[ "$(logs '')" = '[true,false]' ] || [ "$(logs '')" = '[false,true]' ]
	# a Boolean filter: "" and "null" are no filter (Java leaves it null)
	[ "$(logs ',"complete":""' | jq -c sort)" = '[false,true]' ]
	[ "$(logs ',"complete":"null"' | jq -c sort)" = '[false,true]' ]
	[ "$(logs ',"complete":null' | jq -c sort)" = '[false,true]' ]
	[ "$(logs ',"complete":"True"')" = '[true]' ]
	[ "$(logs ',"complete":" false"')" = '[false]' ]
	[ "$(logs ',"complete":0')" = '[false]' ]
	[ "$(logs ',"complete":7')" = '[true]' ]
	[ "$(code POST "$MGMT/api/management/log/instance-operation-logs.json" \
	    -H 'Content-Type: application/json' --data-binary '{"complete":"FALSE"}')" = 400 ]
	[ "$(code POST "$MGMT/api/management/log/instance-operation-logs.json" \
	    -H 'Content-Type: application/json' --data-binary '{"complete":1.5}')" = 400 ]
}

@test "methods, content types and CORS as Spring 4.3 and caravan answer them, on every daemon (§1.2, §1.4)" {
	start_daemon artemis-registryd
	start_daemon artemis-discoveryd
	start_daemon artemis-mgmtd
	local j='Content-Type: application/json'
	# a POST-only mapping: any other method (unknown ones too: Spring 4.3 hands
	# them to the dispatcher) is 405 listing what the mapping takes
	for u in "$REG/api/registry/register.json" "$DISC/api/discovery/lookup.json" \
	    "$MGMT/api/management/operate-instance.json"; do
		for meth in GET HEAD PUT DELETE PATCH FOO; do
			[ "$(code $meth "$u")" = 405 ] || { echo "$meth $u"; false; }
		done
		curl -s -D - -o /dev/null -X PUT "$u" | tr -d '\r' | grep -qx 'Allow: POST'
		# consumes=application/json: parameters and case allowed, nothing else
		[ "$(code POST "$u" -d '{}')" = 415 ]
		[ "$(code POST "$u" -H 'Content-Type: text/plain' -d '{}')" = 415 ]
		[ "$(code POST "$u" -H 'Content-Type: application/x-www-form-urlencoded' -d 'a=1')" = 415 ]
		[ "$(code POST "$u" -H 'Content-Type: application/*' -d '{}')" = 415 ]
		[ "$(code POST "$u" -H 'Content-Type: Application/JSON; charset=ISO-8859-1' -d '{}')" = 200 ]
	done
	# GET and POST mappings of one path: 405 lists both, a GET needs no type
	curl -s -D - -o /dev/null -X DELETE "$REG/api/status/node.json" | tr -d '\r' | grep -qx 'Allow: GET, POST'
	[ "$(code GET "$REG/api/status/node.json" -H 'Content-Type: text/plain')" = 200 ]
	[ "$(code POST "$REG/api/status/node.json" -H 'Content-Type: text/plain' -d '{}')" = 415 ]
	# unknown paths and the unmapped nodes.json are 404 whatever the method
	[ "$(code FOO "$REG/api/registry/nope.json")" = 404 ]
	[ "$(code GET "$REG/api/cluster/nodes.json")" = 404 ]
	# OPTIONS on any path: 200, empty, request method/headers echoed
	out=$(curl -s -D - -X OPTIONS -H 'Access-Control-Request-Method: PUT' \
	    -H 'Access-Control-Request-Headers: content-type, x-a' "$MGMT/whatever" | tr -d '\r')
	grep -q '^HTTP/1.1 200' <<<"$out"
	grep -qx 'Access-Control-Allow-Methods: PUT' <<<"$out"
	grep -qx 'Access-Control-Allow-Headers: content-type, x-a' <<<"$out"
	grep -qx 'Access-Control-Max-Age: 3600' <<<"$out"
	grep -qx 'Content-Length: 0' <<<"$out"
	out=$(curl -s -D - -o /dev/null -X OPTIONS "$REG/api/registry/register.json" | tr -d '\r')
	! grep -qi '^Access-Control-Allow-Methods' <<<"$out"
	# the three CORS headers on errors too
	out=$(curl -s -D - -o /dev/null "$DISC/nope" | tr -d '\r')
	grep -qx 'Access-Control-Allow-Origin: \*' <<<"$out"
	grep -qx 'Access-Control-Expose-Headers: \*' <<<"$out"
	grep -qx 'Access-Control-Allow-Credentials: true' <<<"$out"
}

@test "WebSocket handshakes as Spring's DefaultHandshakeHandler answers them (§8.1)" {
	start_daemon artemis-registryd
	local u="$REG/ws/registry/heartbeat" k='Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='
	local up=(-H 'Upgrade: websocket' -H 'Connection: Upgrade')
	[ "$(code GET "$u" --max-time 2)" = 400 ]
	[ "$(code POST "$u" --max-time 2 "${up[@]}" -H 'Sec-WebSocket-Version: 13' -H "$k")" = 405 ]
	[ "$(code GET "$u" --max-time 2 "${up[@]}" -H 'Sec-WebSocket-Version: 8' -H "$k")" = 426 ]
	[ "$(code GET "$u" --max-time 2 "${up[@]}" -H 'Sec-WebSocket-Version: 13')" = 400 ]
	# any origin, a key Spring does not check, a sub-protocol declined
	out=$(curl -s -i --max-time 1 "${up[@]}" -H 'Sec-WebSocket-Version: 13' -H "$k" \
	    -H 'Origin: http://elsewhere.example' -H 'Sec-WebSocket-Protocol: stomp' "$u" | tr -d '\r' || true)
	grep -q '^HTTP/1.1 101' <<<"$out"
	grep -qx 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=' <<<"$out"
	! grep -qi '^Sec-WebSocket-Protocol' <<<"$out"
	# an upgrade on a path that is not a WebSocket endpoint is that path's answer
	[ "$(code GET "$REG/api/registry/register.json" --max-time 2 "${up[@]}" -H 'Sec-WebSocket-Version: 13' -H "$k")" = 405 ]
	[ "$(code GET "$REG/ws/discovery/instance-change" --max-time 2 "${up[@]}" -H 'Sec-WebSocket-Version: 13' -H "$k")" = 404 ]
}
