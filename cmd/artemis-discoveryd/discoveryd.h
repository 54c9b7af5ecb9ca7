/*
 * discoveryd.h — artemis-discoveryd internals.
 *
 * Threads: the ws.h loop thread owns the follower (journal -> in-memory services),
 * the snapshot refresher and every WebSocket session; libmicrohttpd threads answer
 * HTTP from immutable rendered services (cache.c) and snapshots (snapshot.c), taking
 * references under short locks. Nothing on the request path parses or re-encodes an
 * instance.
 */
#ifndef DISCOVERYD_H
#define DISCOVERYD_H

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/tree.h>

#include "config.h"
#include "http.h"
#include "sbuf.h"
#include "status.h"
#include "ws.h"

struct table;
struct ws_server;

/* WebSocket endpoint indexes, in the order given to ws_server_start(). */
#define EP_INSTANCE_CHANGE	0
#define EP_ALL_INSTANCE_CHANGE	1

struct discoveryd {
	struct config		*cfg;
	struct node_ctx		 node;
	struct table		*table;
	char			 table_path[PATH_MAX];
	struct ws_server	*ws;		/* NULL until started: no pushes */
};

extern struct discoveryd *env;

/* libbsd's RB_GENERATE_STATIC needs __unused, which libbsd leaves undefined. */
#define RB_GENERATE_LOCAL(name, type, field, cmp)			\
	RB_GENERATE_INTERNAL(name, type, field, cmp, __attribute__((__unused__)) static)

static inline struct rbuf *
rbuf_ref_null(struct rbuf *r)
{
	return r != NULL ? rbuf_ref(r) : NULL;
}

/* ---- filter.c: the discovery filter chain (§7.5) ---- */

struct inst_fields;		/* mgmt.c: what management matches on */

struct filter_inst {
	const char	*key;		/* lower-cased identity */
	const char	*json;		/* canonical instance JSON, never re-encoded */
	size_t		 len;
	int		 keep;		/* a filter clears it to hide the instance */
	/* The follower's cache of fields parsed from json (NULL: none kept; *fields
	 * NULL: not parsed yet). Only the loop thread renders instances. */
	struct inst_fields **fields;
};

struct filter_service {
	const char		*service_id;
	struct filter_inst	*inst;		/* sorted by key */
	size_t			 ninst;
	struct sbuf		 logic_instances;	/* JSON array text */
	struct sbuf		 route_rules;		/* JSON array text */
};

/* A filter may clear inst[i].keep and rewrite logic_instances / route_rules.
 * Filters run on the loop thread (rendering) and on HTTP threads (lookup of an
 * unknown service), so they must be thread-safe. */
typedef void (*discovery_filter_fn)(struct filter_service *, void *arg);

int	filter_register(const char *name, discovery_filter_fn fn, void *arg);
void	filter_service_init(struct filter_service *, const char *service_id,
	    struct filter_inst *inst, size_t ninst);
void	filter_run(struct filter_service *);
void	filter_service_free(struct filter_service *);

/* ---- cache.c: rendered services, shared by reference ---- */

struct rinst {
	const char	*key;		/* into rendered.keys */
	uint32_t	 off;		/* instance JSON at body->data + off */
	uint32_t	 len;
};

struct rendered {
	_Atomic long		 refs;
	char			*service_id;
	/* {"responseStatus":...,"services":[<Service>]}: the answer to a one-config
	 * lookup; the Service JSON alone is body->data[svc_off .. svc_off+svc_len). */
	struct rbuf		*body;
	_Atomic(struct rbuf *)	 gz;		/* gzip of body, made on first demand */
	size_t			 svc_off;
	size_t			 svc_len;
	struct rinst		*inst;		/* instances after filtering, by key */
	size_t			 ninst;
	char			*keys;
};

struct rendered	*rendered_build(struct filter_service *);
/* Initial load: a rendering laid out for inst[i].len bytes of JSON each (every
 * instance kept); inst[i].json is set to where the caller writes it. Once the
 * chain ran on a filter_service pointing there, rendered_complete() returns the
 * layout itself, completed in place, or (something hidden, a longer tail) a new
 * rendering: the caller then still holds its reference to the layout. */
struct rendered	*rendered_layout(const char *service_id, struct filter_inst *,
		    size_t);
struct rendered	*rendered_complete(struct rendered *, struct filter_service *);
struct rendered	*rendered_ref(struct rendered *);
void		 rendered_unref(struct rendered *);
struct rbuf	*rendered_gz(struct rendered *);	/* new reference or NULL */

void		 cache_init(void);
void		 cache_clear(void);
/* Replace the rendering of a service (takes over the caller's reference; NULL
 * removes the service). Loop thread. */
void		 cache_put(const char *service_id, struct rendered *);
/* A reference to the service's rendering, or NULL. Any thread. */
struct rendered	*cache_get(const char *service_id);
/* References to every rendering with at least one instance, sorted by service id.
 * Caller unrefs each and frees the array. Returns the count. */
size_t		 cache_collect(struct rendered ***out);

/* Append a gzip rbuf to a response when the client accepts gzip. */
int		 accepts_gzip(struct http_request *);

/* ---- follower.c: the table journal -> services ---- */

int	follower_init(void);		/* initial scan (before serving) */
/* Tests: called by the initial load between laying out the answers and reading
 * the instances' JSON into them, to change the table there. */
extern void (*follower_load_hook)(void);
void	follower_start(struct ws_server *);	/* timers and bus fd on the loop */
void	follower_pass(void);		/* loop thread */
uint64_t follower_seq(void);
/* Any thread: wait (at most timeout_ms) until every change journalled before the
 * call is applied, so a lookup sees writes acknowledged before it. */
void	follower_sync(int64_t timeout_ms);
/*
 * Loop thread, management changed: classify(service id) for every service held
 * says REFILTER_FORCE (re-render it), REFILTER_CHECK (re-render it if
 * mgmt_refilter_check() says so) or 0. The renderings are redone in time slices
 * between other loop work; an instance a rendering newly hides is pushed as
 * "delete", one it shows again as "new". mgmt_refilter_done() is called once
 * nothing is queued (at once if nothing was). classify may be NULL (nothing new).
 */
#define REFILTER_CHECK	1
#define REFILTER_FORCE	2
void	follower_refilter(int (*classify)(const char *service_id, void *arg),
	    void *arg);
size_t	follower_refilter_queued(void);

/* ---- push.c: WebSocket subscriptions ---- */

extern const size_t push_nendpoints;
void	push_endpoints(struct ws_endpoint *out);	/* push_nendpoints entries */
/* Loop thread: one InstanceChange frame to subscribers of service_id and to every
 * all-instance-change session. */
void	push_change(const char *service_id, const char *type, const char *json,
	    size_t len);
size_t	push_subscriber_count(void);

/* ---- snapshot.c: versioned services.json cache and deltas (§7.2, §7.3) ---- */

struct snap_svc {
	const char		*service_id;
	struct rendered		*r;
};

void	snapshot_init(void);
void	snapshot_tick(void);		/* loop thread: refresh when due */
/* Loop thread (and tests): make a new version from the given sorted services. */
void	snapshot_refresh(struct rendered **svcs, size_t n, int64_t now);
void	snapshot_clear(void);
/* Any thread: the newest services.json answer into resp (streamed from the
 * renderings; with its gzip, made once per version, if want_gz), or 0 if none
 * was built yet. */
int	snapshot_services(struct http_response *resp, int want_gz);
/* The same as one buffer (tests), or NULL. */
struct rbuf *snapshot_services_body(void);
/* Any thread: delta answer for version v (rbuf ref), or NULL if not found. */
struct rbuf *snapshot_delta(int64_t v);
void	snapshot_live(struct http_response *);	/* version 0 answer, from now */

/* Delta between two sorted service lists (exported for unit tests): appends the
 * "delta" object body {"svc":[changes...],...} to out. Returns number of changes. */
size_t	delta_render(struct rendered **old, size_t nold, struct rendered **cur,
	    size_t ncur, int64_t change_time, struct sbuf *out);

/* ---- mgmt.c: management filters, reload/down pushes ---- */

void	mgmt_init(void);		/* registers the filter; first load */
void	mgmt_start(struct ws_server *);	/* timer and BUS_MGMT on the loop */
/* §6.9 hook: 1 if management holds the instance down. fields is the follower's
 * cache (may be NULL); the JSON is parsed only if something can be down. */
int	mgmt_inst_down(const char *service_id, struct inst_fields **fields,
	    const char *json, size_t len);
void	mgmt_fields_free(struct inst_fields *);
/* For the follower's refilter: 1 if the service has an instance on a server
 * whose operations changed; 0 if re-rendering it cannot change anything. */
int	mgmt_refilter_check(struct filter_service *);
void	mgmt_refilter_done(void);

/*
 * Each service the follower holds keeps a Bloom filter of its instances' ips
 * (as management keys servers: lower-cased, "null" for null), built when it is
 * rendered: IPSET_PROBES bits per ip in 2^k bits, about IPSET_BITS_PER_INST per
 * instance (~0.5 % false hits). A server operation re-renders only services
 * whose filter may hold one of its servers' ips, and so reads no instance of
 * the others.
 */
#define IPSET_PROBES		3
#define IPSET_BITS_PER_INST	16

static inline uint32_t
ipset_bit(uint32_t hash, unsigned k, uint32_t mask)
{
	uint32_t step = (hash >> 16 | hash << 16) | 1;	/* double hashing */

	return (hash + k * step) & mask;
}

/* The ip's hash into *hash (fields: the follower's cache, may be NULL), or -1
 * if the JSON is not an object (management hides nothing of it). Any thread. */
int	mgmt_inst_ip_hash(struct inst_fields **fields, const char *json,
	    size_t len, uint32_t *hash);
/* Loop thread, during a refilter: 0 if no server whose operations changed can
 * be in the filter (bits set[0 .. mask]). */
int	mgmt_ipset_hit(const uint64_t *set, uint32_t mask);


/* ---- instjson.c: an instance's top-level values without parsing ---- */

/* The keys of instance_to_json(), in the order it writes them. */
enum {
	IJ_GROUP_ID, IJ_HEALTH_CHECK_URL, IJ_INSTANCE_ID, IJ_IP, IJ_MACHINE_NAME,
	IJ_METADATA, IJ_PORT, IJ_PROTOCOL, IJ_REGION_ID, IJ_SERVICE_ID, IJ_STATUS,
	IJ_URL, IJ_ZONE_ID, IJ_NKEYS
};

#define IJ_NULL		0	/* null */
#define IJ_STRING	1	/* a string: s, n are its bytes (no escapes) */
#define IJ_OTHER	2	/* metadata object, port: s, n are its text */

struct ij_value {
	const char	*s;		/* into the JSON; NULL for null */
	size_t		 n;
	int		 kind;		/* IJ_NULL, IJ_STRING, IJ_OTHER */
};

/* 0 and every value into out when json is in instance_to_json()'s shape, with
 * no escape and no NUL in it; -1 otherwise (parse it then). */
int	instance_json_split(const char *json, size_t len,
	    struct ij_value out[IJ_NKEYS]);

/* ---- lookup.c: HTTP handlers ---- */

size_t	lookup_routes(struct http_route *out, size_t max);

#endif
