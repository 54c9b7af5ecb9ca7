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
# discoveryd's send(2)); the read clock then shows the wait for a core. The rows
# with the client at normal priority are kept for comparison, without a verdict.

node_setup discoveryd-push
start_daemon artemis-registryd || return 0
start_daemon artemis-discoveryd || return 0

# push_row SUBSCRIBERS ROUNDS LABEL LIMIT_MS [normal] — the client SCHED_IDLE
# unless normal (then no verdict)
push_row() {
	local kp50 kp99 kmax rp50 rp99 rmax n miss first spread sched=(chrt --idle 0) v
	[ "${5:-}" = normal ] && sched=()
	read -r kp50 kp99 kmax rp50 rp99 rmax n miss first spread < <("${sched[@]}" "$BENCH/push-latency" "$DISC_PORT" "$REG_PORT" "$1" "$2")
	v=$(verdict "$kp99" "<=" "$4" "p99 ≤ $4 ms (kernel arrival)")
	[ "${5:-}" = normal ] && v="— (client competing for the cores)"
	echo "push ($1${5:+, $5 client}): kernel p50 $kp50 p99 $kp99 max $kmax ms; read p50 $rp50 p99 $rp99 max $rmax ms ($n samples, $miss missed); first frame $first ms, fan-out spread $spread ms (medians)" >&2
	row "$3" \
		"at the subscriber (kernel RX timestamps): p50 $kp50 ms, p99 $kp99 ms, max $kmax ms; read by the client: p50 $rp50 ms, p99 $rp99 ms, max $rmax ms ($n frames, $miss missed); per change: first frame $first ms, last − first $spread ms (medians)" "—" "—" \
		"$v"
}
push_row 1000 100 "discoveryd: push, register.json response → InstanceChange frame, 1,000 subscribers × 100 changes (client SCHED_IDLE)" 5
push_row 1000 100 "discoveryd: push, the same, client at normal priority" 5 normal
push_row 10000 20 "discoveryd: push, 10,000 subscribers × 20 changes (client SCHED_IDLE)" 50
push_row 10000 20 "discoveryd: push, the same, client at normal priority" 50 normal

stop_daemon artemis-discoveryd
stop_daemon artemis-registryd
