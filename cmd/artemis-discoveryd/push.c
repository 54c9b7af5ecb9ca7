/*
 * push.c — /ws/discovery/instance-change and /ws/discovery/all-instance-change
 * (spec §8.3, §8.4). Everything here runs on the ws.h loop thread.
 *
 * A subscription is a DiscoveryConfig text message; the session joins the
 * subscriber list of that exact serviceId (case-sensitive, §6.7). No ack; bad or
 * blank-id messages are ignored and the session kept. Each session subscribes to a
 * service at most once, so a change reaches it in exactly one frame. A slow
 * session is closed by ws_send_frame() (bounded queue) and never slows the others.
 */
#include <sys/queue.h>

#include <json.h>
#include <stdlib.h>
#include <string.h>

#include "discoveryd.h"
#include "log.h"
#include "model.h"
#include "ws.h"

struct sublist;

struct sub {
	TAILQ_ENTRY(sub)	 by_svc;
	LIST_ENTRY(sub)		 by_conn;
	struct ws_conn		*conn;
	struct sublist		*list;
};

struct sublist {
	RB_ENTRY(sublist)	 entry;
	char			*service_id;
	TAILQ_HEAD(, sub)	 subs;
};

struct pconn {
	LIST_HEAD(, sub)	 subs;
	size_t			 n;
};

static int
sublist_cmp(struct sublist *a, struct sublist *b)
{
	return strcmp(a->service_id, b->service_id);
}

RB_HEAD(sublists, sublist);
RB_GENERATE_LOCAL(sublists, sublist, entry, sublist_cmp);

static struct sublists	lists = RB_INITIALIZER(&lists);
static size_t		nsubs;

static void
on_open(struct ws_conn *c, void *arg)
{
	struct pconn *pc;

	(void)arg;
	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		log_warn("on_open");
		ws_close(c, 1011, "out of memory");
		return;
	}
	LIST_INIT(&pc->subs);
	ws_conn_set_data(c, pc);
}

static void
on_close(struct ws_conn *c, void *arg)
{
	struct pconn *pc = ws_conn_data(c);
	struct sub *s;
	struct sublist *l;

	(void)arg;
	if (pc == NULL)
		return;
	while ((s = LIST_FIRST(&pc->subs)) != NULL) {
		LIST_REMOVE(s, by_conn);
		l = s->list;
		TAILQ_REMOVE(&l->subs, s, by_svc);
		if (TAILQ_EMPTY(&l->subs)) {
			RB_REMOVE(sublists, &lists, l);
			free(l->service_id);
			free(l);
		}
		free(s);
		nsubs--;
	}
	free(pc);
	ws_conn_set_data(c, NULL);
}

static void
subscribe(struct ws_conn *c, struct pconn *pc, const char *service_id)
{
	struct sublist key, *l;
	struct sub *s;

	key.service_id = (char *)service_id;
	if ((l = RB_FIND(sublists, &lists, &key)) != NULL) {
		TAILQ_FOREACH(s, &l->subs, by_svc)
			if (s->conn == c)
				return;		/* already subscribed */
	}
	if (pc->n >= (size_t)env->cfg->max_lookup_configs) {
		log_debug("session %llu: subscription limit reached, %s ignored",
		    (unsigned long long)ws_conn_id(c), service_id);
		return;
	}
	if (l == NULL) {
		if ((l = calloc(1, sizeof(*l))) == NULL ||
		    (l->service_id = strdup(service_id)) == NULL) {
			free(l);
			log_warn("subscribe");
			return;
		}
		TAILQ_INIT(&l->subs);
		RB_INSERT(sublists, &lists, l);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("subscribe");
		if (TAILQ_EMPTY(&l->subs)) {
			RB_REMOVE(sublists, &lists, l);
			free(l->service_id);
			free(l);
		}
		return;
	}
	s->conn = c;
	s->list = l;
	TAILQ_INSERT_TAIL(&l->subs, s, by_svc);
	LIST_INSERT_HEAD(&pc->subs, s, by_conn);
	pc->n++;
	nsubs++;
}

static void
on_text(struct ws_conn *c, const char *msg, size_t len, void *arg)
{
	struct pconn *pc = ws_conn_data(c);
	struct json_object *o;
	struct discovery_config dc;
	char err[256];
	int is_null = 0;

	(void)arg;
	if (pc == NULL)
		return;
	if ((o = model_parse(msg, len, err, sizeof(err))) == NULL) {
		log_debug("session %llu: subscription ignored: %s",
		    (unsigned long long)ws_conn_id(c), err);
		return;
	}
	memset(&dc, 0, sizeof(dc));
	if (discovery_config_from_json(o, &dc, &is_null, err, sizeof(err)) == 0 &&
	    !is_null && !str_blank(dc.service_id))
		subscribe(c, pc, dc.service_id);
	else
		log_debug("session %llu: subscription without a serviceId ignored",
		    (unsigned long long)ws_conn_id(c));
	discovery_config_free(&dc);
	json_object_put(o);
}

static void
on_text_ignored(struct ws_conn *c, const char *msg, size_t len, void *arg)
{
	(void)c;
	(void)msg;
	(void)len;
	(void)arg;
}

const size_t push_nendpoints = 2;

void
push_endpoints(struct ws_endpoint *eps)
{
	memset(eps, 0, 2 * sizeof(*eps));
	eps[EP_INSTANCE_CHANGE].path = "/ws/discovery/instance-change";
	eps[EP_INSTANCE_CHANGE].blacklist = env->cfg->discovery_ws_blacklist;
	eps[EP_INSTANCE_CHANGE].on_open = on_open;
	eps[EP_INSTANCE_CHANGE].on_text = on_text;
	eps[EP_INSTANCE_CHANGE].on_close = on_close;
	eps[EP_ALL_INSTANCE_CHANGE].path = "/ws/discovery/all-instance-change";
	eps[EP_ALL_INSTANCE_CHANGE].blacklist = env->cfg->discoveries_ws_blacklist;
	eps[EP_ALL_INSTANCE_CHANGE].on_text = on_text_ignored;
}

/* The frame is encoded once and written to each subscriber (and every
 * all-instance-change session) straight from the same buffer, in one fan-out:
 * ws.c spreads the send(2)s of a large one over its sender threads, the
 * first ones while the rest of the subscribers are still being added; only a
 * session whose socket is full keeps a reference, one past its bound is closed. */
void
push_change(const char *service_id, const char *type, const char *json, size_t len)
{
	struct sublist key, *l;
	struct sub *s;
	struct sbuf b = SBUF_INIT;
	struct rbuf *f;

	if (env->ws == NULL)
		return;
	change_to_json(&b, now_ms(), type, json, len);
	f = ws_frame_text(b.s, b.len);
	sbuf_free(&b);
	if (f == NULL)
		return;
	key.service_id = (char *)service_id;
	ws_fanout_begin(env->ws, f);
	rbuf_unref(f);
	if ((l = RB_FIND(sublists, &lists, &key)) != NULL)
		TAILQ_FOREACH(s, &l->subs, by_svc)
			ws_fanout_add(env->ws, s->conn);
	ws_fanout_add_endpoint(env->ws, EP_ALL_INSTANCE_CHANGE);
	(void)ws_fanout_end(env->ws);	/* failures: ws.c closes the laggards */
}

size_t
push_subscriber_count(void)
{
	return nsubs;
}
