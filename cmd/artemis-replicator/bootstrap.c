/*
 * bootstrap.c — bring a node with [cluster] force-up = false up from its peers
 * (§9.2 init loop, §9.5 RegistryReplicationInitializer).
 *
 * Every second until this node is up: for the peers in order (local zone first),
 * considering only those whose last poll said "up", fetch
 * <peer>/api/replication/registry/services.json ({"regionId","zoneId"} of this
 * node, 2 s timeout) and apply every instance here as a replication register,
 * through registryd's command channel (the replicator never writes the table).
 * Every register must answer "success". The first peer that works wins; this
 * node is then published as up (status up, canServiceRegistry and
 * canServiceDiscovery true) in the cluster view.
 *
 * Deviation from Java: a peer that answers with no services at all also counts
 * as success (Java requires at least one applied service, so a cluster whose
 * registry is empty could never bring a second node up).
 *
 * With no up peer (or no peers) the node stays "starting". A replicator that
 * restarts keeps "up" if the view says so for the same table file (table_id):
 * the registrations it bootstrapped are still in that table.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "../artemis-registryd/command.h"
#include "httpc.h"
#include "log.h"
#include "model.h"
#include "replicator.h"
#include "table.h"

#define COMMAND_TIMEOUT_MS	5000

static nng_socket	cmd_sock;
static int		cmd_open;

static int
command_dial(struct replicator *r)
{
	char url[PATH_MAX + 16];
	int n, rv;

	if (cmd_open)
		return 0;
	n = snprintf(url, sizeof(url), "ipc://%s/%s", r->cfg.state_dir, COMMAND_SOCKET);
	if (n < 0 || (size_t)n >= sizeof(url))
		return -1;
	if ((rv = nng_req0_open(&cmd_sock)) != 0) {
		log_warnx("command channel: %s", nng_strerror(rv));
		return -1;
	}
	if ((rv = nng_socket_set_ms(cmd_sock, NNG_OPT_RECVTIMEO, COMMAND_TIMEOUT_MS)) != 0 ||
	    (rv = nng_socket_set_ms(cmd_sock, NNG_OPT_SENDTIMEO, COMMAND_TIMEOUT_MS)) != 0 ||
	    (rv = nng_socket_set_ms(cmd_sock, NNG_OPT_REQ_RESENDTIME,
	    10 * COMMAND_TIMEOUT_MS)) != 0 ||
	    (rv = nng_socket_set_size(cmd_sock, NNG_OPT_RECVMAXSZ, 16u << 20)) != 0 ||
	    (rv = nng_dial(cmd_sock, url, NULL, NNG_FLAG_NONBLOCK)) != 0) {
		log_warnx("command channel %s: %s", url, nng_strerror(rv));
		nng_close(cmd_sock);
		return -1;
	}
	cmd_open = 1;
	return 0;
}

/* "<verb> <body>" to registryd; 0 and registryd's response JSON in reply. */
static int
command_call(struct replicator *r, const char *verb, const struct sbuf *body,
    struct sbuf *reply)
{
	nng_msg *m;
	int rv;

	if (command_dial(r) == -1)
		return -1;
	if ((rv = nng_msg_alloc(&m, 0)) != 0)
		return -1;
	if (nng_msg_append(m, verb, strlen(verb)) != 0 || nng_msg_append(m, " ", 1) != 0 ||
	    nng_msg_append(m, body->s, body->len) != 0) {
		nng_msg_free(m);
		return -1;
	}
	if ((rv = nng_sendmsg(cmd_sock, m, 0)) != 0) {
		nng_msg_free(m);
		log_warnx("command %s: send: %s", verb, nng_strerror(rv));
		return -1;
	}
	if ((rv = nng_recvmsg(cmd_sock, &m, 0)) != 0) {
		log_warnx("command %s: %s", verb, nng_strerror(rv));
		return -1;
	}
	sbuf_reset(reply);
	sbuf_add(reply, nng_msg_body(m), nng_msg_len(m));
	nng_msg_free(m);
	return 0;
}

static const char *
status_of(struct json_object *root)
{
	struct json_object *rs, *v;

	if (root == NULL || !json_object_is_type(root, json_type_object) ||
	    (rs = model_get(root, "responseStatus", NULL)) == NULL ||
	    !json_object_is_type(rs, json_type_object) ||
	    (v = model_get(rs, "status", NULL)) == NULL ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Register instances[from, to) locally; 0 when registryd answered success. */
static int
apply_chunk(struct replicator *r, struct json_object *insts, size_t from, size_t to)
{
	struct sbuf body = SBUF_INIT, reply = SBUF_INIT;
	struct json_object *o;
	const char *st;
	char err[128];
	size_t i;
	int rc = -1;

	sbuf_adds(&body, "{\"instances\":[");
	for (i = from; i < to; i++) {
		if (i > from)
			sbuf_addc(&body, ',');
		sbuf_adds(&body, json_object_to_json_string_ext(
		    json_object_array_get_idx(insts, i),
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	sbuf_adds(&body, "]}");
	if (command_call(r, COMMAND_REGISTER, &body, &reply) == 0) {
		o = model_parse(reply.s, reply.len, err, sizeof(err));
		if ((st = status_of(o)) != NULL && strcmp(st, ST_SUCCESS) == 0)
			rc = 0;
		else
			log_warnx("bootstrap: local register failed: %.300s", reply.s);
		json_object_put(o);
	}
	sbuf_free(&body);
	sbuf_free(&reply);
	return rc;
}

/* One bootstrap attempt from peer p (§9.5); 0 on success. */
static int
attempt(struct replicator *r, struct peer *p)
{
	struct httpc_result res;
	struct sbuf req = SBUF_INIT;
	struct json_object *root = NULL, *svcs, *insts;
	const char *st;
	size_t i, n, at, chunk, applied = 0, count = 0;
	char err[256];
	int rc = -1;

	chunk = (size_t)r->cfg.max_instances_per_request;
	if (chunk == 0 || chunk > BATCH_MAX)
		chunk = BATCH_MAX;
	atomic_fetch_add(&r->bootstrap_attempts, 1);
	sbuf_adds(&req, "{\"regionId\":");
	model_json_string(&req, r->cfg.region);
	sbuf_adds(&req, ",\"zoneId\":");
	model_json_string(&req, r->cfg.zone);
	sbuf_addc(&req, '}');
	if (httpc_post_json(p->url, "/api/replication/registry/services.json", req.s, req.len,
	    1, BOOTSTRAP_TIMEOUT_MS, &res) == -1 || res.status != 200) {
		log_info("bootstrap from %s: %s", p->url, res.status ? "HTTP error" :
		    res.error);
		goto out;
	}
	root = model_parse(res.body.s, res.body.len, err, sizeof(err));
	if ((st = status_of(root)) == NULL || strcmp(st, ST_SUCCESS) != 0 ||
	    (svcs = model_get(root, "services", NULL)) == NULL ||
	    !json_object_is_type(svcs, json_type_array)) {
		log_info("bootstrap from %s: no services in the answer", p->url);
		goto out;
	}
	n = json_object_array_length(svcs);
	for (i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(svcs, i);

		if (s == NULL || !json_object_is_type(s, json_type_object) ||
		    (insts = model_get(s, "instances", NULL)) == NULL ||
		    !json_object_is_type(insts, json_type_array) ||
		    json_object_array_length(insts) == 0)
			continue;
		for (at = 0; at < json_object_array_length(insts); at += chunk) {
			size_t to = at + chunk;

			if (to > json_object_array_length(insts))
				to = json_object_array_length(insts);
			if (apply_chunk(r, insts, at, to) == -1)
				goto out;
			count += to - at;
		}
		applied++;
	}
	atomic_fetch_add(&r->bootstrap_registered, count);
	log_info("bootstrapped from %s: %zu services, %zu instances", p->url, applied, count);
	rc = 0;
out:
	json_object_put(root);
	httpc_result_free(&res);
	sbuf_free(&req);
	return rc;
}

/* table_id of the current table file, 0 if there is none. */
static uint64_t
current_table_id(struct replicator *r)
{
	struct table *t;
	char path[PATH_MAX], err[256];
	uint64_t id;

	if (config_state_path(&r->cfg, TABLE_FILE, path, sizeof(path)) == -1 ||
	    (t = table_open_reader(path, err, sizeof(err))) == NULL)
		return 0;
	id = table_header(t)->table_id;
	table_close(t);
	return id;
}

static void *
bootstrapper(void *arg)
{
	struct replicator *r = arg;
	size_t i;

	while (!self_is_up(r)) {
		for (i = 0; i < r->npeers; i++) {
			if (peer_status(&r->peers[i]) != CV_UP ||
			    peer_is_self(&r->peers[i]))
				continue;
			if (attempt(r, &r->peers[i]) == 0) {
				pthread_mutex_lock(&r->view_lock);
				r->self_table_id = current_table_id(r);
				pthread_mutex_unlock(&r->view_lock);
				self_mark_up(r);
				break;
			}
		}
		if (self_is_up(r) || replicator_sleep(r, BOOTSTRAP_INTERVAL_MS))
			break;
	}
	if (cmd_open)
		nng_close(cmd_sock);
	cmd_open = 0;
	return NULL;
}

/* Own status at start: force-up, or kept from the view for the same table. */
static void
initial_status(struct replicator *r)
{
	struct cluster_snapshot *old;

	memset(&r->self, 0, sizeof(r->self));
	strlcpy(r->self.url, r->cfg.registry_url, sizeof(r->self.url));
	strlcpy(r->self.zone, r->cfg.zone, sizeof(r->self.zone));
	r->self.allow_registry_other_zone = r->cfg.registry_allow_other_zone ? CV_TRUE :
	    CV_FALSE;
	r->self.allow_discovery_other_zone = r->cfg.discovery_allow_other_zone ? CV_TRUE :
	    CV_FALSE;
	r->self.polled_ms = now_ms();
	r->self_managed = !r->cfg.force_up;
	if (r->cfg.force_up) {
		r->self.status = CV_UP;
		r->self.can_registry = r->self.can_discovery = CV_TRUE;
		return;
	}
	r->self.status = CV_STARTING;
	if ((r->self_table_id = current_table_id(r)) == 0)
		return;
	if ((old = malloc(sizeof(*old))) == NULL)
		fatal("initial_status");
	if (cluster_view_read(r->view, old, NULL) == 0 && old->self_managed &&
	    old->self.status == CV_UP && old->table_id == r->self_table_id) {
		r->self.status = CV_UP;
		r->self.can_registry = r->self.can_discovery = CV_TRUE;
		log_info("this node was up before, with the same table: staying up");
	}
	free(old);
}

void
bootstrap_start(struct replicator *r)
{
	initial_status(r);
	if (!r->self_managed || r->self.status == CV_UP)
		return;
	if (r->npeers == 0)
		log_info("force-up is false and there are no peers: this node stays "
		    "\"starting\"");
	if (pthread_create(&r->bootstrapper, NULL, bootstrapper, r) != 0)
		fatalx("cannot start the bootstrap");
	r->bootstrapping = 1;
}

void
bootstrap_join(struct replicator *r)
{
	if (r->bootstrapping)
		pthread_join(r->bootstrapper, NULL);
	r->bootstrapping = 0;
}
