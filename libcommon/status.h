/*
 * status.h — what every HTTP daemon answers from shared state (ARCHITECTURE.md:
 * "Every HTTP daemon also answers /api/cluster/..., /api/status/..."): this node's
 * status (§9.2), up-registry/discovery-nodes (§5.8), node.json, cluster.json,
 * leases.json and legacy-leases.json (from the table), config.json,
 * deployment.json, message/connections.json (§5.9, §10).
 */
#ifndef ARTEMIS_STATUS_H
#define ARTEMIS_STATUS_H

#include <stddef.h>

#include "config.h"
#include "http.h"
#include "sbuf.h"

struct table;
struct ratelimit;
struct ws_server;

struct node_ctx {
	const struct config	*cfg;
	const char		*self_url;	/* this daemon's advertised URL */
	struct table		*table;		/* NULL until attached */
	struct ratelimit	*rl_cluster;
	struct ratelimit	*rl_status;
	/* connections.json: counts of heartbeat / instance-change sessions */
	size_t			(*ws_counts)(void *arg, size_t *registry, size_t *discovery);
	void			*ws_counts_arg;
	/* which of those counts this daemon owns (STATUS_WS_*); the others come
	 * from the daemon that owns them, through the state dir (WS_SESSIONS_FILE) */
	unsigned		 ws_own;
};

#define STATUS_WS_REGISTRY	0x01	/* /ws/registry/heartbeat (registryd) */
#define STATUS_WS_DISCOVERY	0x02	/* /ws/discovery/instance-change (discoveryd) */
#define WS_SESSIONS_FILE	"ws-sessions"

/* Publish this daemon's owned session counts (n->ws_counts) for the other daemons
 * of the node: call whenever a session opens or closes. Loop thread or any. */
void	status_ws_publish(struct node_ctx *);

enum node_state { NODE_STARTING, NODE_UP, NODE_DOWN, NODE_UNKNOWN };

/* §9.2: "can serve registry/discovery" for this node. */
int	node_can_serve_registry(const struct node_ctx *);
int	node_can_serve_discovery(const struct node_ctx *);
/* The <S> text of §4.3 for "Serivce registry is not in up state. Current status: <S>". */
void	node_status_text(const struct node_ctx *, struct sbuf *out);
/* ServiceNodeStatus JSON of this node (§3.9). */
void	node_status_json(const struct node_ctx *, struct sbuf *out);

/* Fill routes for /api/status/... and /api/cluster/...; returns how many (<= max). */
size_t	status_routes(struct node_ctx *, struct http_route *out, size_t max);

#endif
