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

/* WebSocket heartbeats with a per-session plan: an identical message renews the
 * remembered keys without decoding JSON (see registry.c). */
struct hb_plan;
int	registry_heartbeat_ws(struct registryd *, struct hb_plan **plan, const char *body,
	    size_t len, struct sbuf *out);
void	hb_plan_free(struct hb_plan *);

/* routes.c */
size_t	registry_routes(struct registryd *, struct http_route *out, size_t max);

/* heartbeat_ws.c */
struct ws_server *heartbeat_ws_start(struct registryd *);

/* lease.c */
void	lease_start(struct registryd *);
void	lease_stop(struct registryd *);
void	lease_count_renewals(struct registryd *, int manager, int64_t n);
int	lease_is_safe(struct registryd *, int manager);
void	lease_metrics(struct sbuf *out, void *arg);

#endif
