/*
 * json-bench.c — one-core micro-benchmark of the model.h codec on the ~400-byte
 * benchmark instance (contrib/bench/benchnet.c bn_instance_json).
 *
 *   json-bench [SECONDS]
 *
 * Prints "name per_second" lines:
 *   encode            instance_to_json into a reused sbuf
 *   decode            model_parse + instance_from_json + frees (what a request costs)
 *   decode_parse      model_parse + json_object_put only (json-c tokenizer + tree)
 *   decode_tokener    plain json_tokener_parse + put (json-c without model's checks)
 *   decode_from_json  instance_from_json + instance_free on a parsed tree
 *   batch100_decode   instances/s for a 100-instance heartbeat body, parse + decode
 *                     (the per-message work of a batched WebSocket heartbeat)
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
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

static double
rate(void (*op)(void), double secs)
{
	unsigned long ops = 0;
	double t0 = now_s(), el;
	int i;

	do {
		for (i = 0; i < 1000; i++)
			op();
		ops += 1000;
		el = now_s() - t0;
	} while (el < secs);
	return (double)ops / el;
}

int
main(int argc, char *argv[])
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
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
	{
		struct sbuf b = SBUF_INIT;

		instance_to_json(&inst, &b);
		printf("input_bytes %zu\ncanonical_bytes %zu\n", text_len, b.len);
		sbuf_free(&b);
	}
	printf("encode %.0f\n", rate(op_encode, secs));
	printf("decode %.0f\n", rate(op_decode, secs));
	printf("decode_parse %.0f\n", rate(op_parse, secs));
	printf("decode_tokener %.0f\n", rate(op_tokener, secs));
	printf("decode_from_json %.0f\n", rate(op_from_json, secs));
	printf("batch100_decode %.0f\n", rate(op_batch, secs / 10) * 100);
	instance_free(&inst);
	json_object_put(parsed);
	return 0;
}
