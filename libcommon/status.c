/*
 * status.c — node status (§9.2), /api/cluster/... (§5.8) and /api/status/... (§5.9,
 * §10), answered by every HTTP daemon from configuration, the shared table and the
 * cluster view (cluster_view.h) that artemis-replicator publishes.
 *
 * Without a view (no replicator), or for a peer the view does not hold or has not
 * refreshed for a while, a peer is reported with status "unknown" (and therefore
 * never offered to clients by up-*-nodes). This node's status comes from
 * [cluster] force-up, or, when force-up is false, from the view once the
 * replicator manages it (bootstrap, §9.5); until then the node is "starting".
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cluster_view.h"
#include "http.h"
#include "log.h"
#include "model.h"
#include "ratelimit.h"
#include "sbuf.h"
#include "status.h"
#include "table.h"

#define MAX_NODES		CLUSTER_MAX_PEERS
#define VIEW_CHECK_MS		1000	/* re-look for / re-stat the view file */
#define PEER_STALE_MIN_MS	3000	/* a poll older than this (and 3 intervals) is stale */

struct node {
	char			zone[CONFIG_STR];
	char			url[CONFIG_STR];
	int			self;
	struct cluster_entry	st;	/* status, flags (self: own status) */
};

enum node_kind { KIND_REGISTRY, KIND_DISCOVERY };

/* ---------------------------------------------------------------- the view */

/* One view per process; reads copy under the lock so a replaced file can be
 * unmapped safely. */
static pthread_mutex_t		 view_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cluster_view	*view;
static int64_t			 view_checked = -VIEW_CHECK_MS;

static struct cluster_view *
view_attach_locked(const struct config *c)
{
	char path[PATH_MAX];
	int64_t now = mono_ms();

	if (now - view_checked < VIEW_CHECK_MS)
		return view;
	view_checked = now;
	if (view != NULL && cluster_view_replaced(view)) {
		cluster_view_close(view);
		view = NULL;
	}
	if (view == NULL && config_state_path(c, CLUSTER_VIEW_FILE, path, sizeof(path)) == 0)
		view = cluster_view_open_reader(path);
	return view;
}

/* 1 and a copy of the published snapshot (and the peers' URLs), 0 when there
 * is none. */
static int
view_snapshot(const struct config *c, struct cluster_snapshot *out,
    struct cluster_urls *urls)
{
	int ok = 0;

	pthread_mutex_lock(&view_lock);
	if (view_attach_locked(c) != NULL && cluster_view_read(view, out, urls) == 0)
		ok = 1;
	pthread_mutex_unlock(&view_lock);
	return ok;
}

/* ---------------------------------------------------------------- this node */

/*
 * registryd, the table's writer, beats once per clean-interval. A reader that
 * sees no beat for three of them (at least 3 s) serves a table nobody keeps:
 * leases no longer expire and registrations go nowhere. Java's node would be
 * gone altogether; this one says it is down, so clients and peers move on.
 */
static int
writer_gone(const struct node_ctx *n)
{
	int64_t stall = 3 * n->cfg->clean_interval_ms;

	return n->table != NULL && table_writer_stalled(n->table, stall > 3000 ?
	    stall : 3000);
}

/* This node's status and flags (§9.2). */
static void
own_status(const struct node_ctx *n, struct cluster_entry *e)
{
	uint32_t managed = 0;
	int ok = 0;

	memset(e, 0, sizeof(*e));
	e->allow_registry_other_zone = n->cfg->registry_allow_other_zone ? CV_TRUE : CV_FALSE;
	e->allow_discovery_other_zone = n->cfg->discovery_allow_other_zone ? CV_TRUE :
	    CV_FALSE;
	if (writer_gone(n)) {
		e->status = CV_DOWN;
		e->can_registry = e->can_discovery = CV_FALSE;
		return;
	}
	if (n->cfg->force_up) {
		e->status = CV_UP;
		e->can_registry = e->can_discovery = CV_TRUE;
		return;
	}
	e->status = CV_STARTING;
	pthread_mutex_lock(&view_lock);
	if (view_attach_locked(n->cfg) != NULL) {
		struct cluster_entry self;

		if (cluster_view_read_self(view, &self, &managed) == 0 && managed) {
			e->status = self.status;
			e->can_registry = self.can_registry;
			e->can_discovery = self.can_discovery;
			ok = 1;
		}
	}
	pthread_mutex_unlock(&view_lock);
	if (!ok)
		e->status = CV_STARTING;
}

static const char *
flag_name(int f)
{
	return f == CV_TRUE ? "true" : f == CV_FALSE ? "false" : "null";
}

/* §9.2 "can serve": up, or not down and the capability flag is true. */
static int
entry_can_serve(const struct cluster_entry *e, enum node_kind kind)
{
	int flag = kind == KIND_REGISTRY ? e->can_registry : e->can_discovery;

	return e->status == CV_UP || (e->status != CV_DOWN && flag == CV_TRUE);
}

int
node_can_serve_registry(const struct node_ctx *n)
{
	struct cluster_entry e;

	if (n->cfg->force_up && !writer_gone(n))
		return 1;
	own_status(n, &e);
	return entry_can_serve(&e, KIND_REGISTRY);
}

int
node_can_serve_discovery(const struct node_ctx *n)
{
	struct cluster_entry e;

	if (n->cfg->force_up && !writer_gone(n))
		return 1;
	own_status(n, &e);
	return entry_can_serve(&e, KIND_DISCOVERY);
}

void
node_status_text(const struct node_ctx *n, struct sbuf *out)
{
	struct sbuf node = SBUF_INIT;
	struct cluster_entry e;
	size_t i;

	own_status(n, &e);
	sbuf_addf(&node, "%s/%s/%s", n->cfg->region, n->cfg->zone, n->self_url);
	for (i = 0; i < node.len; i++)
		if (node.s[i] >= 'A' && node.s[i] <= 'Z')
			node.s[i] += 'a' - 'A';
	sbuf_addf(out, "{ node: %s, status: %s, canServiceRegistry: %s, "
	    "canServiceDiscovery: %s }", node.s, cluster_status_name(e.status),
	    flag_name(e.can_registry), flag_name(e.can_discovery));
	sbuf_free(&node);
}

static void
service_node_json(struct sbuf *out, const char *region, const char *zone, const char *url)
{
	sbuf_adds(out, "{\"url\":");
	model_json_string(out, url);
	sbuf_adds(out, ",\"zone\":{\"metadata\":null,\"regionId\":");
	model_json_string(out, region);
	sbuf_adds(out, ",\"zoneId\":");
	model_json_string(out, zone);
	sbuf_adds(out, "}}");
}

static void
status_json(const struct node_ctx *n, struct sbuf *out, const struct node *nd)
{
	const struct cluster_entry *e = &nd->st;

	sbuf_addf(out, "{\"allowDiscoveryFromOtherZone\":%s,\"allowRegistryFromOtherZone\":%s,"
	    "\"canServiceDiscovery\":%s,\"canServiceRegistry\":%s,\"node\":",
	    flag_name(e->allow_discovery_other_zone), flag_name(e->allow_registry_other_zone),
	    flag_name(e->can_discovery), flag_name(e->can_registry));
	service_node_json(out, n->cfg->region, nd->zone, nd->url);
	sbuf_addf(out, ",\"status\":\"%s\"}", cluster_status_name(e->status));
}

void
node_status_json(const struct node_ctx *n, struct sbuf *out)
{
	struct node self;

	memset(&self, 0, sizeof(self));
	strlcpy(self.zone, n->cfg->zone, sizeof(self.zone));
	strlcpy(self.url, n->self_url, sizeof(self.url));
	self.self = 1;
	own_status(n, &self.st);
	status_json(n, out, &self);
}

/* ---------------------------------------------------------------- cluster */

/* This node (with the URL of the given kind) and the configured peers: local zone
 * first, then other zones, in configuration order (§5.8), each with its status:
 * own status for this node, the replicator's last fresh poll for peers. This
 * node stands where [cluster] peers lists it in its zone, as in Java (which
 * copies the list); first when it is not listed. With learned set, a peer that
 * advertised its URL of that kind in node.json is listed by it (up-*-nodes);
 * else by its configured URL, its identity (cluster.json). */
static size_t
cluster_nodes(const struct node_ctx *n, enum node_kind kind, int learned,
    struct node *out, size_t max)
{
	struct cluster_peer peers[CLUSTER_MAX_PEERS];
	struct cluster_snapshot *snap = NULL;
	struct cluster_urls *urls = NULL;
	const struct cluster_entry *e;
	const char *adv;
	int64_t stale_ms, now = now_ms();
	size_t np, i, total = 0, self_at;
	int have = 0;

	np = cluster_peers_parse_self(n->cfg, peers, CLUSTER_MAX_PEERS, &self_at);
	if (np > 0) {
		if ((snap = malloc(sizeof(*snap))) == NULL || (learned &&
		    (urls = calloc(CLUSTER_MAX_PEERS, sizeof(*urls))) == NULL))
			fatal("malloc");
		have = view_snapshot(n->cfg, snap, urls);
	}
	stale_ms = 3 * n->cfg->status_update_interval_ms;
	if (stale_ms < PEER_STALE_MIN_MS)
		stale_ms = PEER_STALE_MIN_MS;
	for (i = 0; i <= np && total < max; i++) {
		memset(&out[total], 0, sizeof(out[total]));
		if (i == self_at) {
			strlcpy(out[total].zone, n->cfg->zone, sizeof(out[total].zone));
			strlcpy(out[total].url, kind == KIND_REGISTRY ? n->cfg->registry_url :
			    n->cfg->discovery_url, sizeof(out[total].url));
			out[total].self = 1;
			own_status(n, &out[total].st);
			if (++total == max)
				break;
			memset(&out[total], 0, sizeof(out[total]));
		}
		if (i == np)
			break;
		strlcpy(out[total].zone, peers[i].zone, sizeof(out[total].zone));
		strlcpy(out[total].url, peers[i].url, sizeof(out[total].url));
		if (have && (e = cluster_snapshot_find(snap, peers[i].zone, peers[i].url)) &&
		    e->polled_ms > 0 && now - e->polled_ms <= stale_ms) {
			out[total].st = *e;
			adv = urls == NULL ? "" : kind == KIND_REGISTRY ?
			    urls[e - snap->peers].registry_url :
			    urls[e - snap->peers].discovery_url;
			if (adv[0] != '\0')
				strlcpy(out[total].url, adv, sizeof(out[total].url));
		}
		total++;
	}
	free(urls);
	free(snap);
	return total;
}

/* Region/zone of a cluster or status request: POST body or GET query. */
static int
request_region_zone(struct http_request *req, char **region, char **zone)
{
	struct json_object *o;
	struct sbuf q = SBUF_INIT;
	char err[256];

	*region = *zone = NULL;
	if (req->method_bit == HTTP_GET) {	/* String parameters, as Spring binds them */
		if (http_query_join(req, "regionId", &q))
			*region = sbuf_steal(&q, NULL);
		if (http_query_join(req, "zoneId", &q))
			*zone = sbuf_steal(&q, NULL);
		sbuf_free(&q);
		return 0;
	}
	if ((o = model_parse(req->body, req->body_len, err, sizeof(err))) == NULL)
		return -1;
	/* Jackson binds only an object to the request type */
	if (!json_object_is_type(o, json_type_object) ||
	    model_get_string(o, "regionId", region, err, sizeof(err)) == -1 ||
	    model_get_string(o, "zoneId", zone, err, sizeof(err)) == -1) {
		json_object_put(o);
		free(*region);
		free(*zone);
		*region = *zone = NULL;
		return -1;
	}
	json_object_put(o);
	return 0;
}

/*
 * A peer entry that is this node under another spelling is listed by its
 * learned URL, which is this node's own: list a URL once (a Java client drops
 * duplicates anyway).
 */
static int
listed_before(const struct node *nodes, const size_t *shown_at, size_t shown,
    const char *url)
{
	size_t j;

	for (j = 0; j < shown; j++)
		if (strcmp(nodes[shown_at[j]].url, url) == 0)
			return 1;
	return 0;
}

static void
up_nodes(struct http_request *req, struct http_response *resp, enum node_kind kind)
{
	struct node_ctx *n = req->route_arg;
	struct node nodes[MAX_NODES + 1];
	size_t shown_at[MAX_NODES + 1];
	char *region, *zone;
	size_t cnt, i, shown = 0;
	int allow;

	if (request_region_zone(req, &region, &zone) == -1) {
		http_error(resp, 400, "malformed JSON");
		return;
	}
	if (!ratelimit_allow(n->rl_cluster, kind == KIND_REGISTRY ? "up-registry-nodes" :
	    "up-discovery-nodes", now_ms())) {
		sbuf_adds(&resp->body, "{\"nodes\":null,\"responseStatus\":");
		response_status_fail(&resp->body, EC_RATE_LIMITED, MSG_RATE_LIMITED);
		sbuf_addc(&resp->body, '}');
		goto done;
	}
	cnt = cluster_nodes(n, kind, 1, nodes, MAX_NODES + 1);
	for (i = 0; i < cnt; i++) {
		allow = kind == KIND_REGISTRY ? nodes[i].st.allow_registry_other_zone :
		    nodes[i].st.allow_discovery_other_zone;
		if (!entry_can_serve(&nodes[i].st, kind))
			continue;
		if (allow != CV_TRUE && !(region && zone &&
		    strcmp(region, n->cfg->region) == 0 && strcmp(zone, nodes[i].zone) == 0))
			continue;
		if (listed_before(nodes, shown_at, shown, nodes[i].url))
			continue;
		shown_at[shown] = i;
		sbuf_adds(&resp->body, shown++ ? "," : "{\"nodes\":[");
		service_node_json(&resp->body, n->cfg->region, nodes[i].zone, nodes[i].url);
	}
	if (shown == 0) {
		sbuf_adds(&resp->body, "{\"nodes\":null,\"responseStatus\":");
		response_status_fail(&resp->body, EC_DATA_NOT_FOUND, MSG_NO_NODES);
	} else {
		sbuf_adds(&resp->body, "],\"responseStatus\":");
		response_status_to_json(&RS_SUCCESS, &resp->body);
	}
	sbuf_addc(&resp->body, '}');
done:
	free(region);
	free(zone);
}

static void
h_up_registry(struct http_request *req, struct http_response *resp)
{
	up_nodes(req, resp, KIND_REGISTRY);
}

static void
h_up_discovery(struct http_request *req, struct http_response *resp)
{
	up_nodes(req, resp, KIND_DISCOVERY);
}

/* ---------------------------------------------------------------- status */

/* POST endpoints of status take a JSON body ({} from Java clients). */
static int
require_json_body(struct http_request *req, struct http_response *resp)
{
	struct json_object *o;
	char err[256];

	if (req->method_bit != HTTP_POST)
		return 0;
	if ((o = model_parse(req->body, req->body_len, err, sizeof(err))) == NULL) {
		http_error(resp, 400, err);
		return -1;
	}
	if (!json_object_is_type(o, json_type_object)) {	/* Jackson: 400 */
		json_object_put(o);
		http_error(resp, 400, "request body is not a JSON object");
		return -1;
	}
	json_object_put(o);
	return 0;
}

/*
 * The status rate limiter (§6.8). A limited call answers the response object with
 * every other field at its failure value: before are the fields that sort ahead
 * of "responseStatus", after those that sort behind it (Jackson's order).
 */
static int
status_limited(struct http_request *req, struct http_response *resp, const char *identity,
    const char *before, const char *after)
{
	struct node_ctx *n = req->route_arg;

	if (ratelimit_allow(n->rl_status, identity, now_ms()))
		return 0;
	sbuf_addf(&resp->body, "{%s\"responseStatus\":", before);
	response_status_fail(&resp->body, EC_RATE_LIMITED, MSG_RATE_LIMITED);
	sbuf_addf(&resp->body, "%s}", after);
	return 1;
}

static void
h_node(struct http_request *req, struct http_response *resp)
{
	struct node_ctx *n = req->route_arg;

	if (require_json_body(req, resp) == -1)
		return;
	/* what peers of ours learn about this node (cluster_view.h); headers only,
	 * so the body stays Java's */
	if (n->cfg->registry_url[0] != '\0')
		(void)http_add_header(resp, CLUSTER_HDR_REGISTRY_URL, n->cfg->registry_url);
	if (n->cfg->discovery_url[0] != '\0')
		(void)http_add_header(resp, CLUSTER_HDR_DISCOVERY_URL, n->cfg->discovery_url);
	sbuf_adds(&resp->body, "{\"nodeStatus\":");
	node_status_json(n, &resp->body);
	sbuf_adds(&resp->body, ",\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, &resp->body);
	sbuf_addc(&resp->body, '}');
}

static void
h_cluster(struct http_request *req, struct http_response *resp)
{
	struct node_ctx *n = req->route_arg;
	struct node nodes[MAX_NODES + 1];
	size_t cnt, i;

	if (require_json_body(req, resp) == -1 ||
	    status_limited(req, resp, "get-cluster", "\"nodeCount\":0,\"nodesStatus\":null,",
	    ""))
		return;
	cnt = cluster_nodes(n, KIND_REGISTRY, 0, nodes, MAX_NODES + 1);
	sbuf_addf(&resp->body, "{\"nodeCount\":%zu,\"nodesStatus\":[", cnt);
	for (i = 0; i < cnt; i++) {
		if (i)
			sbuf_addc(&resp->body, ',');
		if (nodes[i].self)
			strlcpy(nodes[i].url, n->self_url, sizeof(nodes[i].url));
		status_json(n, &resp->body, &nodes[i]);
	}
	sbuf_adds(&resp->body, "],\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, &resp->body);
	sbuf_addc(&resp->body, '}');
}

/* ---- leases.json / legacy-leases.json */

/*
 * The services asked for, as Java receives them in a List<String>: an empty or
 * absent list asks for all; otherwise each id is looked up as it is (a blank
 * one finds nothing). A null element makes Java's lookup throw (has_null).
 */
struct lease_filter {
	char	**ids;
	size_t	  n;
	int	  active;	/* the list was not empty */
	int	  has_null;
};

static void
filter_add_one(struct lease_filter *f, const char *p, size_t n)
{
	char **ids;

	f->active = 1;
	if (f->n >= 10000)
		return;
	if ((ids = reallocarray(f->ids, f->n + 1, sizeof(*ids))) == NULL)
		fatal("reallocarray");
	f->ids = ids;
	if ((f->ids[f->n++] = strndup(p, n)) == NULL)
		fatal("strndup");
}

/* ?appIds=a,b once: Spring's String -> List conversion splits at commas and
 * trims each element ("" is an empty list). */
static void
filter_add_split(struct lease_filter *f, const char *v)
{
	const char *comma, *end;

	if (*v == '\0')
		return;
	for (;;) {
		comma = strchr(v, ',');
		end = comma ? comma : v + strlen(v);
		while (v < end && isspace((unsigned char)*v))
			v++;
		while (end > v && isspace((unsigned char)end[-1]))
			end--;
		filter_add_one(f, v, (size_t)(end - v));
		if (comma == NULL)
			break;
		v = comma + 1;
	}
}

struct appids {
	const char	*first;
	struct lease_filter *f;
	int		 n;
};

/* A repeated ?appIds= is a String[]: each value is one element, as it is. */
static void
appids_cb(const char *v, void *arg)
{
	struct appids *a = arg;

	if (a->n++ == 0) {
		a->first = v;
		return;
	}
	if (a->n == 2)
		filter_add_one(a->f, a->first, strlen(a->first));
	filter_add_one(a->f, v, strlen(v));
}

static void
filter_free(struct lease_filter *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->ids[i]);
	free(f->ids);
}

static int
filter_match(const struct lease_filter *f, const char *svc)
{
	size_t i;

	if (!f->active)
		return 1;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->ids[i], svc) == 0)	/* Java: the raw service map key */
			return 1;
	return 0;
}

static int
lease_filter_from_request(struct http_request *req, struct lease_filter *f)
{
	struct json_object *o, *ids, *e;
	char err[256];
	size_t i;

	memset(f, 0, sizeof(*f));
	if (req->method_bit == HTTP_GET) {
		struct appids a = { NULL, f, 0 };

		http_query_each(req, "appIds", appids_cb, &a);
		if (a.n == 1)
			filter_add_split(f, a.first);
		return 0;
	}
	if ((o = model_parse(req->body, req->body_len, err, sizeof(err))) == NULL)
		return -1;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	if ((ids = model_get(o, "serviceIds", NULL)) != NULL) {
		if (!json_object_is_type(ids, json_type_array)) {
			json_object_put(o);
			return -1;
		}
		for (i = 0; i < json_object_array_length(ids); i++) {
			e = json_object_array_get_idx(ids, i);
			if (e == NULL) {
				f->has_null = 1;
				f->active = 1;
			} else if (json_object_is_type(e, json_type_object) ||
			    json_object_is_type(e, json_type_array)) {
				json_object_put(o);	/* Jackson: no String */
				filter_free(f);
				return -1;
			} else
				filter_add_one(f, json_object_get_string(e),
				    strlen(json_object_get_string(e)));
		}
	}
	json_object_put(o);
	return 0;
}

static void
format_time(struct sbuf *out, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char buf[64];

	localtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	sbuf_addf(out, "\"%s.%03d\"", buf, (int)(ms % 1000));
}

/* Display string of a stored instance: decode its JSON (status path only). */
static void
stored_display(const struct table_rec *r, struct sbuf *out)
{
	struct json_object *o;
	struct instance in;
	char err[128];
	int is_null = 0;

	memset(&in, 0, sizeof(in));
	o = json_tokener_parse(r->json);
	if (o && instance_from_json(o, &in, &is_null, err, sizeof(err)) == 0 && !is_null)
		instance_display(&in, out);
	else
		sbuf_add(out, r->key, r->key_len);
	instance_free(&in);
	json_object_put(o);
}

struct lease_group {
	char		*service_id;
	struct sbuf	 items;
	size_t		 count;
};

static struct lease_group *
group_for(struct lease_group **groups, size_t *ngroups, const char *svc)
{
	struct lease_group *g;
	size_t i;

	for (i = 0; i < *ngroups; i++)
		if (strcmp((*groups)[i].service_id, svc) == 0)
			return &(*groups)[i];
	if ((g = reallocarray(*groups, *ngroups + 1, sizeof(*g))) == NULL)
		fatal("reallocarray");
	*groups = g;
	g = &g[(*ngroups)++];
	memset(g, 0, sizeof(*g));
	if ((g->service_id = strdup(svc)) == NULL)
		fatal("strdup");
	return g;
}

/* The fields ahead of responseStatus in a failed leases answer. */
#define LEASES_FAILED	"\"isSafe\":false,\"isSafeCheckEnabled\":false,\"leaseCount\":0," \
	"\"leaseUpdateCountLastTimeWindow\":0,\"leaseUpdateMaxCount\":0," \
	"\"leaseUpdateMaxCountLastUpdateTime\":0,\"leases\":null,"

static const struct response_status RS_NPE = { EC_INTERNAL, NULL, ST_FAIL };

static void
leases(struct http_request *req, struct http_response *resp, int legacy)
{
	struct node_ctx *n = req->route_arg;
	struct table_registry_status *rs;
	struct lease_group *groups = NULL, *g;
	struct lease_filter f;
	struct table_rec *r;
	size_t ngroups = 0, total = 0, i;
	uint32_t slot, hwm;
	int m = legacy ? 1 : 0;

	/* Spring reads the body before the service looks at the limiter */
	if (lease_filter_from_request(req, &f) == -1) {
		http_error(resp, 400, "malformed JSON");
		return;
	}
	if (status_limited(req, resp, legacy ? "get-legacy-leases" : "get-leases",
	    LEASES_FAILED, "")) {
		filter_free(&f);
		return;
	}
	if (f.has_null) {	/* Java: NullPointerException in the lookup, no message */
		sbuf_adds(&resp->body, "{" LEASES_FAILED "\"responseStatus\":");
		response_status_to_json(&RS_NPE, &resp->body);
		sbuf_addc(&resp->body, '}');
		filter_free(&f);
		return;
	}
	if ((r = malloc(sizeof(*r))) == NULL)
		fatal("malloc");
	hwm = n->table ? table_hwm(n->table) : 0;
	for (slot = 0; slot < hwm; slot++) {
		if (table_read_slot(n->table, slot, r) != 1)
			continue;
		if (((r->flags & TABLE_F_LEGACY) != 0) != legacy || r->eviction_ms != 0)
			continue;
		if (!filter_match(&f, r->service_id))
			continue;
		g = group_for(&groups, &ngroups, r->service_id);
		sbuf_adds(&g->items, g->count++ ? ",{\"creationTime\":" : "{\"creationTime\":");
		format_time(&g->items, r->creation_ms);
		sbuf_adds(&g->items, ",\"evitionTime\":");
		format_time(&g->items, r->eviction_ms);
		sbuf_adds(&g->items, ",\"instance\":\"");
		stored_display(r, &g->items);
		sbuf_adds(&g->items, "\",\"renewalTime\":");
		format_time(&g->items, r->renewal_ms);
		sbuf_addf(&g->items, ",\"ttl\":%u}", r->ttl_ms);
		total++;
	}
	free(r);
	filter_free(&f);

	rs = n->table ? &table_header(n->table)->reg : NULL;
	sbuf_addf(&resp->body, "{\"isSafe\":%s,\"isSafeCheckEnabled\":%s,\"leaseCount\":%zu,"
	    "\"leaseProtectionHeldCount\":%lld,\"leaseProtectionSince\":%lld,"
	    "\"leaseUpdateCountLastTimeWindow\":%lld,\"leaseUpdateMaxCount\":%lld,"
	    "\"leaseUpdateMaxCountLastUpdateTime\":%lld,\"leases\":{",
	    !rs || rs->is_safe[m] || !rs->safe_enabled ? "true" : "false",
	    rs && rs->safe_enabled ? "true" : "false", total,
	    rs ? (long long)rs->held_expired[m] : 0LL,
	    rs ? (long long)rs->unsafe_since_ms[m] : 0LL,
	    rs ? (long long)rs->update_count_window[m] : 0LL,
	    rs ? (long long)rs->update_max_count[m] : 0LL,
	    rs ? (long long)rs->update_max_count_time[m] : 0LL);
	for (i = 0; i < ngroups; i++) {
		if (i)
			sbuf_addc(&resp->body, ',');
		model_json_string(&resp->body, groups[i].service_id);
		sbuf_adds(&resp->body, ":[");
		sbuf_add(&resp->body, groups[i].items.s, groups[i].items.len);
		sbuf_addc(&resp->body, ']');
		free(groups[i].service_id);
		sbuf_free(&groups[i].items);
	}
	free(groups);
	sbuf_adds(&resp->body, "},\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, &resp->body);
	sbuf_addc(&resp->body, '}');
}

static void
h_leases(struct http_request *req, struct http_response *resp)
{
	leases(req, resp, 0);
}

static void
h_legacy_leases(struct http_request *req, struct http_response *resp)
{
	leases(req, resp, 1);
}

/* ---- config.json, deployment.json, connections.json */

static void
property(struct sbuf *out, int *first, const char *key, const char *value)
{
	struct sbuf v = SBUF_INIT;

	sbuf_addf(&v, "{ key: %s, value: %s, typedValue: %s }", key, value, value);
	sbuf_adds(out, *first ? "" : ",");
	*first = 0;
	model_json_string(out, key);
	sbuf_addc(out, ':');
	model_json_string(out, v.s);
	sbuf_free(&v);
}

static void
h_config(struct http_request *req, struct http_response *resp)
{
	struct node_ctx *n = req->route_arg;
	const struct config *c = n->cfg;
	char buf[64];
	int first = 1;

	if (require_json_body(req, resp) == -1 ||
	    status_limited(req, resp, "get-config", "\"properties\":null,",
	    ",\"sources\":null"))
		return;
	sbuf_adds(&resp->body, "{\"properties\":{");
	/* sorted by key, like Java */
	property(&resp->body, &first, "cluster.force-up", c->force_up ? "true" : "false");
	property(&resp->body, &first, "cluster.peers", c->peers);
	snprintf(buf, sizeof(buf), "%lld", (long long)c->clean_interval_ms);
	property(&resp->body, &first, "lease.clean-interval", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)c->ttl_ms);
	property(&resp->body, &first, "lease.ttl", buf);
	property(&resp->body, &first, "node.region", c->region);
	property(&resp->body, &first, "node.zone", c->zone);
	snprintf(buf, sizeof(buf), "%u", c->capacity);
	property(&resp->body, &first, "table.capacity", buf);
	sbuf_adds(&resp->body, "},\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, &resp->body);
	sbuf_adds(&resp->body, ",\"sources\":{");
	model_json_string(&resp->body, c->file);
	sbuf_adds(&resp->body, ":1}}");
}

static void
h_deployment(struct http_request *req, struct http_response *resp)
{
	struct node_ctx *n = req->route_arg;
	const struct config *c = n->cfg;
	const struct listen_addr *l = NULL;
	char host[256];

	if (require_json_body(req, resp) == -1 ||
	    status_limited(req, resp, "get-deployment", "\"appId\":null,\"ip\":null,"
	    "\"machineName\":null,\"path\":null,\"port\":0,\"properties\":null,"
	    "\"protocol\":null,\"regionId\":null,", ",\"sources\":null,\"zoneId\":null"))
		return;
	if (gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	if (strcmp(n->self_url, c->registry_url) == 0)
		l = &c->registryd_listen;
	else if (strcmp(n->self_url, c->discovery_url) == 0)
		l = &c->discoveryd_listen;
	else
		l = &c->mgmtd_listen;
	sbuf_adds(&resp->body, "{\"appId\":\"artemis\",\"ip\":");
	model_json_string(&resp->body, l->host);
	sbuf_adds(&resp->body, ",\"machineName\":");
	model_json_string(&resp->body, host);
	sbuf_addf(&resp->body, ",\"path\":\"/\",\"port\":%d,\"properties\":{},"
	    "\"protocol\":\"http\",\"regionId\":", l->port);
	model_json_string(&resp->body, c->region);
	sbuf_adds(&resp->body, ",\"responseStatus\":");
	response_status_to_json(&RS_SUCCESS, &resp->body);
	sbuf_adds(&resp->body, ",\"sources\":{},\"zoneId\":");
	model_json_string(&resp->body, c->zone);
	sbuf_addc(&resp->body, '}');
}

/* ---- WebSocket session counts shared by the daemons of a node
 *
 * Java counts both kinds of session in one process; here registryd holds the
 * heartbeat sessions and discoveryd the instance-change ones, so each publishes
 * its count into a small shared file and connections.json on any daemon reports
 * both. A count whose publisher is gone (pid not alive) reads as 0. */

#define WS_SESSIONS_MAGIC	0x41777331u	/* "Aws1" */

struct ws_sessions {
	_Atomic uint32_t	magic;
	uint32_t		pad;
	struct {
		_Atomic int64_t	pid;
		_Atomic int64_t	count;
	} kind[2];			/* [0] registry, [1] discovery */
};

static pthread_mutex_t		 sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ws_sessions	*sessions;
static int64_t			 sessions_tried = -VIEW_CHECK_MS;

static struct ws_sessions *
sessions_map(const struct config *c)
{
	struct ws_sessions *m;
	struct stat st;
	char path[PATH_MAX];
	int fd;

	pthread_mutex_lock(&sessions_lock);
	if (sessions != NULL || mono_ms() - sessions_tried < VIEW_CHECK_MS)
		goto out;
	sessions_tried = mono_ms();
	if (config_state_path(c, WS_SESSIONS_FILE, path, sizeof(path)) == -1 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1)
		goto out;
	/* every daemon may create it; growing to the same size keeps the bytes */
	if (fstat(fd, &st) == -1 || (st.st_size < (off_t)sizeof(*m) &&
	    ftruncate(fd, sizeof(*m)) == -1)) {
		log_warn("%s", path);
		close(fd);
		goto out;
	}
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		log_warn("mmap %s", path);
		goto out;
	}
	atomic_store(&m->magic, WS_SESSIONS_MAGIC);
	sessions = m;
out:
	m = sessions;
	pthread_mutex_unlock(&sessions_lock);
	return m;
}

void
status_ws_publish(struct node_ctx *n)
{
	struct ws_sessions *m;
	size_t cnt[2] = { 0, 0 };
	int k;

	if (n->ws_own == 0 || n->ws_counts == NULL || (m = sessions_map(n->cfg)) == NULL)
		return;
	n->ws_counts(n->ws_counts_arg, &cnt[0], &cnt[1]);
	for (k = 0; k < 2; k++) {
		if (!(n->ws_own & (1u << k)))
			continue;
		atomic_store(&m->kind[k].pid, (int64_t)getpid());
		atomic_store(&m->kind[k].count, (int64_t)cnt[k]);
	}
}

/* Count of kind k published by the daemon that owns it, 0 if it is gone. */
static size_t
sessions_read(const struct config *c, int k)
{
	struct ws_sessions *m;
	int64_t pid, cnt;

	if ((m = sessions_map(c)) == NULL || atomic_load(&m->magic) != WS_SESSIONS_MAGIC)
		return 0;
	pid = atomic_load(&m->kind[k].pid);
	cnt = atomic_load(&m->kind[k].count);
	if (pid <= 0 || cnt <= 0 || pid > INT32_MAX ||
	    (kill((pid_t)pid, 0) == -1 && errno == ESRCH))
		return 0;
	return (size_t)cnt;
}

static void
h_connections(struct http_request *req, struct http_response *resp)
{
	struct node_ctx *n = req->route_arg;
	size_t cnt[2] = { 0, 0 };
	int k;

	if (n->ws_counts)
		n->ws_counts(n->ws_counts_arg, &cnt[0], &cnt[1]);
	for (k = 0; k < 2; k++)
		if (!(n->ws_own & (1u << k)))
			cnt[k] = sessions_read(n->cfg, k);
	sbuf_addf(&resp->body, "{\"registry\":\"%zu\",\"discovery\":\"%zu\"}", cnt[0],
	    cnt[1]);
}

size_t
status_routes(struct node_ctx *n, struct http_route *out, size_t max)
{
	const struct http_route routes[] = {
		{ "/api/cluster/up-registry-nodes.json", HTTP_GET | HTTP_POST, HTTP_JSON,
		    h_up_registry, n, NULL },
		{ "/api/cluster/up-discovery-nodes.json", HTTP_GET | HTTP_POST, HTTP_JSON,
		    h_up_discovery, n, NULL },
		{ "/api/status/node.json", HTTP_GET | HTTP_POST, HTTP_JSON, h_node, n, NULL },
		{ "/api/status/cluster.json", HTTP_GET | HTTP_POST, HTTP_JSON, h_cluster, n, NULL },
		{ "/api/status/leases.json", HTTP_GET | HTTP_POST, HTTP_JSON, h_leases, n, NULL },
		{ "/api/status/legacy-leases.json", HTTP_GET | HTTP_POST, HTTP_JSON,
		    h_legacy_leases, n, NULL },
		{ "/api/status/config.json", HTTP_GET | HTTP_POST, HTTP_JSON, h_config, n, NULL },
		{ "/api/status/deployment.json", HTTP_GET | HTTP_POST, HTTP_JSON, h_deployment,
		    n, NULL },
		{ "/api/status/message/connections.json", HTTP_GET, 0, h_connections, n, NULL },
	};
	size_t i, cnt = sizeof(routes) / sizeof(routes[0]);

	for (i = 0; i < cnt && i < max; i++)
		out[i] = routes[i];
	return i;
}
