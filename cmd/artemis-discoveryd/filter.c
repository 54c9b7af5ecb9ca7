/*
 * filter.c — the discovery filter chain of spec §7.5, as an array of functions.
 *
 * Core has no filter of its own: with an empty chain every filtered service gets
 * the "empty management" shape (logicInstances:[], routeRules:[]), which is what
 * the shipped Java server answers when the management DB is empty. Management
 * (mgmt_view.h) plugs in with filter_register(): group/route rules rewrite
 * logic_instances and route_rules, pulled-out instances get keep = 0.
 */
#include <string.h>

#include "discoveryd.h"
#include "log.h"

#define FILTER_MAX	8

struct filter {
	const char		*name;
	discovery_filter_fn	 fn;
	void			*arg;
};

static struct filter	chain[FILTER_MAX];
static size_t		nchain;

/* Register before the daemon starts serving; the chain is read without locks. */
int
filter_register(const char *name, discovery_filter_fn fn, void *arg)
{
	if (nchain == FILTER_MAX) {
		log_warnx("filter %s: chain is full", name);
		return -1;
	}
	chain[nchain].name = name;
	chain[nchain].fn = fn;
	chain[nchain].arg = arg;
	nchain++;
	return 0;
}

void
filter_service_init(struct filter_service *fs, const char *service_id,
    struct filter_inst *inst, size_t ninst)
{
	size_t i;

	memset(fs, 0, sizeof(*fs));
	fs->service_id = service_id;
	fs->inst = inst;
	fs->ninst = ninst;
	for (i = 0; i < ninst; i++)
		inst[i].keep = 1;
}

/* Empty management: lists are [] (never null) once the chain ran. */
void
filter_run(struct filter_service *fs)
{
	size_t i;

	sbuf_reset(&fs->logic_instances);
	sbuf_reset(&fs->route_rules);
	sbuf_adds(&fs->logic_instances, "[]");
	sbuf_adds(&fs->route_rules, "[]");
	for (i = 0; i < nchain; i++)
		chain[i].fn(fs, chain[i].arg);
}

void
filter_service_free(struct filter_service *fs)
{
	sbuf_free(&fs->logic_instances);
	sbuf_free(&fs->route_rules);
}
