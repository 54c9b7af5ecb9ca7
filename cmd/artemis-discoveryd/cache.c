/*
 * cache.c — rendered services: each service's JSON is rendered once per change
 * (on the loop thread) into an immutable, reference-counted struct rendered, and
 * HTTP threads answer from it by reference. The map service id -> rendering is
 * guarded by a rwlock held only to look up and take a reference.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "discoveryd.h"
#include "log.h"
#include "model.h"

struct centry {
	RB_ENTRY(centry)	 entry;
	char			*service_id;
	struct rendered		*r;
};

static int
centry_cmp(struct centry *a, struct centry *b)
{
	return strcmp(a->service_id, b->service_id);
}

RB_HEAD(cmap, centry);
RB_GENERATE_LOCAL(cmap, centry, entry, centry_cmp);

static struct cmap	 cmap = RB_INITIALIZER(&cmap);
static pthread_rwlock_t	 cmap_lock = PTHREAD_RWLOCK_INITIALIZER;

static void
rendered_free(struct rendered *r)
{
	struct rbuf *gz;

	rbuf_unref(r->body);
	gz = atomic_load(&r->gz);
	rbuf_unref(gz);
	free(r->inst);
	free(r->keys);
	free(r->service_id);
	free(r);
}

struct rendered *
rendered_ref(struct rendered *r)
{
	if (r != NULL)
		atomic_fetch_add(&r->refs, 1);
	return r;
}

void
rendered_unref(struct rendered *r)
{
	if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1)
		rendered_free(r);
}

/* gzip is made on first demand: most services are never asked for it. Two
 * threads may race to make it; the loser drops its copy. */
struct rbuf *
rendered_gz(struct rendered *r)
{
	struct rbuf *gz, *expect = NULL;

	if ((gz = atomic_load(&r->gz)) != NULL)
		return rbuf_ref(gz);
	if ((gz = http_gzip(r->body->data, r->body->len)) == NULL)
		return NULL;
	if (!atomic_compare_exchange_strong(&r->gz, &expect, gz)) {
		rbuf_unref(gz);
		return rbuf_ref(expect);
	}
	return rbuf_ref(gz);
}

/* Render a filtered service: lookup answer body, Service offsets, instance offsets
 * (the follower and the delta code point into the body instead of keeping copies).
 * The Service is rendered with a one-byte placeholder for its instance list (a
 * control character never appears raw in JSON), and the body is assembled once
 * around it: each instance's JSON is copied exactly once, at a known offset. */
struct rendered *
rendered_build(struct filter_service *fs)
{
	struct sbuf svc = SBUF_INIT, body = SBUF_INIT;
	struct service_json sj;
	struct rendered *r;
	size_t i, k, keylen = 0, listlen = 2, pos, hole;
	const char *mark;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->service_id = strdup(fs->service_id)) == NULL)
		fatal("rendered_build");
	atomic_init(&r->refs, 1);
	atomic_init(&r->gz, NULL);
	for (i = 0; i < fs->ninst; i++) {
		if (!fs->inst[i].keep)
			continue;
		listlen += fs->inst[i].len + (r->ninst++ > 0);
		keylen += strlen(fs->inst[i].key) + 1;
	}

	memset(&sj, 0, sizeof(sj));
	sj.service_id = fs->service_id;
	sj.instances = "\001";
	sj.logic_instances = fs->logic_instances.s;
	sj.route_rules = fs->route_rules.s;
	service_to_json(&sj, &svc);
	/* "instances" sorts first in a Service, so the first mark is the list. */
	if ((mark = memchr(svc.s, '\001', svc.len)) == NULL)
		fatalx("service %s: instance list missing from its rendering",
		    fs->service_id);
	hole = (size_t)(mark - svc.s);

	sbuf_reserve(&body, svc.len + listlen + 64);
	sbuf_adds(&body, "{\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, &body);
	sbuf_adds(&body, ",\"services\":[");
	r->svc_off = body.len;
	r->svc_len = svc.len - 1 + listlen;
	sbuf_add(&body, svc.s, hole);
	sbuf_addc(&body, '[');
	pos = body.len;
	for (i = 0, k = 0; i < fs->ninst; i++) {
		if (!fs->inst[i].keep)
			continue;
		if (k++ > 0)
			sbuf_addc(&body, ',');
		sbuf_add(&body, fs->inst[i].json, fs->inst[i].len);
	}
	sbuf_addc(&body, ']');
	sbuf_add(&body, mark + 1, svc.len - hole - 1);
	sbuf_adds(&body, "]}");
	if (body.len > UINT32_MAX)
		fatalx("service %s renders to %zu bytes", fs->service_id, body.len);
	r->body = rbuf_from_sbuf(&body);

	if (r->ninst > 0) {
		if ((r->inst = calloc(r->ninst, sizeof(*r->inst))) == NULL ||
		    (r->keys = malloc(keylen)) == NULL)
			fatal("rendered_build");
	}
	keylen = 0;
	for (i = 0, k = 0; i < fs->ninst; i++) {
		size_t kl;

		if (!fs->inst[i].keep)
			continue;
		kl = strlen(fs->inst[i].key) + 1;
		memcpy(r->keys + keylen, fs->inst[i].key, kl);
		r->inst[k].key = r->keys + keylen;
		r->inst[k].off = (uint32_t)pos;
		r->inst[k].len = (uint32_t)fs->inst[i].len;
		keylen += kl;
		pos += fs->inst[i].len + 1;
		k++;
	}
	sbuf_free(&svc);
	sbuf_free(&body);
	return r;
}

void
cache_init(void)
{
	RB_INIT(&cmap);
}

void
cache_clear(void)
{
	struct centry *e, *next;

	pthread_rwlock_wrlock(&cmap_lock);
	RB_FOREACH_SAFE(e, cmap, &cmap, next) {
		RB_REMOVE(cmap, &cmap, e);
		rendered_unref(e->r);
		free(e->service_id);
		free(e);
	}
	pthread_rwlock_unlock(&cmap_lock);
}

void
cache_put(const char *service_id, struct rendered *r)
{
	struct centry key, *e;
	struct rendered *old = NULL;

	key.service_id = (char *)service_id;
	pthread_rwlock_wrlock(&cmap_lock);
	e = RB_FIND(cmap, &cmap, &key);
	if (e != NULL && r == NULL) {
		RB_REMOVE(cmap, &cmap, e);
		old = e->r;
		free(e->service_id);
		free(e);
	} else if (e != NULL) {
		old = e->r;
		e->r = r;
	} else if (r != NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL ||
		    (e->service_id = strdup(service_id)) == NULL)
			fatal("cache_put");
		e->r = r;
		RB_INSERT(cmap, &cmap, e);
	}
	pthread_rwlock_unlock(&cmap_lock);
	rendered_unref(old);	/* outside the lock: may free a large body */
}

struct rendered *
cache_get(const char *service_id)
{
	struct centry key, *e;
	struct rendered *r = NULL;

	key.service_id = (char *)service_id;
	pthread_rwlock_rdlock(&cmap_lock);
	if ((e = RB_FIND(cmap, &cmap, &key)) != NULL)
		r = rendered_ref(e->r);
	pthread_rwlock_unlock(&cmap_lock);
	return r;
}

size_t
cache_collect(struct rendered ***out)
{
	struct centry *e;
	struct rendered **v = NULL;
	size_t n = 0, cap = 0;

	pthread_rwlock_rdlock(&cmap_lock);
	RB_FOREACH(e, cmap, &cmap) {
		if (e->r->ninst == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((v = reallocarray(v, cap, sizeof(*v))) == NULL)
				fatal("cache_collect");
		}
		v[n++] = rendered_ref(e->r);
	}
	pthread_rwlock_unlock(&cmap_lock);
	*out = v;
	return n;
}

int
accepts_gzip(struct http_request *req)
{
	const char *ae = http_header(req, "Accept-Encoding");

	return ae != NULL && strcasestr(ae, "gzip") != NULL;
}
