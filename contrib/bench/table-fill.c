/*
 * table-fill.c — fills an instance table for the daemon benchmarks of `make bench`
 * (registryd/discoveryd resident memory and restart time with 1,000,000 instances)
 * without pushing a million registrations through HTTP first.
 *
 *   table-fill PATH N NSVC TTL_MS
 *
 * Creates PATH (capacity N) holding N instances spread over NSVC services
 * "fill-svc-<n>", stored as registryd stores them: canonical JSON from
 * instance_to_json and the key from instance_key, the same ~400-byte shape as
 * contrib/bench/benchnet.c bn_instance_json. Prints "instances seconds json_bytes"
 * (seconds spent in table_upsert; JSON is generated in chunks outside it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "model.h"
#include "sbuf.h"
#include "table.h"

#define CHUNK	8192
#define KEYMAX	96
#define JSONMAX	640
#define SVCMAX	32

struct gen {
	char	 key[KEYMAX];
	size_t	 key_len;
	char	 svc[SVCMAX];
	size_t	 svc_len;
	char	 json[JSONMAX];
	size_t	 json_len;
};

static const char *svc_prefix = "fill-svc-";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One instance, the same shape as contrib/bench/benchnet.c bn_instance_json. */
static void
generate(struct gen *g, unsigned svc, unsigned id)
{
	static struct kv md[] = {
		{ "idc", "sha-aws-1" }, { "version", "1.5.16-SNAPSHOT" },
		{ "weight", "100" }, { "owner", "team-benchmark" },
		{ "build", "20240101.1234" },
	};
	char iid[32], host[32], ip[32], url[96], hc[96];
	struct instance in;
	struct sbuf b = SBUF_INIT;
	unsigned a = (id >> 8) & 0xff, c = id & 0xff;

	snprintf(g->svc, sizeof(g->svc), "%s%05u", svc_prefix, svc);
	g->svc_len = strlen(g->svc);
	snprintf(iid, sizeof(iid), "inst-%08u", id);
	snprintf(host, sizeof(host), "host-%08u", id);
	snprintf(ip, sizeof(ip), "10.1.%u.%u", a, c);
	snprintf(url, sizeof(url), "http://10.1.%u.%u:8080/api/v1/service-endpoint", a, c);
	snprintf(hc, sizeof(hc), "http://10.1.%u.%u:8080/health", a, c);
	memset(&in, 0, sizeof(in));
	in.region_id = "sha";
	in.zone_id = "sha-z1";
	in.service_id = g->svc;
	in.instance_id = iid;
	in.group_id = "default";
	in.machine_name = host;
	in.ip = ip;
	in.port = 8080;
	in.protocol = "http";
	in.status = "up";
	in.url = url;
	in.health_check_url = hc;
	in.metadata = md;
	in.nmetadata = sizeof(md) / sizeof(md[0]);
	in.has_metadata = 1;
	instance_key(&in, &b);
	if (b.len >= KEYMAX)
		fatalx("key too long");
	memcpy(g->key, b.s, b.len);
	g->key_len = b.len;
	sbuf_reset(&b);
	instance_to_json(&in, &b);
	if (b.len >= JSONMAX)
		fatalx("json too long");
	memcpy(g->json, b.s, b.len);
	g->json_len = b.len;
	sbuf_free(&b);
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fresh upserts of ids [0, n); returns seconds spent inside table_upsert. */
static double
fill(struct table *t, unsigned n, unsigned nsvc, uint32_t ttl_ms, size_t *json_total)
{
	struct gen *g = calloc(CHUNK, sizeof(*g));
	double spent = 0, t0;
	int64_t now = wall_ms();
	unsigned base, i, m;
	uint64_t seq;
	int rc;

	if (g == NULL)
		fatal("calloc");
	for (base = 0; base < n; base += CHUNK) {
		m = n - base < CHUNK ? n - base : CHUNK;
		for (i = 0; i < m; i++) {
			generate(&g[i], (base + i) % nsvc, base + i);
			*json_total += g[i].json_len;
		}
		t0 = now_s();
		for (i = 0; i < m; i++)
			if ((rc = table_upsert(t, g[i].key, g[i].key_len, g[i].svc,
			    g[i].svc_len, g[i].json, g[i].json_len, now, ttl_ms, 0,
			    ORIGIN_LOCAL, &seq)) != 0)
				fatalx("table_upsert %u: %s", base + i, strerror(-rc));
		spent += now_s() - t0;
	}
	free(g);
	return spent;
}

static int
do_fill(const char *path, unsigned n, unsigned nsvc, uint32_t ttl_ms)
{
	char err[256];
	struct table *t;
	size_t json_total = 0;
	double spent;

	(void)unlink(path);
	if ((t = table_open_writer(path, n, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	spent = fill(t, n, nsvc, ttl_ms, &json_total);
	table_close(t);
	printf("%u %.2f %.0f\n", n, spent, (double)json_total / n);
	return 0;
}

int
main(int argc, char *argv[])
{
	log_init("table-fill", 0);
	if (argc != 5) {
		fprintf(stderr, "usage: table-fill PATH N NSVC TTL_MS\n");
		return 2;
	}
	return do_fill(argv[1], (unsigned)strtoul(argv[2], NULL, 10),
	    (unsigned)strtoul(argv[3], NULL, 10), (uint32_t)strtoul(argv[4], NULL, 10));
}
