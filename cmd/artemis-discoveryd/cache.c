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

static struct rendered *
rendered_new(const char *service_id)
{
	struct rendered *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->service_id = strdup(service_id)) == NULL)
		fatal("rendered_new");
	atomic_init(&r->refs, 1);
	atomic_init(&r->gz, NULL);
	return r;
}

/* A body of n bytes written in place (sbuf.h's rbuf, which rbuf_unref frees):
 * a service's answer is assembled once, where it stays. */
static struct rbuf *
body_alloc(size_t n)
{
	struct rbuf *b;

	if (n > UINT32_MAX || (b = malloc(sizeof(*b) + n + 1)) == NULL)
		fatal("body of %zu bytes", n);
	atomic_init(&b->refs, 1);
	b->len = n;
	b->data[n] = '\0';
	return b;
}

/*
 * What surrounds a service's instance list in its lookup answer: head is
 * {"responseStatus":...,"services":[ and the Service up to its list (svc_off is
 * where the Service starts), tail the rest of the Service and "]}". The Service
 * is rendered with a one-byte placeholder for the list (a control character
 * never appears raw in JSON).
 */
static void
body_parts(const struct filter_service *fs, struct sbuf *head, struct sbuf *tail,
    size_t *svc_off)
{
	struct sbuf svc = SBUF_INIT;
	struct service_json sj;
	const char *mark;
	size_t hole;

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
	sbuf_adds(head, "{\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, head);
	sbuf_adds(head, ",\"services\":[");
	*svc_off = head->len;
	sbuf_add(head, svc.s, hole);
	sbuf_add(tail, mark + 1, svc.len - hole - 1);
	sbuf_adds(tail, "]}");
	sbuf_free(&svc);
}

/* The instance list: kept instances' lengths, key bytes and count. */
static size_t
list_len(const struct filter_inst *inst, size_t n, size_t *keylen, size_t *ninst)
{
	size_t i, len = 2;

	*keylen = *ninst = 0;
	for (i = 0; i < n; i++) {
		if (!inst[i].keep)
			continue;
		len += inst[i].len + (*ninst > 0);
		*keylen += strlen(inst[i].key) + 1;
		(*ninst)++;
	}
	return len;
}

/* r->inst and r->keys for the kept instances, whose list starts at body offset
 * pos; the instances' JSON is not looked at. */
static void
rendered_index(struct rendered *r, const struct filter_inst *inst, size_t n,
    size_t keylen, size_t pos)
{
	size_t i, k = 0, kl;

	if (r->ninst == 0)
		return;
	if ((r->inst = calloc(r->ninst, sizeof(*r->inst))) == NULL ||
	    (r->keys = malloc(keylen)) == NULL)
		fatal("rendered_index");
	pos++;			/* '[' */
	keylen = 0;
	for (i = 0; i < n; i++) {
		if (!inst[i].keep)
			continue;
		kl = strlen(inst[i].key) + 1;
		memcpy(r->keys + keylen, inst[i].key, kl);
		r->inst[k].key = r->keys + keylen;
		r->inst[k].off = (uint32_t)pos;
		r->inst[k].len = (uint32_t)inst[i].len;
		keylen += kl;
		pos += inst[i].len + 1;
		k++;
	}
}

/* Render a filtered service: lookup answer body, Service offsets, instance offsets
 * (the follower and the delta code point into the body instead of keeping copies).
 * Each instance's JSON is copied once, into the body at its final place. */
struct rendered *
rendered_build(struct filter_service *fs)
{
	struct sbuf head = SBUF_INIT, tail = SBUF_INIT;
	struct rendered *r;
	size_t i, k, keylen, listlen, pos, svc_off;
	char *p;

	r = rendered_new(fs->service_id);
	listlen = list_len(fs->inst, fs->ninst, &keylen, &r->ninst);
	body_parts(fs, &head, &tail, &svc_off);
	r->body = body_alloc(head.len + listlen + tail.len);
	p = r->body->data;
	memcpy(p, head.s, head.len);
	pos = head.len;
	p[pos++] = '[';
	for (i = 0, k = 0; i < fs->ninst; i++) {
		if (!fs->inst[i].keep)
			continue;
		if (k++ > 0)
			p[pos++] = ',';
		memcpy(p + pos, fs->inst[i].json, fs->inst[i].len);
		pos += fs->inst[i].len;
	}
	p[pos++] = ']';
	memcpy(p + pos, tail.s, tail.len);
	r->svc_off = svc_off;
	r->svc_len = r->body->len - svc_off - 2;	/* "]}" */
	rendered_index(r, fs->inst, fs->ninst, keylen, head.len);
	sbuf_free(&head);
	sbuf_free(&tail);
	return r;
}

/* Room left after the list of a layout for the end of the Service: enough for
 * the empty-management tail and modest route rules; more renders a copy. */
#define LAYOUT_TAIL_ROOM	512

struct rendered *
rendered_layout(const char *service_id, struct filter_inst *inst, size_t n)
{
	struct sbuf head = SBUF_INIT, tail = SBUF_INIT;
	struct filter_service fs;
	struct rendered *r;
	size_t i, keylen, listlen, pos, svc_off;
	char *p;

	r = rendered_new(service_id);
	filter_service_init(&fs, service_id, inst, n);	/* every keep = 1 */
	listlen = list_len(inst, n, &keylen, &r->ninst);
	sbuf_adds(&fs.logic_instances, "[]");
	sbuf_adds(&fs.route_rules, "[]");
	body_parts(&fs, &head, &tail, &svc_off);
	filter_service_free(&fs);
	r->body = body_alloc(head.len + listlen + tail.len + strlen(service_id) +
	    LAYOUT_TAIL_ROOM);
	p = r->body->data;
	memcpy(p, head.s, head.len);
	pos = head.len;
	p[pos++] = '[';
	for (i = 0; i < n; i++) {
		if (i > 0)
			p[pos++] = ',';
		inst[i].json = p + pos;
		pos += inst[i].len;
	}
	p[pos] = ']';
	r->svc_off = svc_off;
	r->svc_len = pos + 1;		/* where the list ends, until completed */
	rendered_index(r, inst, n, keylen, head.len);
	sbuf_free(&head);
	sbuf_free(&tail);
	return r;
}

struct rendered *
rendered_complete(struct rendered *r, struct filter_service *fs)
{
	struct sbuf head = SBUF_INIT, tail = SBUF_INIT;
	size_t i, end = r->svc_len, svc_off;
	int in_place = fs->ninst == r->ninst;

	for (i = 0; in_place && i < fs->ninst; i++)
		in_place = fs->inst[i].keep;
	if (in_place) {
		body_parts(fs, &head, &tail, &svc_off);
		in_place = svc_off == r->svc_off && tail.len <= r->body->len - end &&
		    memcmp(head.s, r->body->data, head.len) == 0;
	}
	if (!in_place) {
		sbuf_free(&head);
		sbuf_free(&tail);
		return rendered_build(fs);
	}
	memcpy(r->body->data + end, tail.s, tail.len);
	r->body->len = end + tail.len;
	r->body->data[r->body->len] = '\0';
	r->svc_len = r->body->len - r->svc_off - 2;
	sbuf_free(&head);
	sbuf_free(&tail);
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
