# 41-discoveryd-push.sh — artemis-discoveryd push latency: register.json response
# → InstanceChange frame at 1,000 subscribers of the service, then at 10,000.
# Sourced by contrib/bench/run (BENCH_ONLY=push runs this part alone).
#
# push-latency reports two clocks (see its header): "kernel" is the kernel's
# receive timestamp at both ends (response and frame reaching the client's
# host stack), so the client's own wait for a core on this shared machine is not
# counted; "read" is when the client program had read each. The targets are
# about the frame at the subscriber: the verdict uses the kernel figure. The
# medians of a change's first frame and of its last minus its first split the
# time between the path to discoveryd's first send and the fan-out itself.
#
# The subscribers of a registry live on other hosts; here the client shares the
# two cores with discoveryd, and its receive work (epoll, recvmsg, the ACKs it
# sends back) took ~45 % of the CPU during a fan-out to 10,000 (perf). The
# verdict rows therefore run it as SCHED_IDLE (chrt --idle): it reads when
# discoveryd leaves a core free, which moves its work after the fan-out. The
# kernel clock is unaffected (on loopback the receive timestamp is taken inside
# discoveryd's send(2)); the read clock then shows the wait for a core.
#
# Changes come back to back (after the connections' quick ACKs, see
# push-latency.c) or 300 ms apart. On loopback an immediate ACK is made and
# taken in inside discoveryd's send(2); on a network the subscriber makes it and
# the server only takes it in, which it does in both cases. Back to back is
# therefore the closer stand-in for the server's work per frame and carries the
# verdict; 300 ms apart (every change finds idle connections, each frame ACKed at
# once inside the sender's call) is the conservative bound and is shown too, as
# is the client at normal priority.

# The reference: push-ref (see its header) does only what no server can skip,
# one send(2) of the frame per subscriber over as many threads as discoveryd
# uses, with the same client and clock. On loopback each send(2) also does the
# subscriber's receive work, so its figures are this machine's floor for a
# fan-out, and each discoveryd row is read as a ratio to the reference row of
# the same subscribers, gap and client.
#
# push_run PORT_WS PORT_HTTP SUBSCRIBERS ROUNDS CLIENT GAP_MS — one push-latency
# run; sets kp50 kp99 kmax rp50 rp99 rmax n miss first spread
push_run() {
	local sched=()
	[ "$5" = idle ] && sched=(chrt --idle 0)
	read -r kp50 kp99 kmax rp50 rp99 rmax n miss first spread < <("${sched[@]}" "$BENCH/push-latency" "$1" "$2" "$3" "$4" "$6")
}

push_text() {
	echo "at the subscriber (kernel RX timestamps): p50 $kp50 ms, p99 $kp99 ms, max $kmax ms; read by the client: p50 $rp50 ms, p99 $rp99 ms, max $rmax ms ($n frames, $miss missed); per change: first frame $first ms, last − first $spread ms (medians)"
}

declare -A PUSH_REF
REF_WS=$(free_port); REF_HTTP=$(free_port)
"$BENCH/push-ref" "$REF_WS" "$REF_HTTP" &
PIDS+=($!)
PUSH_REF_PID=$!
wait_port() { local i; for i in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.02; done; return 1; }
wait_port "$REF_HTTP" || { echo "push-ref did not start" >&2; return 0; }
# push_ref_row SUBSCRIBERS ROUNDS LABEL CLIENT GAP_MS
push_ref_row() {
	push_run "$REF_WS" "$REF_HTTP" "$1" "$2" "$4" "$5"
	PUSH_REF[$1/$4/$5]=$kp99
	echo "push reference ($1, $4 client, gap $5 ms): kernel p50 $kp50 p99 $kp99 max $kmax ms; first $first, spread $spread ms" >&2
	row "$3" "$(push_text)" "—" "1.00" "—"
}
push_ref_row 1000 100 "push reference (push-ref, one send(2) per subscriber on 2 threads): 1,000 subscribers × 100 changes back to back (client SCHED_IDLE)" idle 0
push_ref_row 1000 30 "push reference: 1,000 subscribers, changes 300 ms apart" idle 300
push_ref_row 10000 20 "push reference: 10,000 subscribers × 20 changes back to back (client SCHED_IDLE)" idle 0
push_ref_row 10000 20 "push reference: 10,000 subscribers, changes 300 ms apart" idle 300
kill "$PUSH_REF_PID" 2>/dev/null; wait "$PUSH_REF_PID" 2>/dev/null

node_setup discoveryd-push
start_daemon artemis-registryd || return 0
start_daemon artemis-discoveryd || return 0

# push_row SUBSCRIBERS ROUNDS LABEL LIMIT_MS CLIENT GAP_MS — CLIENT idle (SCHED_IDLE)
# or normal; the verdict only for idle and back to back
push_row() {
	local v ref ratio
	push_run "$DISC_PORT" "$REG_PORT" "$1" "$2" "$5" "$6"
	ref=${PUSH_REF[$1/idle/$6]:-}
	ratio=—
	[ -n "$ref" ] && ratio=$(awk -v a="$kp99" -v b="$ref" 'BEGIN { printf "%.2f", a / b }')
	if [ "$5" = idle ] && [ "$6" = 0 ]; then
		v=$(verdict "$kp99" "<=" "$4" "p99 ≤ $4 ms (kernel arrival)")
	else
		v="report"
	fi
	echo "push ($1, $5 client, gap $6 ms): kernel p50 $kp50 p99 $kp99 max $kmax ms; read p50 $rp50 p99 $rp99 max $rmax ms ($n samples, $miss missed); first frame $first ms, fan-out spread $spread ms (medians); reference p99 ${ref:-?} ms" >&2
	row "$3" "$(push_text)" "${ref:+p99 $ref ms}" "$ratio" "$v"
}
push_row 1000 100 "discoveryd: push, register.json response → InstanceChange frame, 1,000 subscribers × 100 changes back to back (client SCHED_IDLE)" 5 idle 0
push_row 1000 30 "discoveryd: push, 1,000 subscribers, changes 300 ms apart (every frame ACKed at once, inside the sender's call on loopback)" 5 idle 300
push_row 10000 20 "discoveryd: push, 10,000 subscribers × 20 changes back to back (client SCHED_IDLE)" 50 idle 0
push_row 10000 20 "discoveryd: push, 10,000 subscribers, changes 300 ms apart" 50 idle 300
push_row 10000 20 "discoveryd: push, 10,000 subscribers back to back, client at normal priority (competing for the cores; ratio to the SCHED_IDLE reference)" 50 normal 0

stop_daemon artemis-discoveryd
stop_daemon artemis-registryd
