/*
 * mgmt.c — the management side of discovery (core-contract §7.5, management-
 * contract §6.2, §7.2): the GroupDiscoveryFilter and ManagementDiscoveryFilter as
 * one entry of the filter chain, over an immutable mgmt_view of the management DB.
 *
 * The view is reloaded on the loop thread when mgmtd hints on BUS_MGMT and every
 * mgmt-reconcile-interval; a new view is swapped in under a mutex (HTTP threads
 * run the chain for unknown services) and then: services whose rules, logic
 * instances, group or zone operations changed get a "reload" push; instances that
 * went down get "delete", those that came back "new"; every service is re-rendered.
 */
#include <json.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "discoveryd.h"
#include "log.h"
#include "mgmt_view.h"
#include "model.h"
#include "ws.h"

static struct mgmt_reader	*reader;
static struct mgmt_view		*view;		/* NULL: no management data yet */
static pthread_mutex_t		 view_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct bus_sub		*mbus;

static struct mgmt_view *
view_get(void)
{
	struct mgmt_view *v;

	pthread_mutex_lock(&view_mtx);
	v = view != NULL ? mgmt_view_ref(view) : NULL;
	pthread_mutex_unlock(&view_mtx);
	return v;
}

static const char *
str_of(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The fields management matches on, from canonical instance JSON. The strings
 * belong to the returned json object. */
static struct json_object *
mgmt_inst_of(const char *json, size_t len, struct mgmt_inst *mi)
{
	struct json_tokener *tok;
	struct json_object *o;

	memset(mi, 0, sizeof(*mi));
	/* json is not NUL-terminated (it may point into a rendering) */
	if (len > INT32_MAX || (tok = json_tokener_new()) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (o == NULL)
		return NULL;
	mi->region_id = str_of(o, "regionId");
	mi->zone_id = str_of(o, "zoneId");
	mi->service_id = str_of(o, "serviceId");
	mi->group_id = str_of(o, "groupId");
	mi->instance_id = str_of(o, "instanceId");
	mi->ip = str_of(o, "ip");
	mi->json = json;
	mi->json_len = len;
	return o;
}

int
mgmt_is_down(const char *json, size_t len)
{
	struct mgmt_view *v;
	struct mgmt_inst mi;
	struct json_object *o;
	int down = 0;

	if ((v = view_get()) == NULL)
		return 0;
	if ((o = mgmt_inst_of(json, len, &mi)) != NULL) {
		down = mgmt_view_is_down(v, &mi);
		json_object_put(o);
	}
	mgmt_view_unref(v);
	return down;
}

/* Group + management filters: hide instances that are down, fill logicInstances
 * and routeRules from the view. */
static void
mgmt_filter(struct filter_service *fs, void *arg)
{
	struct mgmt_view *v;
	struct mgmt_inst *mi = NULL;
	struct json_object **objs = NULL;
	size_t i;

	(void)arg;
	if ((v = view_get()) == NULL)
		return;		/* empty management: the chain's defaults */
	if (fs->ninst > 0 && ((mi = calloc(fs->ninst, sizeof(*mi))) == NULL ||
	    (objs = calloc(fs->ninst, sizeof(*objs))) == NULL))
		fatal("mgmt_filter");
	for (i = 0; i < fs->ninst; i++) {
		objs[i] = mgmt_inst_of(fs->inst[i].json, fs->inst[i].len, &mi[i]);
		if (objs[i] != NULL && mgmt_view_is_down(v, &mi[i]))
			fs->inst[i].keep = 0;
	}
	sbuf_reset(&fs->logic_instances);
	mgmt_view_logic_json(v, fs->service_id, 1, &fs->logic_instances);
	sbuf_reset(&fs->route_rules);
	mgmt_view_route_rules(v, fs->service_id, mi, fs->ninst, &fs->route_rules);
	for (i = 0; i < fs->ninst; i++)
		if (objs[i] != NULL)
			json_object_put(objs[i]);
	free(objs);
	free(mi);
	mgmt_view_unref(v);
}

static void
push_reload(const char *service_id, void *arg)
{
	struct sbuf b = SBUF_INIT;

	(void)arg;
	reload_instance_json(&b, service_id);
	push_change(service_id, CHANGE_RELOAD, b.s, b.len);
	sbuf_free(&b);
}

struct down_diff {
	struct mgmt_view	*old;
	struct mgmt_view	*cur;
};

static void
push_down_change(const char *service_id, const char *json, size_t len, void *arg)
{
	struct down_diff *d = arg;
	struct mgmt_inst mi;
	struct json_object *o;
	int was, is;

	if ((o = mgmt_inst_of(json, len, &mi)) == NULL)
		return;
	was = mgmt_view_is_down(d->old, &mi);
	is = mgmt_view_is_down(d->cur, &mi);
	json_object_put(o);
	if (was != is)
		push_change(service_id, is ? CHANGE_DELETE : CHANGE_NEW, json, len);
}

static void
reload(void)
{
	struct mgmt_view *nv, *old;
	struct down_diff d;
	char err[512];
	if (reader == NULL) {
		if ((reader = mgmt_reader_open(env->cfg->database, err,
		    sizeof(err))) == NULL) {
			log_debug("management DB not readable yet: %s", err);
			return;
		}
		log_info("reading management data from %s", env->cfg->database);
	}
	if (!mgmt_reader_changed(reader))
		return;
	if ((nv = mgmt_reader_snapshot(reader, err, sizeof(err))) == NULL) {
		log_warnx("management snapshot: %s", err);
		return;
	}
	pthread_mutex_lock(&view_mtx);
	old = view;
	view = nv;
	pthread_mutex_unlock(&view_mtx);
	log_debug("management view version %llu",
	    (unsigned long long)mgmt_view_version(nv));
	follower_refilter_all();
	d.old = old;
	d.cur = nv;
	follower_foreach_instance(push_down_change, &d);
	mgmt_view_diff(old, nv, push_reload, NULL);
	mgmt_view_unref(old);
}

static void
on_mgmt_bus(void *arg)
{
	struct bus_hint h;

	(void)arg;
	while (bus_sub_recv(mbus, &h) == 1)
		;
	reload();
}

static void
on_mgmt_timer(void *arg)
{
	(void)arg;
	reload();
}

/* Before serving: register the filter and load what the DB holds now. */
void
mgmt_init(void)
{
	filter_register("management", mgmt_filter, NULL);
	reload();
}

void
mgmt_start(struct ws_server *ws)
{
	if (ws_loop_add_timer(ws, env->cfg->mgmt_reconcile_interval_ms, on_mgmt_timer,
	    NULL) == -1)
		log_warnx("cannot add the management reconcile timer");
	if ((mbus = bus_sub_open(env->cfg->state_dir, BUS_MGMT)) != NULL &&
	    ws_loop_add_fd(ws, bus_sub_fd(mbus), on_mgmt_bus, NULL) == -1)
		log_warnx("cannot watch the management bus; reconciling on the timer");
}
