/*
 * json-bench.c — one-core micro-benchmark of the model.h codec on the ~400-byte
 * benchmark instance (contrib/bench/benchnet.c bn_instance_json).
 *
 *   json-bench [SECONDS [OP]]
 *   json-bench -n COUNT OP
 *
 * Prints "name per_second" lines:
 *   encode            instance_to_json into a reused sbuf
 *   decode            model_parse + instance_from_json + frees (what a request costs)
 *   decode_parse      model_parse + json_object_put only (json-c tokenizer + tree)
 *   decode_tokener    plain json_tokener_parse + put (json-c without model's checks)
 *   decode_tokener_reused  json_tokener_parse_ex on one reused tokener, strict, + put:
 *                     the json-c floor under model_parse (its own time is the rest)
 *   decode_from_json  instance_from_json + instance_free on a parsed tree
 *   batch100_decode   instances/s for a 100-instance heartbeat body, parse + decode
 *                     (the per-message work of a batched WebSocket heartbeat)
 *   cpu_share         CPU time this thread got / wall time, over the whole run
 *                     (below ~0.9 the machine was busy: the rates above are still
 *                     per CPU-second, but caches were shared)
 * With OP, only that line is measured (for perf record/stat of one operation).
 * With -n, OP runs exactly COUNT times untimed and nothing is printed: the
 * difference of `perf stat -e instructions` between two counts, divided by their
 * difference, is the instructions per operation, a figure the noise of a shared
 * machine does not move.
 *
 * The machine is shared, so a rate is operations per CPU-second of this thread
 * (CLOCK_THREAD_CPUTIME_ID), not per wall second: time spent waiting for a core is
 * not the codec's. Each figure is the median of seven slices of the run, which
 * drops the slices that a neighbour's burst slowed down.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchnet.h"
#include "log.h"
#include "model.h"
#include "sbuf.h"

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double	 cpu_total, wall_total;

static char	 text[2048];
static size_t	 text_len;
static char	*batch;
static size_t	 batch_len;
static struct json_object *parsed;
static struct instance inst;

static void
op_encode(void)
{
	static struct sbuf b = SBUF_INIT;

	sbuf_reset(&b);
	instance_to_json(&inst, &b);
}

static void
op_decode(void)
{
	struct json_object *o;
	struct instance in;
	char err[256];
	int is_null;

	if ((o = model_parse(text, text_len, err, sizeof(err))) == NULL)
		fatalx("parse: %s", err);
	if (instance_from_json(o, &in, &is_null, err, sizeof(err)) == -1)
		fatalx("decode: %s", err);
	instance_free(&in);
	json_object_put(o);
}

static void
op_parse(void)
{
	char err[256];
	struct json_object *o = model_parse(text, text_len, err, sizeof(err));

	if (o == NULL)
		fatalx("parse: %s", err);
	json_object_put(o);
}

static void
op_tokener(void)
{
	struct json_object *o = json_tokener_parse(text);

	if (o == NULL)
		fatalx("json_tokener_parse");
	json_object_put(o);
}

static void
op_tokener_reused(void)
{
	static struct json_tokener *tok;
	struct json_object *o;

	if (tok == NULL && (tok = json_tokener_new_ex(MODEL_MAX_DEPTH)) == NULL)
		fatal("json_tokener_new_ex");
	json_tokener_reset(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	if ((o = json_tokener_parse_ex(tok, text, (int)text_len)) == NULL)
		fatalx("json_tokener_parse_ex");
	json_object_put(o);
}

static void
op_from_json(void)
{
	struct instance in;
	char err[256];
	int is_null;

	if (instance_from_json(parsed, &in, &is_null, err, sizeof(err)) == -1)
		fatalx("decode: %s", err);
	instance_free(&in);
}

static void
op_batch(void)
{
	struct json_object *o, *arr;
	struct instance in;
	char err[256];
	int is_null;
	size_t i, n;

	if ((o = model_parse(batch, batch_len, err, sizeof(err))) == NULL)
		fatalx("parse: %s", err);
	arr = model_get(o, "instances", NULL);
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		if (instance_from_json(json_object_array_get_idx(arr, i), &in, &is_null,
		    err, sizeof(err)) == -1)
			fatalx("decode: %s", err);
		instance_free(&in);
	}
	json_object_put(o);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define SLICES	7

/* Median over SLICES slices of operations per CPU-second. */
static double
rate(void (*op)(void), double secs)
{
	double r[SLICES], c0, w0, el;
	unsigned long ops;
	int i, s;

	for (i = 0; i < 100; i++)	/* warm caches, the tokener, malloc's bins */
		op();
	for (s = 0; s < SLICES; s++) {
		ops = 0;
		w0 = clock_s(CLOCK_MONOTONIC);
		c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
		do {
			for (i = 0; i < 100; i++)
				op();
			ops += 100;
			el = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
		} while (el < secs / SLICES);
		cpu_total += el;
		wall_total += clock_s(CLOCK_MONOTONIC) - w0;
		r[s] = (double)ops / el;
	}
	qsort(r, SLICES, sizeof(r[0]), cmp_double);
	return r[SLICES / 2];
}

static const struct {
	const char	*name;
	void		(*op)(void);
} ops[] = {
	{ "encode", op_encode }, { "decode", op_decode },
	{ "decode_parse", op_parse }, { "decode_tokener", op_tokener },
	{ "decode_tokener_reused", op_tokener_reused },
	{ "decode_from_json", op_from_json }, { "batch100_decode", op_batch },
};

static void (*op_named(const char *name))(void)
{
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(name, ops[i].name) == 0)
			return ops[i].op;
	fatalx("unknown operation %s", name);
}

int
main(int argc, char *argv[])
{
	int counted = argc > 1 && strcmp(argv[1], "-n") == 0;
	double secs = argc > 1 && !counted ? atof(argv[1]) : 1.0;
	const char *only = argc > 2 ? argv[2] : NULL;
	unsigned long count = counted ? strtoul(argv[2], NULL, 10) : 0, c;
	char err[256];
	int is_null;

	log_init("json-bench", 0);
	if ((text_len = bn_instance_json(text, sizeof(text), "json-svc-", 1, 12345)) == 0)
		fatalx("instance too long");
	if ((parsed = model_parse(text, text_len, err, sizeof(err))) == NULL ||
	    instance_from_json(parsed, &inst, &is_null, err, sizeof(err)) == -1)
		fatalx("sample: %s", err);
	if ((batch = malloc(100 * 1024)) == NULL)
		fatal("malloc");
	batch_len = bn_batch_json(batch, 100 * 1024, "json-svc-", 0, 100, 100);
	if (counted) {
		void (*op)(void);

		if (argc < 4)
			fatalx("usage: json-bench -n COUNT OP");
		op = op_named(argv[3]);
		for (c = 0; c < count; c++)
			op();
		return 0;
	}
	{
		struct sbuf b = SBUF_INIT;

		instance_to_json(&inst, &b);
		printf("input_bytes %zu\ncanonical_bytes %zu\n", text_len, b.len);
		sbuf_free(&b);
	}
	if (only != NULL) {
		printf("%s %.0f\n", only, rate(op_named(only), secs));
		return 0;
	}
	printf("encode %.0f\n", rate(op_encode, secs));
	printf("decode %.0f\n", rate(op_decode, secs));
	printf("decode_parse %.0f\n", rate(op_parse, secs));
	printf("decode_tokener %.0f\n", rate(op_tokener, secs));
	printf("decode_tokener_reused %.0f\n", rate(op_tokener_reused, secs));
	printf("decode_from_json %.0f\n", rate(op_from_json, secs));
	printf("batch100_decode %.0f\n", rate(op_batch, secs / 10) * 100);
	printf("cpu_share %.2f\n", cpu_total / wall_total);
	instance_free(&inst);
	json_object_put(parsed);
	return 0;
}
