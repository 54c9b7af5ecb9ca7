/*
 * hbplan.c — heartbeat plans.
 *
 * A client sends the same heartbeat text every interval (the Java client: its whole
 * instance set every 5 s), and decoding JSON is what a heartbeat costs (json-c
 * builds a tree: several microseconds an instance on this hardware), not the
 * renewal (one atomic store). So registryd remembers, by the SHA-1 of the request
 * text, the identity keys a heartbeat carried; the same text again renews those
 * keys without decoding anything.
 *
 * Only requests whose every element passed the static checks (region, zone,
 * fields) get a plan, so a plan's answer is always the canned success. When a
 * renewal fails (the instance lapsed or was unregistered), the full path runs and
 * builds the per-instance failures the client re-registers from.
 *
 * The cache is shared by every door (HTTP threads and the WebSocket loop), bounded
 * by [registryd] heartbeat-cache bytes, least recently used plans leave first.
 */
#include <sys/queue.h>

#include <pthread.h>
#include <sha1.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registryd.h"
#include "table.h"

#define PLAN_BUCKETS	65536	/* power of two */

struct plan {
	uint8_t			 digest[PLAN_DIGEST_LEN];
	size_t			 n;
	size_t			 bytes;
	struct table_key	*keys;
	uint8_t			*legacy;
	char			*keybuf;
	SLIST_ENTRY(plan)	 chain;
	TAILQ_ENTRY(plan)	 lru;
};

SLIST_HEAD(plan_chain, plan);
TAILQ_HEAD(plan_lru, plan);

struct plan_cache {
	pthread_mutex_t		 lock;
	struct plan_chain	 bucket[PLAN_BUCKETS];
	struct plan_lru		 lru;
	size_t			 bytes;
	size_t			 budget;
	uint64_t		 hits, misses, fallbacks;
};

struct plan_cache *
plan_cache_new(size_t budget)
{
	struct plan_cache *c;
	size_t i;

	if (budget == 0)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("plan_cache_new");
	pthread_mutex_init(&c->lock, NULL);
	for (i = 0; i < PLAN_BUCKETS; i++)
		SLIST_INIT(&c->bucket[i]);
	TAILQ_INIT(&c->lru);
	c->budget = budget;
	return c;
}

static void
plan_free(struct plan *p)
{
	free(p->keys);
	free(p->legacy);
	free(p->keybuf);
	free(p);
}

void
plan_cache_free(struct plan_cache *c)
{
	struct plan *p;

	if (c == NULL)
		return;
	while ((p = TAILQ_FIRST(&c->lru)) != NULL) {
		TAILQ_REMOVE(&c->lru, p, lru);
		plan_free(p);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void
plan_digest(const char *body, size_t len, uint8_t digest[PLAN_DIGEST_LEN])
{
	SHA1_CTX ctx;

	SHA1Init(&ctx);
	SHA1Update(&ctx, (const uint8_t *)body, len);
	SHA1Final(digest, &ctx);
}

static struct plan_chain *
bucket_of(struct plan_cache *c, const uint8_t *digest)
{
	uint32_t h;

	memcpy(&h, digest, sizeof(h));
	return &c->bucket[h & (PLAN_BUCKETS - 1)];
}

/* Caller holds the lock. */
static struct plan *
find(struct plan_cache *c, const uint8_t *digest)
{
	struct plan *p;

	SLIST_FOREACH(p, bucket_of(c, digest), chain)
		if (memcmp(p->digest, digest, PLAN_DIGEST_LEN) == 0)
			return p;
	return NULL;
}

static void
forget(struct plan_cache *c, struct plan *p)
{
	SLIST_REMOVE(bucket_of(c, p->digest), p, plan, chain);
	TAILQ_REMOVE(&c->lru, p, lru);
	c->bytes -= p->bytes;
	plan_free(p);
}

/* Renew the plan's keys; 1 if every one was renewed. Caller holds the lock (the
 * plan must not be evicted meanwhile); renewals are atomic stores, so this is
 * short. */
static int
renew_all(struct registryd *d, const struct plan *p)
{
	int64_t renewed[2] = { 0, 0 };
	int stack[128], *res = stack;
	size_t i, ok;

	if (p->n > sizeof(stack) / sizeof(stack[0]) &&
	    (res = calloc(p->n, sizeof(*res))) == NULL)
		fatal("calloc");
	ok = table_renew_many(d->table, p->keys, p->n, now_ms(), ORIGIN_LOCAL, res);
	if (res != stack)
		free(res);
	if (ok != p->n)
		return 0;
	for (i = 0; i < p->n; i++)
		renewed[p->legacy[i] ? LEASE_LEGACY : LEASE_NORMAL]++;
	lease_count_renewals(d, LEASE_NORMAL, renewed[LEASE_NORMAL]);
	lease_count_renewals(d, LEASE_LEGACY, renewed[LEASE_LEGACY]);
	return 1;
}

int
plan_answer(struct registryd *d, const uint8_t *digest, struct sbuf *out)
{
	struct plan_cache *c = d->plans;
	struct plan *p;
	int done;

	pthread_mutex_lock(&c->lock);
	if ((p = find(c, digest)) == NULL) {
		c->misses++;
		pthread_mutex_unlock(&c->lock);
		return PLAN_NONE;
	}
	TAILQ_REMOVE(&c->lru, p, lru);
	TAILQ_INSERT_HEAD(&c->lru, p, lru);
	if (!ratelimit_allow(d->rl_registry, registry_op_identity[OP_HEARTBEAT], now_ms())) {
		pthread_mutex_unlock(&c->lock);
		registry_fail(out, EC_RATE_LIMITED, MSG_RATE_LIMITED);
		return PLAN_ANSWERED;
	}
	done = node_can_serve_registry(&d->node) && renew_all(d, p);
	if (done)
		c->hits++;
	else
		c->fallbacks++;
	pthread_mutex_unlock(&c->lock);
	if (!done)
		return PLAN_FALLBACK;
	sbuf_adds(out, registry_success);
	return PLAN_ANSWERED;
}

/* A plan for a decoded request, or NULL if some element fails a static check. */
static struct plan *
build(struct registryd *d, const uint8_t *digest, enum reg_path path, const struct batch *b)
{
	struct sbuf why = SBUF_INIT, keys = SBUF_INIT;
	struct plan *p;
	size_t i, n = 0, off = 0;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->keys = calloc(b->n ? b->n : 1, sizeof(*p->keys))) == NULL ||
	    (p->legacy = calloc(b->n ? b->n : 1, 1)) == NULL)
		fatal("calloc");
	for (i = 0; i < b->n; i++) {
		if (b->el[i].is_null)
			continue;
		if (registry_check(d, path, &b->el[i].in, &why) != NULL) {
			sbuf_free(&why);
			sbuf_free(&keys);
			plan_free(p);
			return NULL;
		}
		instance_key(&b->el[i].in, &keys);
		p->keys[n].len = keys.len - off;	/* .key set once keybuf is final */
		p->legacy[n++] = (uint8_t)registry_is_legacy(&b->el[i].in);
		off = keys.len;
	}
	sbuf_free(&why);
	p->keybuf = sbuf_steal(&keys, NULL);
	for (i = 0, off = 0; i < n; i++) {
		p->keys[i].key = p->keybuf + off;
		off += p->keys[i].len;
	}
	memcpy(p->digest, digest, PLAN_DIGEST_LEN);
	p->n = n;
	p->bytes = sizeof(*p) + off + n * (sizeof(*p->keys) + 1);
	return p;
}

void
plan_learn(struct registryd *d, const uint8_t *digest, enum reg_path path,
    const struct batch *b)
{
	struct plan_cache *c = d->plans;
	struct plan *p = NULL, *old;

	if (b->n == 0 || (p = build(d, digest, path, b)) == NULL || p->n == 0) {
		if (p != NULL)
			plan_free(p);
		return;
	}
	if (p->bytes > c->budget / 4) {	/* one huge request must not flush the rest */
		plan_free(p);
		return;
	}
	pthread_mutex_lock(&c->lock);
	if ((old = find(c, digest)) != NULL)
		forget(c, old);
	SLIST_INSERT_HEAD(bucket_of(c, digest), p, chain);
	TAILQ_INSERT_HEAD(&c->lru, p, lru);
	c->bytes += p->bytes;
	while (c->bytes > c->budget && (old = TAILQ_LAST(&c->lru, plan_lru)) != NULL)
		forget(c, old);
	pthread_mutex_unlock(&c->lock);
}

void
plan_metrics(struct registryd *d, struct sbuf *out)
{
	struct plan_cache *c = d->plans;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	sbuf_adds(out, "# HELP artemis_heartbeat_plans Heartbeat requests answered from "
	    "remembered keys (hit), decoded (miss), or decoded after a failed renewal "
	    "(fallback).\n# TYPE artemis_heartbeat_plans counter\n");
	sbuf_addf(out, "artemis_heartbeat_plans{result=\"hit\"} %llu\n",
	    (unsigned long long)c->hits);
	sbuf_addf(out, "artemis_heartbeat_plans{result=\"miss\"} %llu\n",
	    (unsigned long long)c->misses);
	sbuf_addf(out, "artemis_heartbeat_plans{result=\"fallback\"} %llu\n",
	    (unsigned long long)c->fallbacks);
	sbuf_addf(out, "artemis_heartbeat_plan_bytes %zu\n", c->bytes);
	pthread_mutex_unlock(&c->lock);
}
