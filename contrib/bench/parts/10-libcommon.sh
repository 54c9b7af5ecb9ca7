# 10-libcommon.sh — table and JSON codec micro-benchmarks (one core, no reference:
# these are CPU-bound loops, so absolute figures are what the targets name).
# Sourced by contrib/bench/run.

tb_dir=$(mktemp -d "$TMP/table.XXXXXX")
"$BENCH/table-bench" -n 1000000 -d "$tb_dir" > "$TMP/table-bench.out" 2>&1
rm -rf "$tb_dir"
tb() { awk -v k="$1" '$1 == k {print $2}' "$TMP/table-bench.out"; }
cat "$TMP/table-bench.out" >&2

row "table: renewals by key, batches of 100 (table_renew_many, the heartbeat path), key order (1 M instances, 1 core)" "$(fmt_rate "$(tb table_renew)" /s)" "—" "—" \
	"$(verdict "$(tb table_renew)" ">=" 10000000 "≥ 10 M/s")"
row "table: renewals by key, batches of 100, random order" "$(fmt_rate "$(tb table_renew_random)" /s)" "—" "—" \
	"$(verdict "$(tb table_renew_random)" ">=" 10000000 "≥ 10 M/s")"
row "table: renewals one key per call (table_renew), key order / random" "$(fmt_rate "$(tb table_renew_single)" /s) / $(fmt_rate "$(tb table_renew_single_random)" /s)" "—" "—" "report"
row "table: lookups by key, batches of 100, slot and lease only (table_locate_many), key order" "$(fmt_rate "$(tb table_locate_batch)" /s)" "—" "—" \
	"$(verdict "$(tb table_locate_batch)" ">=" 5000000 "≥ 5 M/s")"
row "table: lookups by key, batches of 100, slot and lease only, random order" "$(fmt_rate "$(tb table_locate_batch_random)" /s)" "—" "—" \
	"$(verdict "$(tb table_locate_batch_random)" ">=" 5000000 "≥ 5 M/s")"
row "table: lookups by key, batches of 100, record copied out (table_find_many), key order" "$(fmt_rate "$(tb table_find_batch)" /s)" "—" "—" \
	"$(verdict "$(tb table_find_batch)" ">=" 5000000 "≥ 5 M/s")"
row "table: lookups by key, batches of 100, record copied out, random order" "$(fmt_rate "$(tb table_find_batch_random)" /s)" "—" "—" \
	"$(verdict "$(tb table_find_batch_random)" ">=" 5000000 "≥ 5 M/s")"
row "table: lookups one key per call, slot and lease only (table_locate), key order / random" "$(fmt_rate "$(tb table_locate)" /s) / $(fmt_rate "$(tb table_locate_random)" /s)" "—" "—" "report"
row "table: lookups one key per call, record copied out (table_find), key order / random" "$(fmt_rate "$(tb table_find)" /s) / $(fmt_rate "$(tb table_find_random)" /s)" "—" "—" "report"
row "table: upserts, first fill of a fresh file" "$(fmt_rate "$(tb table_fill)" /s)" "—" "—" \
	"$(verdict "$(tb table_fill)" ">=" 1000000 "≥ 1 M/s")"
row "table: upserts replacing live instances" "$(fmt_rate "$(tb table_upsert)" /s)" "—" "—" \
	"$(verdict "$(tb table_upsert)" ">=" 1000000 "≥ 1 M/s")"
row "table: resident size of the table mapping, 1 M instances of 400-byte JSON (Rss of the mapping)" "$(tb table_rss_full) MiB" "—" "—" \
	"$(verdict "$(tb table_rss_full)" "<=" 1024 "≤ 1024 MiB")"
row "table: … of which mapped in 2 MiB pages (FilePmdMapped)" "$(tb table_pmd_full) MiB" "—" "—" "report"
row "table: … table-bench process RSS (incl. the tool's own arrays)" "$(tb table_rss_process) MiB" "—" "—" "report"
row "table: linear slot scan (cleaner, rescans)" "$(fmt_rate "$(tb table_scan)" /s)" "—" "—" "—"

"$BENCH/json-bench" 1 > "$TMP/json-bench.out" 2>&1
# json-bench reports rates per CPU-second of its thread (median of 7 slices), so
# a busy machine stretches wall time, not the figures; cpu_share says how busy.
note "- json-bench: rates per CPU-second; its thread got $(awk '$1 == "cpu_share" {print $2}' "$TMP/json-bench.out") of the wall time."
jb() { awk -v k="$1" '$1 == k {print $2}' "$TMP/json-bench.out"; }
cat "$TMP/json-bench.out" >&2
row "JSON: encode one instance ($(jb canonical_bytes) B, instance_to_json)" "$(fmt_rate "$(jb encode)" /s)" "—" "—" \
	"$(verdict "$(jb encode)" ">=" 1000000 "≥ 1 M/s")"
# registryd, the program that decodes, runs on mimalloc (Makefile): measure the
# codec with that allocator too, preloaded from registryd's own link.
mi=$(ldd "$BIN/artemis-registryd" 2>/dev/null | awk '/mimalloc/ {print $3; exit}')
if [ -n "$mi" ]; then
	LD_PRELOAD=$mi "$BENCH/json-bench" 1 > "$TMP/json-bench-mi.out" 2>&1
	jm() { awk -v k="$1" '$1 == k {print $2}' "$TMP/json-bench-mi.out"; }
	row "JSON: decode one instance (model_parse + instance_from_json), registryd's allocator (mimalloc)" "$(fmt_rate "$(jm decode)" /s)" "—" "—" \
		"$(verdict "$(jm decode)" ">=" 250000 "≥ 250 k/s")"
	row "JSON: … a 100-instance heartbeat body, per instance, mimalloc" "$(fmt_rate "$(jm batch100_decode)" /s)" "—" "—" "—"
fi
row "JSON: decode one instance, glibc malloc (the other programs)" "$(fmt_rate "$(jb decode)" /s)" "—" "—" \
	"$(verdict "$(jb decode)" ">=" 250000 "≥ 250 k/s")"
row "JSON: … of which model_parse alone (json-c tokener + tree)" "$(fmt_rate "$(jb decode_parse)" /s)" "—" "—" "—"
row "JSON: … plain json_tokener_parse for comparison" "$(fmt_rate "$(jb decode_tokener)" /s)" "—" "—" "—"
row "JSON: … json-c alone, strict, on a reused tokener (the floor under model_parse)" "$(fmt_rate "$(jb decode_tokener_reused)" /s)" "—" "—" "—"
row "JSON: … of which instance_from_json alone" "$(fmt_rate "$(jb decode_from_json)" /s)" "—" "—" "—"
row "JSON: decode a 100-instance heartbeat body, per instance, glibc malloc" "$(fmt_rate "$(jb batch100_decode)" /s)" "—" "—" "—"
# Instructions and cycles per decode, which a busy machine barely moves (the rates
# above it does): perf stat of json-bench -n at two counts, differenced.
per_decode() { # [LD_PRELOAD lib] -> "instructions cycles" per decode, or nothing
	local lo hi
	lo=$(LD_PRELOAD=${1:-} perf stat -x, -e instructions:u,cycles:u "$BENCH/json-bench" -n 1000 decode 2>&1 >/dev/null |
		awk -F, '/instructions/ {i=$1} /cycles/ {c=$1} END {print i, c}')
	hi=$(LD_PRELOAD=${1:-} perf stat -x, -e instructions:u,cycles:u "$BENCH/json-bench" -n 101000 decode 2>&1 >/dev/null |
		awk -F, '/instructions/ {i=$1} /cycles/ {c=$1} END {print i, c}')
	echo "$lo $hi" | awk 'NF == 4 && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ {
		printf "%.1f k instructions, %.1f k cycles", ($3 - $1) / 100000 / 1000, ($4 - $2) / 100000 / 1000 }'
}
if command -v perf > /dev/null 2>&1; then
	pd=$(per_decode)
	[ -n "$pd" ] && row "JSON: … decode one instance, per instance (perf stat), glibc malloc" "$pd" "—" "—" "—"
	if [ -n "$mi" ]; then
		pd=$(per_decode "$mi")
		[ -n "$pd" ] && row "JSON: … decode one instance, per instance (perf stat), mimalloc" "$pd" "—" "—" "—"
	fi
fi
