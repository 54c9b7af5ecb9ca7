/*
 * snapshot.c — the versioned services.json cache of spec §7.2 and the deltas of
 * §7.3, with Java's observable semantics: versions are the epoch ms of the
 * refresh, refresh runs with a fixed delay (first after cache-init-delay), the
 * newest cache-count snapshots are kept, every older kept snapshot carries the
 * delta to the newest one, and the newest never has a delta.
 *
 * A snapshot is an array of references to the current renderings (cache.c), so
 * taking one costs a pointer per service, and a delta only looks inside services
 * whose rendering changed (pointer comparison). Only the newest snapshot keeps its
 * assembled services.json body; older ones keep just what deltas need.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "discoveryd.h"
#include "log.h"
#include "model.h"

#define SNAP_MAX	16

struct snap {
	int64_t		  version;
	struct rendered	**svcs;		/* sorted by service id, >= 1 instance each */
	size_t		  n;
	struct rbuf	 *body;		/* services.json answer (newest only) */
	struct rbuf	 *gz;
	struct rbuf	 *delta;	/* services-delta.json answer to the newest */
};

static struct snap	*snaps[SNAP_MAX + 1];	/* oldest first; loop thread writes */
static size_t		 nsnaps;
static pthread_mutex_t	 snap_mtx = PTHREAD_MUTEX_INITIALIZER;	/* readers vs swap */
static pthread_mutex_t	 gz_mtx = PTHREAD_MUTEX_INITIALIZER;	/* one gzip at a time */
static int64_t		 next_due;

static void
snap_free(struct snap *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		rendered_unref(s->svcs[i]);
	free(s->svcs);
	rbuf_unref(s->body);
	rbuf_unref(s->gz);
	rbuf_unref(s->delta);
	free(s);
}

void
snapshot_init(void)
{
	next_due = mono_ms() + env->cfg->cache_init_delay_ms;
}

void
snapshot_clear(void)
{
	size_t i;

	pthread_mutex_lock(&snap_mtx);
	for (i = 0; i < nsnaps; i++)
		snap_free(snaps[i]);
	nsnaps = 0;
	pthread_mutex_unlock(&snap_mtx);
}

static void
rendered_service(struct sbuf *out, const struct rendered *r)
{
	sbuf_add(out, r->body->data + r->svc_off, r->svc_len);
}

/* Append the changes of one service (either side may be NULL). */
static size_t
delta_service(const struct rendered *o, const struct rendered *c, int64_t t,
    struct sbuf *out, int *opened)
{
	size_t i = 0, j = 0, n = 0, no = o ? o->ninst : 0, nc = c ? c->ninst : 0;
	const char *id = c ? c->service_id : o->service_id;
	const struct rendered *side;
	const struct rinst *ri;
	const char *type;
	int cmp;

	while (i < no || j < nc) {
		if (i == no)
			cmp = 1;
		else if (j == nc)
			cmp = -1;
		else
			cmp = strcmp(o->inst[i].key, c->inst[j].key);
		if (cmp == 0) {		/* in both: attribute changes are not reported */
			i++, j++;
			continue;
		}
		if (cmp < 0) {
			side = o, ri = &o->inst[i++], type = CHANGE_DELETE;
		} else {
			side = c, ri = &c->inst[j++], type = CHANGE_NEW;
		}
		if (n++ == 0) {
			if (*opened)
				sbuf_addc(out, ',');
			*opened = 1;
			model_json_string(out, id);
			sbuf_adds(out, ":[");
		} else
			sbuf_addc(out, ',');
		change_to_json(out, t, type, side->body->data + ri->off, ri->len);
	}
	if (n > 0)
		sbuf_addc(out, ']');
	return n;
}

size_t
delta_render(struct rendered **old, size_t nold, struct rendered **cur, size_t ncur,
    int64_t change_time, struct sbuf *out)
{
	size_t i = 0, j = 0, n = 0;
	int cmp, opened = 0;

	sbuf_addc(out, '{');
	while (i < nold || j < ncur) {
		if (i == nold)
			cmp = 1;
		else if (j == ncur)
			cmp = -1;
		else
			cmp = strcmp(old[i]->service_id, cur[j]->service_id);
		if (cmp == 0) {
			if (old[i] != cur[j])	/* same rendering: nothing changed */
				n += delta_service(old[i], cur[j], change_time, out,
				    &opened);
			i++, j++;
		} else if (cmp < 0)
			n += delta_service(old[i++], NULL, change_time, out, &opened);
		else
			n += delta_service(NULL, cur[j++], change_time, out, &opened);
	}
	sbuf_addc(out, '}');
	return n;
}

static struct rbuf *
services_body(struct rendered **svcs, size_t n, int64_t version)
{
	struct sbuf b = SBUF_INIT;
	struct rbuf *r;
	size_t i, total = 64;

	for (i = 0; i < n; i++)
		total += svcs[i]->svc_len + 1;
	sbuf_reserve(&b, total);
	sbuf_adds(&b, "{\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, &b);
	sbuf_adds(&b, ",\"services\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			sbuf_addc(&b, ',');
		rendered_service(&b, svcs[i]);
	}
	sbuf_adds(&b, "],\"version\":");
	sbuf_addi64(&b, version);
	sbuf_addc(&b, '}');
	r = rbuf_from_sbuf(&b);
	sbuf_free(&b);
	return r;
}

/* The answer of services.json before the first refresh (version 0): built from
 * the current renderings on every call, like Java. */
struct rbuf *
snapshot_live_body(void)
{
	struct rendered **v;
	struct rbuf *r;
	size_t i, n;

	n = cache_collect(&v);
	r = services_body(v, n, 0);
	for (i = 0; i < n; i++)
		rendered_unref(v[i]);
	free(v);
	return r;
}

void
snapshot_refresh(struct rendered **svcs, size_t n, int64_t now)
{
	struct snap *s, *drop[SNAP_MAX + 1];
	struct rbuf *deltas[SNAP_MAX + 1], *oldbody = NULL, *oldgz = NULL;
	struct sbuf b = SBUF_INIT;
	size_t keep = (size_t)env->cfg->cache_count, ndrop, i, first;

	if (keep < 1)
		keep = 1;
	if (keep > SNAP_MAX)
		keep = SNAP_MAX;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("snapshot_refresh");
	s->version = now;
	if (nsnaps > 0 && s->version <= snaps[nsnaps - 1]->version)
		s->version = snaps[nsnaps - 1]->version + 1;
	s->svcs = svcs;
	s->n = n;
	s->body = services_body(svcs, n, s->version);

	/* Older snapshots that stay get a fresh delta to the new one. Computed
	 * before taking the lock: snapshots are only changed on this thread. */
	ndrop = nsnaps + 1 > keep ? nsnaps + 1 - keep : 0;
	first = ndrop;
	for (i = first; i < nsnaps; i++) {
		sbuf_reset(&b);
		sbuf_adds(&b, "{\"delta\":");
		delta_render(snaps[i]->svcs, snaps[i]->n, svcs, n, now_ms(), &b);
		sbuf_adds(&b, ",\"responseStatus\":");
		response_status_to_json(&RS_SUCCESS, &b);
		sbuf_adds(&b, ",\"version\":");
		sbuf_addi64(&b, s->version);
		sbuf_addc(&b, '}');
		deltas[i] = rbuf_from_sbuf(&b);
	}
	sbuf_free(&b);

	pthread_mutex_lock(&snap_mtx);
	for (i = 0; i < ndrop; i++)
		drop[i] = snaps[i];
	for (i = first; i < nsnaps; i++) {
		rbuf_unref(snaps[i]->delta);	/* never referenced outside the lock */
		snaps[i]->delta = deltas[i];
	}
	if (nsnaps > 0) {
		oldbody = snaps[nsnaps - 1]->body;
		oldgz = snaps[nsnaps - 1]->gz;
		snaps[nsnaps - 1]->body = snaps[nsnaps - 1]->gz = NULL;
	}
	memmove(snaps, snaps + ndrop, (nsnaps - ndrop) * sizeof(*snaps));
	nsnaps -= ndrop;
	snaps[nsnaps++] = s;
	pthread_mutex_unlock(&snap_mtx);

	rbuf_unref(oldbody);
	rbuf_unref(oldgz);
	for (i = 0; i < ndrop; i++)
		snap_free(drop[i]);
	log_debug("services cache version %lld: %zu services, %zu kept",
	    (long long)s->version, n, nsnaps);
}

void
snapshot_tick(void)
{
	struct rendered **v;
	size_t n;

	if (mono_ms() < next_due)
		return;
	n = cache_collect(&v);
	snapshot_refresh(v, n, now_ms());
	/* fixed delay: the next run counts from the end of this one */
	next_due = mono_ms() + env->cfg->cache_refresh_interval_ms;
}

int
snapshot_services(struct rbuf **body, struct rbuf **gz, int want_gz)
{
	struct rbuf *b, *z;

	*gz = NULL;
	pthread_mutex_lock(&snap_mtx);
	if (nsnaps == 0) {
		pthread_mutex_unlock(&snap_mtx);
		return 0;
	}
	b = rbuf_ref(snaps[nsnaps - 1]->body);
	z = rbuf_ref_null(snaps[nsnaps - 1]->gz);
	pthread_mutex_unlock(&snap_mtx);
	if (want_gz && z == NULL) {
		/* Compress once per version, off the loop thread. */
		pthread_mutex_lock(&gz_mtx);
		pthread_mutex_lock(&snap_mtx);
		if (snaps[nsnaps - 1]->body == b)
			z = rbuf_ref_null(snaps[nsnaps - 1]->gz);
		pthread_mutex_unlock(&snap_mtx);
		if (z == NULL && (z = http_gzip(b->data, b->len)) != NULL) {
			pthread_mutex_lock(&snap_mtx);
			if (snaps[nsnaps - 1]->body == b &&
			    snaps[nsnaps - 1]->gz == NULL)
				snaps[nsnaps - 1]->gz = rbuf_ref(z);
			pthread_mutex_unlock(&snap_mtx);
		}
		pthread_mutex_unlock(&gz_mtx);
	}
	*body = b;
	*gz = z;
	return 1;
}

struct rbuf *
snapshot_delta(int64_t v)
{
	struct rbuf *d = NULL;
	size_t i;

	pthread_mutex_lock(&snap_mtx);
	for (i = 0; i < nsnaps; i++)
		if (snaps[i]->version == v) {
			d = rbuf_ref_null(snaps[i]->delta);	/* NULL for the newest */
			break;
		}
	pthread_mutex_unlock(&snap_mtx);
	return d;
}
