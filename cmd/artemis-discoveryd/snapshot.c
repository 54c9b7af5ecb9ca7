/*
 * snapshot.c — the versioned services.json cache of spec §7.2 and the deltas of
 * §7.3, with Java's observable semantics: versions are the epoch ms of the
 * refresh, refresh runs with a fixed delay (first after cache-init-delay), the
 * newest cache-count snapshots are kept, every older kept snapshot carries the
 * delta to the newest one, and the newest never has a delta.
 *
 * A snapshot is an array of references to the current renderings (cache.c), so
 * taking one costs a pointer per service, and a delta only looks inside services
 * whose rendering changed (pointer comparison).
 *
 * No snapshot holds its services.json body: with 1,000,000 instances that is a
 * second 430 MiB copy of every instance (and 430 MiB of memcpy per refresh).
 * services.json is streamed to each client from the snapshot's renderings (a list
 * of pieces: head, each Service, commas, tail), and its gzip is made once per
 * version, from the same pieces, on the first request that accepts it.
 */
#include <pthread.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>

#include "discoveryd.h"
#include "log.h"
#include "model.h"

#define SNAP_MAX	16

/* A piece of the services.json body; "at" is its offset in the body. */
struct piece {
	const char	*p;
	size_t		 len;
	uint64_t	 at;
};

struct snap {
	_Atomic long	  refs;		/* the list, and responses streaming it */
	int64_t		  version;
	struct rendered	**svcs;		/* sorted by service id, >= 1 instance each */
	size_t		  n;
	struct sbuf	  head;		/* {"responseStatus":...,"services":[ */
	struct sbuf	  tail;		/* ],"version":N} */
	struct piece	 *pieces;
	size_t		  npieces;
	uint64_t	  len;		/* of the services.json body */
	struct rbuf	 *gz;		/* gzip of the body (newest only, on demand) */
	struct rbuf	 *delta;	/* services-delta.json answer to the newest */
};

static struct snap	*snaps[SNAP_MAX + 1];	/* oldest first; loop thread writes */
static size_t		 nsnaps;
static pthread_mutex_t	 snap_mtx = PTHREAD_MUTEX_INITIALIZER;	/* readers vs swap */
static pthread_mutex_t	 gz_mtx = PTHREAD_MUTEX_INITIALIZER;	/* one gzip at a time */
static int64_t		 next_due;

static void
snap_add_piece(struct snap *s, const char *p, size_t len)
{
	s->pieces[s->npieces].p = p;
	s->pieces[s->npieces].len = len;
	s->pieces[s->npieces].at = s->len;
	s->npieces++;
	s->len += len;
}

/* A snapshot of the given renderings (takes over the array and its references). */
static struct snap *
snap_new(struct rendered **svcs, size_t n, int64_t version)
{
	struct snap *s;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->pieces = reallocarray(NULL, 2 * n + 2, sizeof(*s->pieces))) == NULL)
		fatal("snapshot");
	atomic_init(&s->refs, 1);
	s->version = version;
	s->svcs = svcs;
	s->n = n;
	sbuf_adds(&s->head, "{\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, &s->head);
	sbuf_adds(&s->head, ",\"services\":[");
	sbuf_adds(&s->tail, "],\"version\":");
	sbuf_addi64(&s->tail, version);
	sbuf_addc(&s->tail, '}');
	snap_add_piece(s, s->head.s, s->head.len);
	for (i = 0; i < n; i++) {
		if (i > 0)
			snap_add_piece(s, ",", 1);
		snap_add_piece(s, svcs[i]->body->data + svcs[i]->svc_off,
		    svcs[i]->svc_len);
	}
	snap_add_piece(s, s->tail.s, s->tail.len);
	return s;
}

static struct snap *
snap_ref(struct snap *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

static void
snap_unref(struct snap *s)
{
	size_t i;

	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (i = 0; i < s->n; i++)
		rendered_unref(s->svcs[i]);
	free(s->svcs);
	free(s->pieces);
	sbuf_free(&s->head);
	sbuf_free(&s->tail);
	rbuf_unref(s->gz);
	rbuf_unref(s->delta);
	free(s);
}

/* Copy up to max bytes of the body from pos on; *hint is the piece to try first
 * (readers go forward), found by bisection otherwise. */
static size_t
snap_copy(const struct snap *s, uint64_t pos, char *buf, size_t max, size_t *hint)
{
	size_t i = *hint, lo, hi, n = 0, off, take;

	if (pos >= s->len)
		return 0;
	if (i >= s->npieces || pos < s->pieces[i].at ||
	    pos >= s->pieces[i].at + s->pieces[i].len) {
		for (lo = 0, hi = s->npieces; hi - lo > 1; ) {
			size_t mid = lo + (hi - lo) / 2;

			if (s->pieces[mid].at <= pos)
				lo = mid;
			else
				hi = mid;
		}
		i = lo;
	}
	off = (size_t)(pos - s->pieces[i].at);
	while (n < max && i < s->npieces) {
		take = s->pieces[i].len - off;
		if (take > max - n)
			take = max - n;
		memcpy(buf + n, s->pieces[i].p + off, take);
		n += take;
		off += take;
		if (off == s->pieces[i].len) {
			i++;
			off = 0;
		}
	}
	*hint = i;
	return n;
}

struct snap_stream {
	struct snap	*s;
	size_t		 hint;
};

static ssize_t
snap_stream_read(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct snap_stream *st = arg;
	size_t n;

	n = snap_copy(st->s, pos, buf, max, &st->hint);
	return n > 0 ? (ssize_t)n : -1;
}

static void
snap_stream_done(void *arg)
{
	struct snap_stream *st = arg;

	snap_unref(st->s);
	free(st);
}

/* Answer with the body of s, streamed (takes over the caller's reference). */
static void
snap_stream(struct snap *s, struct http_response *resp)
{
	struct snap_stream *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		fatal("snap_stream");
	st->s = s;
	resp->stream.len = s->len;
	resp->stream.read = snap_stream_read;
	resp->stream.done = snap_stream_done;
	resp->stream.arg = st;
}

/* gzip of the body, compressed piece by piece (never assembled). */
static struct rbuf *
snap_gzip(const struct snap *s)
{
	struct sbuf out = SBUF_INIT;
	struct rbuf *r;
	z_stream z;
	size_t i;
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	sbuf_reserve(&out, s->len / 8 + 1024);
	for (i = 0; i <= s->npieces; i++) {
		int flush = i == s->npieces ? Z_FINISH : Z_NO_FLUSH;

		z.next_in = i < s->npieces ? (Bytef *)(uintptr_t)s->pieces[i].p : NULL;
		z.avail_in = i < s->npieces ? (uInt)s->pieces[i].len : 0;
		do {
			if (out.cap - out.len < 65536)
				sbuf_reserve(&out, 65536 + out.len / 2);
			z.next_out = (Bytef *)out.s + out.len;
			z.avail_out = (uInt)(out.cap - out.len - 1);
			rc = deflate(&z, flush);
			out.len = (size_t)((char *)z.next_out - out.s);
			if (rc == Z_STREAM_ERROR) {
				deflateEnd(&z);
				sbuf_free(&out);
				return NULL;
			}
		} while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
	}
	deflateEnd(&z);
	r = rbuf_from_sbuf(&out);
	sbuf_free(&out);
	return r;
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
		snap_unref(snaps[i]);
	nsnaps = 0;
	pthread_mutex_unlock(&snap_mtx);
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

/* The answer of services.json before the first refresh (version 0): from the
 * current renderings on every call, like Java. */
void
snapshot_live(struct http_response *resp)
{
	struct rendered **v;
	size_t n;

	n = cache_collect(&v);
	snap_stream(snap_new(v, n, 0), resp);
}

void
snapshot_refresh(struct rendered **svcs, size_t n, int64_t now)
{
	struct snap *s, *drop[SNAP_MAX + 1];
	struct rbuf *deltas[SNAP_MAX + 1], *oldgz = NULL;
	struct sbuf b = SBUF_INIT;
	size_t keep = (size_t)env->cfg->cache_count, ndrop, i, first;
	int64_t version = now;

	if (keep < 1)
		keep = 1;
	if (keep > SNAP_MAX)
		keep = SNAP_MAX;
	if (nsnaps > 0 && version <= snaps[nsnaps - 1]->version)
		version = snaps[nsnaps - 1]->version + 1;
	s = snap_new(svcs, n, version);

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
		oldgz = snaps[nsnaps - 1]->gz;
		snaps[nsnaps - 1]->gz = NULL;
	}
	memmove(snaps, snaps + ndrop, (nsnaps - ndrop) * sizeof(*snaps));
	nsnaps -= ndrop;
	snaps[nsnaps++] = s;
	pthread_mutex_unlock(&snap_mtx);

	rbuf_unref(oldgz);
	for (i = 0; i < ndrop; i++)
		snap_unref(drop[i]);
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

/* A reference to the newest snapshot, or NULL before the first refresh. */
static struct snap *
newest(void)
{
	struct snap *s = NULL;

	pthread_mutex_lock(&snap_mtx);
	if (nsnaps > 0)
		s = snap_ref(snaps[nsnaps - 1]);
	pthread_mutex_unlock(&snap_mtx);
	return s;
}

/* The gzip of s, made now if nobody made it yet (once per version, off the loop
 * thread). NULL if s is no longer the newest or compression failed. */
static struct rbuf *
snap_gz(struct snap *s)
{
	struct rbuf *z;

	pthread_mutex_lock(&snap_mtx);
	z = rbuf_ref_null(s->gz);
	pthread_mutex_unlock(&snap_mtx);
	if (z != NULL)
		return z;
	pthread_mutex_lock(&gz_mtx);
	pthread_mutex_lock(&snap_mtx);
	z = rbuf_ref_null(s->gz);
	pthread_mutex_unlock(&snap_mtx);
	if (z == NULL && (z = snap_gzip(s)) != NULL) {
		pthread_mutex_lock(&snap_mtx);
		if (nsnaps > 0 && snaps[nsnaps - 1] == s && s->gz == NULL)
			s->gz = rbuf_ref(z);
		pthread_mutex_unlock(&snap_mtx);
	}
	pthread_mutex_unlock(&gz_mtx);
	return z;
}

int
snapshot_services(struct http_response *resp, int want_gz)
{
	struct snap *s;

	if ((s = newest()) == NULL)
		return 0;
	if (want_gz)
		resp->shared_gz = snap_gz(s);
	snap_stream(s, resp);
	return 1;
}

struct rbuf *
snapshot_services_body(void)
{
	struct sbuf out = SBUF_INIT;
	struct snap *s;
	struct rbuf *b;
	size_t hint = 0;

	if ((s = newest()) == NULL)
		return NULL;
	sbuf_reserve(&out, (size_t)s->len + 1);
	out.len = snap_copy(s, 0, out.s, (size_t)s->len, &hint);
	out.s[out.len] = '\0';
	b = rbuf_from_sbuf(&out);
	sbuf_free(&out);
	snap_unref(s);
	return b;
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
