/*
 * sender.c — one bounded FIFO of replication tasks and one worker thread per peer
 * (§9.4), so a slow or dead peer delays only its own queue, never the journal
 * follower or the other peers.
 *
 * The worker takes up to 250 consecutive tasks of one kind from the head (order
 * is kept: a register is never overtaken by its unregister) and POSTs
 * {"instances":[...]} to <peer>/api/replication/registry/<kind>.json. Failures are
 * classified per instance: the whole batch on transport errors, HTTP errors and
 * "fail", the listed failedInstances on "partial_fail". Retryable ones (§9.4:
 * everything but bad-request, no-permission, internal-service-error and
 * service-unavailable) are sent again with a short back-off until their task
 * expires (5 s after it was queued) or the peer stops being able to serve
 * registry; the others are dropped and counted.
 *
 * A full queue drops its oldest task (counted): the peer is far behind, and
 * heartbeats plus the full resync when it comes back repair the gap.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "log.h"
#include "model.h"
#include "replicator.h"

#define RETRY_MIN_MS	50
#define RETRY_MAX_MS	1000

const char *const task_names[TASK_KINDS] = { "register", "heartbeat", "unregister" };

static void
task_free(struct task *t)
{
	if (t == NULL)
		return;
	free(t->key);
	free(t->json);
	free(t);
}

void
sender_enqueue(struct peer *p, enum task_kind kind, const char *key, size_t key_len,
    const char *json, size_t json_len)
{
	struct task *t, *old = NULL;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("sender_enqueue");
	t->kind = kind;
	t->expiry = mono_ms() + TASK_TTL_MS;
	t->key = xmemdup(key, key_len);
	t->json = xmemdup(json, json_len);
	t->json_len = json_len;
	pthread_mutex_lock(&p->lock);
	if (p->qlen >= QUEUE_MAX) {
		old = TAILQ_FIRST(&p->queue);
		TAILQ_REMOVE(&p->queue, old, entry);
		p->qlen--;
		atomic_fetch_add(&p->dropped_overflow, 1);
	}
	TAILQ_INSERT_TAIL(&p->queue, t, entry);
	p->qlen++;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	task_free(old);
	atomic_fetch_add(&p->r->queued[kind], 1);
}

int
sender_retryable(const char *code)
{
	static const char *const permanent[] = { EC_BAD_REQUEST, EC_NO_PERMISSION,
	    EC_INTERNAL, EC_UNAVAILABLE };
	size_t i;

	if (code == NULL)
		return 1;
	for (i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		if (strcmp(code, permanent[i]) == 0)
			return 0;
	return 1;
}

/* Take up to BATCH_MAX consecutive tasks of the head's kind; 0 when stopping. */
static size_t
take_batch(struct peer *p, struct task **batch)
{
	struct task *t;
	size_t n = 0;

	pthread_mutex_lock(&p->lock);
	while (TAILQ_EMPTY(&p->queue) && !atomic_load(&p->r->stopping))
		pthread_cond_wait(&p->cond, &p->lock);
	if (atomic_load(&p->r->stopping)) {	/* what is queued is dropped */
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	while ((t = TAILQ_FIRST(&p->queue)) != NULL && n < BATCH_MAX &&
	    (n == 0 || t->kind == batch[0]->kind)) {
		TAILQ_REMOVE(&p->queue, t, entry);
		p->qlen--;
		batch[n++] = t;
	}
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* Instance key (table form) of a failedInstances[i].instance; NULL if unusable. */
static char *
failed_key(struct json_object *fi)
{
	struct instance in;
	struct sbuf key = SBUF_INIT;
	char err[128], *k = NULL;
	int is_null = 0;

	memset(&in, 0, sizeof(in));
	if (fi && instance_from_json(model_get(fi, "instance", NULL), &in, &is_null, err,
	    sizeof(err)) == 0 && !is_null) {
		instance_key(&in, &key);
		k = sbuf_steal(&key, NULL);
	}
	instance_free(&in);
	sbuf_free(&key);
	return k;
}

static const char *
string_of(struct json_object *o, const char *name)
{
	struct json_object *v = o ? model_get(o, name, NULL) : NULL;

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) :
	    NULL;
}

/*
 * Send batch[0..n) once. codes[i] is set to NULL for instances the peer took, to
 * EC_UNKNOWN for retryable failures and to EC_BAD_REQUEST for permanent ones.
 * Returns how many failed.
 */
static size_t
send_once(struct peer *p, struct task **batch, size_t n, const char **codes)
{
	struct httpc_result res;
	struct sbuf body = SBUF_INIT, path = SBUF_INIT;
	struct json_object *root = NULL, *rs, *fl;
	const char *status, *code;
	char err[128];
	size_t i, j, failed = 0;

	sbuf_adds(&body, "{\"instances\":[");
	for (i = 0; i < n; i++) {
		if (i)
			sbuf_addc(&body, ',');
		sbuf_add(&body, batch[i]->json, batch[i]->json_len);
		codes[i] = NULL;
	}
	sbuf_adds(&body, "]}");
	sbuf_addf(&path, "/api/replication/registry/%s.json", task_names[batch[0]->kind]);
	atomic_fetch_add(&p->requests, 1);
	if (httpc_post_json(p->url, path.s, body.s, body.len, 1, SEND_TIMEOUT_MS, &res) ==
	    -1 || res.status != 200 ||
	    (root = model_parse(res.body.s, res.body.len, err, sizeof(err))) == NULL ||
	    (rs = model_get(root, "responseStatus", NULL)) == NULL ||
	    (status = string_of(rs, "status")) == NULL) {
		log_debug("replicate %s to %s: %s", task_names[batch[0]->kind], p->url,
		    res.status ? "bad response" : res.error);
		code = EC_UNKNOWN;
		goto all_failed;
	}
	if (strcmp(status, ST_SUCCESS) == 0)
		goto out;
	code = string_of(rs, "errorCode");
	if (strcmp(status, ST_PARTIAL_FAIL) == 0 &&
	    (fl = model_get(root, "failedInstances", NULL)) != NULL &&
	    json_object_is_type(fl, json_type_array)) {
		size_t nf = json_object_array_length(fl);

		for (j = 0; j < nf; j++) {
			struct json_object *fi = json_object_array_get_idx(fl, j);
			const char *fc = string_of(fi, "errorCode");
			char *k = failed_key(fi);

			for (i = 0; k && i < n; i++)
				if (codes[i] == NULL && strcmp(batch[i]->key, k) == 0) {
					codes[i] = sender_retryable(fc) ? EC_UNKNOWN :
					    EC_BAD_REQUEST;
					failed++;
					break;
				}
			free(k);
		}
		goto out;
	}
	log_debug("replicate %s to %s: %s %s", task_names[batch[0]->kind], p->url, status,
	    code ? code : "");
	code = sender_retryable(code) ? EC_UNKNOWN : EC_BAD_REQUEST;
all_failed:
	for (i = 0; i < n; i++)
		codes[i] = code;
	failed = n;
out:
	json_object_put(root);
	httpc_result_free(&res);
	sbuf_free(&body);
	sbuf_free(&path);
	return failed;
}

/* Send a batch, retrying what may be retried until it expires. */
static void
deliver(struct peer *p, struct task **batch, size_t n)
{
	const char *codes[BATCH_MAX];
	int64_t backoff = RETRY_MIN_MS, now;
	enum task_kind kind = batch[0]->kind;
	size_t i, keep, failed;

	while (n > 0) {
		now = mono_ms();
		for (i = keep = 0; i < n; i++) {
			if (batch[i]->expiry < now) {
				atomic_fetch_add(&p->dropped_expired, 1);
				task_free(batch[i]);
			} else
				batch[keep++] = batch[i];
		}
		if ((n = keep) == 0)
			break;
		failed = send_once(p, batch, n, codes);
		atomic_fetch_add(&p->sent[kind], n - failed);
		for (i = keep = 0; i < n; i++) {
			if (codes[i] == NULL)
				task_free(batch[i]);
			else if (strcmp(codes[i], EC_BAD_REQUEST) == 0) {
				atomic_fetch_add(&p->failed, 1);
				task_free(batch[i]);
			} else
				batch[keep++] = batch[i];
		}
		if ((n = keep) == 0)
			break;
		/* a peer that stopped serving registry is skipped, not retried (§9.4) */
		if (replicator_sleep(p->r, backoff) || !peer_can_serve_registry(p)) {
			for (i = 0; i < n; i++) {
				atomic_fetch_add(&p->failed, 1);
				task_free(batch[i]);
			}
			break;
		}
		atomic_fetch_add(&p->retried, n);
		backoff = backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff * 2;
	}
}

static void *
sender_loop(void *arg)
{
	struct peer *p = arg;
	struct task *batch[BATCH_MAX];
	size_t n;

	while ((n = take_batch(p, batch)) > 0)
		deliver(p, batch, n);
	return NULL;
}

void
sender_start(struct peer *p)
{
	if (pthread_create(&p->thread, NULL, sender_loop, p) != 0)
		fatalx("cannot start the sender for %s", p->url);
}

void
sender_stop(struct peer *p)
{
	struct task *t;

	pthread_mutex_lock(&p->lock);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	while ((t = TAILQ_FIRST(&p->queue)) != NULL) {
		TAILQ_REMOVE(&p->queue, t, entry);
		task_free(t);
	}
	p->qlen = 0;
}
