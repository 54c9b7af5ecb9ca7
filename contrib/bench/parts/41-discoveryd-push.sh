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

node_setup discoveryd-push
start_daemon artemis-registryd || return 0
start_daemon artemis-discoveryd || return 0

# push_row SUBSCRIBERS ROUNDS LABEL LIMIT_MS
push_row() {
	local kp50 kp99 kmax rp50 rp99 rmax n miss first spread
	read -r kp50 kp99 kmax rp50 rp99 rmax n miss first spread < <("$BENCH/push-latency" "$DISC_PORT" "$REG_PORT" "$1" "$2")
	echo "push ($1): kernel p50 $kp50 p99 $kp99 max $kmax ms; read p50 $rp50 p99 $rp99 max $rmax ms ($n samples, $miss missed); first frame $first ms, fan-out spread $spread ms (medians)" >&2
	row "$3" \
		"at the subscriber (kernel RX timestamps): p50 $kp50 ms, p99 $kp99 ms, max $kmax ms; read by the client: p50 $rp50 ms, p99 $rp99 ms, max $rmax ms ($n frames, $miss missed); per change: first frame $first ms, last − first $spread ms (medians)" "—" "—" \
		"$(verdict "$kp99" "<=" "$4" "p99 ≤ $4 ms (kernel arrival)")"
}
push_row 1000 20 "discoveryd: push, register.json response → InstanceChange frame, 1,000 subscribers × 20 changes" 5
push_row 10000 5 "discoveryd: push, the same with 10,000 subscribers × 5 changes" 50

stop_daemon artemis-discoveryd
stop_daemon artemis-registryd
