/*
 * peers.c — the configured peers, their health (§9.3) and the cluster view.
 *
 * Every status-update-interval each peer is asked POST <peer>/api/status/node.json
 * with {} (gzip): up to 3 attempts 10 ms apart, a refused connection ends the
 * round at once. The peer's reported nodeStatus is kept, anything else is
 * "unknown". Peers are polled one after the other: each poll is bounded (3 x
 * 200 ms), and a cluster has a handful of nodes.
 *
 * A node of ours also says in the response headers which registry and discovery
 * URLs it advertises; they are kept with its status (one that does not look like
 * an http(s) URL is ignored), so that up-*-nodes can send clients to the daemon
 * of the right kind, not to the one URL configured for the peer.
 *
 * After each round the view is published for every daemon of this node
 * (cluster_view.h). A peer that becomes able to serve registry gets every lease
 * that clients of this node keep alive (full_resync, sent as heartbeats that the
 * peer upserts; forward.c): what it missed while it was down or starting is
 * repaired at once instead of at the clients' next heartbeat.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster_view.h"
#include "httpc.h"
#include "log.h"
#include "model.h"
#include "replicator.h"

void
peers_init(struct replicator *r)
{
	struct cluster_peer list[CLUSTER_MAX_PEERS];
	size_t i;

	r->npeers = cluster_peers_parse(&r->cfg, list, CLUSTER_MAX_PEERS);
	if (r->npeers == 0)
		return;
	if ((r->peers = calloc(r->npeers, sizeof(*r->peers))) == NULL)
		fatal("peers_init");
	for (i = 0; i < r->npeers; i++) {
		struct peer *p = &r->peers[i];

		strlcpy(p->url, list[i].url, sizeof(p->url));
		strlcpy(p->zone, list[i].zone, sizeof(p->zone));
		strlcpy(p->st.url, p->url, sizeof(p->st.url));
		strlcpy(p->st.zone, p->zone, sizeof(p->st.zone));
		p->r = r;
		pthread_mutex_init(&p->lock, NULL);
		pthread_cond_init(&p->cond, NULL);
		TAILQ_INIT(&p->queue);
		log_info("peer %s (zone %s)", p->url, p->zone);
	}
}

static int
entry_can_serve_registry(const struct cluster_entry *e)
{
	return e->status == CV_UP || (e->status != CV_DOWN && e->can_registry == CV_TRUE);
}

int
peer_can_serve_registry(struct peer *p)
{
	int ok;

	pthread_mutex_lock(&p->lock);
	ok = !p->is_self && entry_can_serve_registry(&p->st);
	pthread_mutex_unlock(&p->lock);
	return ok;
}

int
peer_is_self(struct peer *p)
{
	int self;

	pthread_mutex_lock(&p->lock);
	self = p->is_self;
	pthread_mutex_unlock(&p->lock);
	return self;
}

/*
 * A configured URL that reaches this very node under another spelling (Java's
 * shipped sample names the node by a loopback URL it does not recognise, §9.1):
 * its node.json advertises our own registry URL. Java replicates to itself
 * then; here that would turn this node's clients' registrations into a
 * peer's, which catching up never re-sends, so it is listed but not a target.
 */
static int
urls_are_self(const struct replicator *r, const struct cluster_urls *urls)
{
	return urls->registry_url[0] != '\0' &&
	    strcmp(urls->registry_url, r->cfg.registry_url) == 0;
}

int
peer_status(struct peer *p)
{
	int st;

	pthread_mutex_lock(&p->lock);
	st = p->st.status;
	pthread_mutex_unlock(&p->lock);
	return st;
}

/* ---------------------------------------------------------------- polling */

static uint8_t
flag_of(struct json_object *o, const char *name)
{
	struct json_object *v = model_get(o, name, NULL);

	if (v == NULL || json_object_is_type(v, json_type_null))
		return CV_NULL;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? CV_TRUE : CV_FALSE;
	return CV_NULL;
}

/* Decode {"nodeStatus":{...},"responseStatus":{"status":"success"}}; 0 ok. */
static int
parse_node_status(const char *body, size_t len, struct cluster_entry *e)
{
	struct json_object *root, *rs, *ns, *v;
	char err[128];
	int rc = -1;

	if ((root = model_parse(body, len, err, sizeof(err))) == NULL)
		return -1;
	if (!json_object_is_type(root, json_type_object) ||
	    (rs = model_get(root, "responseStatus", NULL)) == NULL ||
	    !json_object_is_type(rs, json_type_object) ||
	    (v = model_get(rs, "status", NULL)) == NULL ||
	    strcmp(json_object_get_string(v), "success") != 0 ||
	    (ns = model_get(root, "nodeStatus", NULL)) == NULL ||
	    !json_object_is_type(ns, json_type_object))
		goto out;
	v = model_get(ns, "status", NULL);
	e->status = (uint8_t)cluster_status_parse(v && json_object_is_type(v,
	    json_type_string) ? json_object_get_string(v) : NULL);
	e->can_registry = flag_of(ns, "canServiceRegistry");
	e->can_discovery = flag_of(ns, "canServiceDiscovery");
	e->allow_registry_other_zone = flag_of(ns, "allowRegistryFromOtherZone");
	e->allow_discovery_other_zone = flag_of(ns, "allowDiscoveryFromOtherZone");
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

/* One advertised URL from a node.json response header, if fit (cluster_url_valid). */
static void
learn_url(const struct peer *p, const struct httpc_result *res, const char *header,
    char *out, size_t outlen)
{
	const char *v = httpc_header(res, header);
	size_t len;

	out[0] = '\0';
	if (v == NULL)
		return;
	len = strlen(v);
	if (!cluster_url_valid(v, len) || len >= outlen) {
		log_debug("peer %s: %s ignored: not an http(s) URL of at most %zu bytes",
		    p->url, header, outlen - 1);
		return;
	}
	memcpy(out, v, len + 1);
}

static int
refused(const struct httpc_result *res)
{
	return strcasestr(res->error, "refused") != NULL ||
	    strcasestr(res->error, "couldn't connect") != NULL ||
	    strcasestr(res->error, "resolve") != NULL;
}

/* One peer's status per §9.3; "unknown" with null flags (and no URLs) on any
 * failure. */
static void
poll_peer(struct peer *p, struct cluster_entry *e, struct cluster_urls *urls)
{
	struct httpc_result res;
	int attempt;

	memset(e, 0, sizeof(*e));
	memset(urls, 0, sizeof(*urls));
	strlcpy(e->url, p->url, sizeof(e->url));
	strlcpy(e->zone, p->zone, sizeof(e->zone));
	for (attempt = 0; attempt < POLL_ATTEMPTS; attempt++) {
		if (attempt > 0 && replicator_sleep(p->r, POLL_RETRY_MS))
			break;
		if (httpc_post_json(p->url, "/api/status/node.json", "{}", 2, 1,
		    POLL_TIMEOUT_MS, &res) == 0) {
			int ok = res.status == 200 &&
			    parse_node_status(res.body.s, res.body.len, e) == 0;

			if (ok) {
				learn_url(p, &res, CLUSTER_HDR_REGISTRY_URL,
				    urls->registry_url, sizeof(urls->registry_url));
				learn_url(p, &res, CLUSTER_HDR_DISCOVERY_URL,
				    urls->discovery_url, sizeof(urls->discovery_url));
			}
			httpc_result_free(&res);
			if (ok)
				return;
			continue;
		}
		log_debug("poll %s: %s", p->url, res.error);
		if (refused(&res)) {
			httpc_result_free(&res);
			break;
		}
		httpc_result_free(&res);
	}
	atomic_fetch_add(&p->polls_failed, 1);
	memset(e, 0, sizeof(*e));
	strlcpy(e->url, p->url, sizeof(e->url));
	strlcpy(e->zone, p->zone, sizeof(e->zone));
}

static void
poll_round(struct replicator *r)
{
	struct cluster_entry e;
	struct cluster_urls urls;
	size_t i;

	for (i = 0; i < r->npeers && !atomic_load(&r->stopping); i++) {
		struct peer *p = &r->peers[i];
		int was, now;

		poll_peer(p, &e, &urls);
		e.polled_ms = now_ms();
		pthread_mutex_lock(&p->lock);
		was = entry_can_serve_registry(&p->st);
		if (p->st.status != e.status)
			log_info("peer %s is %s", p->url, cluster_status_name(e.status));
		if (urls.discovery_url[0] != '\0' &&
		    strcmp(urls.discovery_url, p->urls.discovery_url) != 0)
			log_info("peer %s advertises discovery %s", p->url,
			    urls.discovery_url);
		if (urls_are_self(r, &urls) && !p->is_self)
			log_info("peer %s is this node: not replicated to", p->url);
		if (urls.registry_url[0] != '\0')
			p->is_self = urls_are_self(r, &urls);
		p->st = e;
		p->urls = urls;
		now = entry_can_serve_registry(&p->st);
		if (now && !was)
			p->full_resync = 1;
		pthread_mutex_unlock(&p->lock);
	}
	view_publish(r);
}

static void *
poller(void *arg)
{
	struct replicator *r = arg;

	do
		poll_round(r);
	while (!replicator_sleep(r, r->cfg.status_update_interval_ms));
	return NULL;
}

void
peers_start(struct replicator *r)
{
	view_publish(r);
	if (pthread_create(&r->poller, NULL, poller, r) != 0)
		fatalx("cannot start the peer poller");
}

void
peers_join(struct replicator *r)
{
	pthread_join(r->poller, NULL);
}

/* ---------------------------------------------------------------- the view */

void
view_publish(struct replicator *r)
{
	struct cluster_snapshot *s;
	struct cluster_urls *urls;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (urls = calloc(CLUSTER_MAX_PEERS, sizeof(*urls))) == NULL)
		fatal("view_publish");
	for (i = 0; i < r->npeers && i < CLUSTER_MAX_PEERS; i++) {
		pthread_mutex_lock(&r->peers[i].lock);
		s->peers[i] = r->peers[i].st;
		urls[i] = r->peers[i].urls;
		pthread_mutex_unlock(&r->peers[i].lock);
	}
	s->npeers = (uint32_t)i;
	pthread_mutex_lock(&r->view_lock);
	s->self = r->self;
	s->self_managed = (uint32_t)r->self_managed;
	s->table_id = r->self_table_id;
	s->updated_ms = now_ms();
	cluster_view_publish(r->view, s, urls);
	pthread_mutex_unlock(&r->view_lock);
	free(urls);
	free(s);
}

void
self_mark_up(struct replicator *r)
{
	pthread_mutex_lock(&r->view_lock);
	r->self.status = CV_UP;
	r->self.can_registry = CV_TRUE;
	r->self.can_discovery = CV_TRUE;
	pthread_mutex_unlock(&r->view_lock);
	view_publish(r);
	log_info("this node is up");
}

int
self_is_up(struct replicator *r)
{
	int up;

	pthread_mutex_lock(&r->view_lock);
	up = r->self.status == CV_UP;
	pthread_mutex_unlock(&r->view_lock);
	return up;
}
