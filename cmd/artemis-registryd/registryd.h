/*
 * registryd.h — artemis-registryd: leases. The only writer of the instance table.
 *
 *   main.c          start-up, signals, shutdown
 *   registry.c      register / heartbeat / unregister (client and replication paths)
 *   routes.c        HTTP handlers for /api/registry/... and /api/replication/...
 *   heartbeat_ws.c  /ws/registry/heartbeat
 *   lease.c         the cleaner and the mass-expiry safe-checker (§6.3, §6.5)
 */
#ifndef ARTEMIS_REGISTRYD_H
#define ARTEMIS_REGISTRYD_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "model.h"
#include "ratelimit.h"
#include "sbuf.h"
#include "status.h"

struct table;
struct bus_pub;
struct ws_server;

enum reg_op { OP_REGISTER, OP_HEARTBEAT, OP_UNREGISTER };

/* Which door a request came through: decides checks and what gets journalled. */
enum reg_path {
	PATH_CLIENT,		/* /api/registry/...: status, region and zone checks */
	PATH_WEBSOCKET,		/* /ws/registry/heartbeat: as client, WS error rules */
	PATH_REPLICATION,	/* /api/replication/registry/...: region only, upsert */
};

#define LEASE_NORMAL	0
#define LEASE_LEGACY	1

/* Mass-expiry protection of one lease manager (§6.5, plus decay: see lease.c). */
struct safe_checker {
	struct window_counter	renewals;
	int64_t			max_count;
	int64_t			max_count_time;
	int			is_safe;
	int64_t			unsafe_since;
};

struct registryd {
	struct config		 cfg;
	struct node_ctx		 node;
	struct table		*table;
	struct bus_pub		*bus;
	struct ws_server	*ws;
	struct ratelimit	*rl_registry;
	struct ratelimit	*rl_replication;
	struct ratelimit	*rl_cluster;
	struct ratelimit	*rl_status;
	struct plan_cache	*plans;		/* NULL: disabled */

	pthread_mutex_t		 write_lock;	/* serialises table upsert/evict/remove */
	pthread_mutex_t		 safe_lock;
	struct safe_checker	 safe[2];

	pthread_t		 cleaner;
	pthread_mutex_t		 stop_lock;
	pthread_cond_t		 stop_cond;
	int			 stopping;
};

/* registry.c: run one registry request body through the contract's steps and
 * write the response JSON. Returns the HTTP status (200, or 400 for a body Jackson
 * would refuse; on the WebSocket path that case is answered with canned success). */
int	registry_process(struct registryd *, enum reg_op, enum reg_path, const char *body,
	    size_t len, struct sbuf *out);
void	registry_publish(struct registryd *);

/* Pieces of registry.c that hbplan.c reuses. */
struct json_object;
struct instance;

struct element {
	struct instance	in;
	int		is_null;
};

struct batch {
	struct element	*el;
	size_t		 n;
};

extern const char *const registry_op_identity[];
extern const char registry_success[];	/* the canned success answer */
int	registry_decode(struct json_object *root, size_t max, struct batch *b, char *err,
	    size_t errlen);
void	registry_batch_free(struct batch *);
void	registry_fail(struct sbuf *out, const char *code, const char *msg);
const char *registry_check(struct registryd *, enum reg_path, const struct instance *,
	    struct sbuf *why);
int	registry_is_legacy(const struct instance *);

/* hbplan.c: heartbeat plans (see there) */
#define PLAN_DIGEST_LEN	20
enum { PLAN_NONE, PLAN_ANSWERED, PLAN_FALLBACK };
struct plan_cache;
struct plan_cache *plan_cache_new(size_t budget_bytes);
void	plan_cache_free(struct plan_cache *);
void	plan_digest(const char *body, size_t len, uint8_t digest[PLAN_DIGEST_LEN]);
/* PLAN_ANSWERED (out filled), PLAN_FALLBACK (a plan existed and the rate limiter
 * was consulted, but the full path must answer), PLAN_NONE. */
int	plan_answer(struct registryd *, const uint8_t *digest, struct sbuf *out);
void	plan_learn(struct registryd *, const uint8_t *digest, enum reg_path,
	    const struct batch *);
void	plan_metrics(struct registryd *, struct sbuf *out);

/* routes.c */
size_t	registry_routes(struct registryd *, struct http_route *out, size_t max);

/* heartbeat_ws.c */
struct ws_server *heartbeat_ws_start(struct registryd *);

/* lease.c */
void	lease_start(struct registryd *);
void	lease_stop(struct registryd *);
void	lease_count_renewals(struct registryd *, int manager, int64_t n);
int	lease_is_safe(struct registryd *, int manager);
/* The table is full: remove one unregistered instance's tombstone (caller holds
 * write_lock); 1 if one was removed. */
int	lease_reclaim(struct registryd *);
void	lease_metrics(struct sbuf *out, void *arg);

#endif
