/*
 * javakeys.c — every configuration key the Java server reads (core-contract
 * §11.2–§11.4), its type, code default and range, and its home in artemis.conf
 * (or why it has none). The table order is the order of the generated file
 * within each section.
 */
#include <stddef.h>

#include "convert.h"

#define LM_I	"artemis.service.registry.instance.lease-manager."
#define LM_L	"artemis.service.registry.legacy-instance.lease-manager."
#define SC	"lease-update-safe-checker."
#define RB	"artemis.service.registry.replication.batching."
#define RN	"artemis.service.registry.replication.non-batching."
#define RC	"artemis.service.registry.replication.client."
#define ST	"artemis.service.registry.status."
#define RL(r)	"artemis.service." r ".rate-limiter."

#define THREADS	"a Java thread pool size; the C daemons size themselves"
#define HINT	"a Java capacity hint with no behaviour"
#define POOL	"Java HTTP client pool tuning; the replicator uses libcurl defaults"
#define REPL	"Java replication executor tuning; the C replicator's is fixed"
#define SCHED	"Java scheduler timing; the C daemons run this on their own timers"
#define LEGACY	"C has one setting for both lease managers: the [lease] key of the " \
		"normal one applies"
#define PLUGIN	"a Java plug-in point with no C equivalent"

const struct jkey jkeys[] = {
	/* ---- deployment (app.properties, system properties) ---- */
	{ "region.id", J_STR, 0, 0, 0, F_DEPLOY, "node.region", NULL },
	{ "zone.id", J_STR, 0, 0, 0, F_DEPLOY, "node.zone", NULL },
	{ "app.port", J_INT, 8080, 1, 65535, F_DEPLOY, NULL,
	  "used for the listen ports and local-node detection" },
	{ "app.id", J_STR, 0, 0, 0, F_DEPLOY | F_QUIET, NULL, "reported only" },
	{ "app.protocol", J_STR, 0, 0, 0, F_DEPLOY | F_QUIET, NULL, "reported only" },
	{ "app.path", J_STR, 0, 0, 0, F_DEPLOY, "node.base-path", NULL },
	{ "deployment-env", J_STR, 0, 0, 0, F_DEPLOY | F_QUIET, NULL,
	  "selects the -<env> files (--env)" },
	{ "caravan.config.cache-refresh-log.disabled", J_BOOL, 0, 0, 0, F_QUIET, NULL,
	  "Java logging only" },

	/* ---- cluster / node ---- */
	{ "artemis.service.cluster.nodes", J_NODES, 0, 0, 0, 0, "cluster.peers", NULL },
	{ "artemis.service.cluster.nodes.status-update.interval", J_MS, 5000, 100,
	  600000, 0, "replicator.status-update-interval", NULL },
	{ "artemis.service.cluster.nodes.status-update.fail-retry-times", J_INT, 3, 0,
	  10, 0, NULL, "the C replicator asks each peer once per interval" },
	{ "artemis.service.cluster.node.status.force-up", J_BOOL, 0, 0, 0, 0,
	  "cluster.force-up", NULL },
	{ "artemis.service.cluster.node.status.registry.force-up", J_BOOL, 0, 0, 0, 0,
	  NULL, "no per-capability override in C; [cluster] force-up forces both" },
	{ "artemis.service.cluster.node.status.discovery.force-up", J_BOOL, 0, 0, 0, 0,
	  NULL, "no per-capability override in C; [cluster] force-up forces both" },
	{ "artemis.service.cluster.node.status.force-down", J_BOOL, 0, 0, 0, F_LOCALIP,
	  NULL, "no force-down in C; stop the daemons of this node instead" },
	{ "artemis.service.cluster.node.status.registry.force-down", J_BOOL, 0, 0, 0,
	  F_LOCALIP, NULL, "no force-down in C; stop artemis-registryd instead" },
	{ "artemis.service.cluster.node.status.discovery.force-down", J_BOOL, 0, 0, 0,
	  F_LOCALIP, NULL, "no force-down in C; stop artemis-discoveryd instead" },
	{ "artemis.service.cluster.node.init.sync-interval", J_MS, 1000, 50, 600000, 0,
	  NULL, SCHED },
	{ "artemis.service.registry.allow-from-other-zone", J_BOOL, 0, 0, 0, 0,
	  "registryd.allow-from-other-zone", NULL },
	{ "artemis.service.discovery.allow-from-other-zone", J_BOOL, 0, 0, 0, 0,
	  "discoveryd.allow-from-other-zone", NULL },

	/* ---- lease managers ---- */
	{ LM_I "lease.ttl", J_MS, 20000, 10000, 604800000, 0, "lease.ttl", NULL },
	{ LM_L "lease.ttl", J_MS, 20000, 10000, 604800000, 0, "lease.legacy-ttl", NULL },
	{ LM_I "clean-task.run-interval", J_MS, 1000, 100, 5000, 0,
	  "lease.clean-interval", NULL },
	{ LM_L "clean-task.run-interval", J_MS, 1000, 100, 5000, 0, NULL,
	  "one cleaner pass covers both lease kinds ([lease] clean-interval)" },
	{ LM_I "clean-task.init-delay", J_MS, 1000, 0, 10000, 0, NULL,
	  "the C cleaner starts with artemis-registryd" },
	{ LM_L "clean-task.init-delay", J_MS, 1000, 0, 10000, 0, NULL,
	  "the C cleaner starts with artemis-registryd" },
	{ LM_I "clean-task.thread-count", J_INT, 2, 1, 10, 0, NULL, THREADS },
	{ LM_L "clean-task.thread-count", J_INT, 2, 1, 10, 0, NULL, THREADS },
	{ LM_I "data.init-capacity", J_INT, 50000, 10000, 1000000, 0, NULL, HINT },
	{ LM_L "data.init-capacity", J_INT, 50000, 10000, 1000000, 0, NULL, HINT },
	{ LM_I "thread-pool-size", J_INT, 0, 0, 0, F_DEAD, NULL, NULL },
	{ LM_L "thread-pool-size", J_INT, 0, 0, 0, F_DEAD, NULL, NULL },
	{ LM_I SC "enabled", J_BOOL, 1, 0, 0, 0, "lease.safe-check", NULL },
	{ LM_I SC "time-window", J_MS, 10000, 10000, 300000, F_FLOOR1000,
	  "lease.safe-time-window", NULL },
	{ LM_I SC "percentage-threshold", J_INT, 85, 50, 100, 0, "lease.safe-percentage",
	  NULL },
	{ LM_I SC "max-count-threshold", J_INT, 50, 0, 1000000, 0,
	  "lease.safe-max-count-threshold", NULL },
	{ LM_I SC "max-count-reset-interval", J_MS, 600000, 60000, 86400000, 0,
	  "lease.safe-max-count-reset", NULL },
	{ LM_L SC "enabled", J_BOOL, 1, 0, 0, 0, NULL, LEGACY },
	{ LM_L SC "time-window", J_MS, 10000, 10000, 300000, F_FLOOR1000, NULL, LEGACY },
	{ LM_L SC "percentage-threshold", J_INT, 85, 50, 100, 0, NULL, LEGACY },
	{ LM_L SC "max-count-threshold", J_INT, 50, 0, 1000000, 0, NULL, LEGACY },
	{ LM_L SC "max-count-reset-interval", J_MS, 600000, 60000, 86400000, 0, NULL,
	  LEGACY },
	{ LM_I SC "dynamic-scheduled-thread.init-delay", J_MS, 1000, 100, 60000, 0, NULL,
	  SCHED },
	{ LM_I SC "dynamic-scheduled-thread.run-interval", J_MS, 1000, 100, 60000, 0,
	  NULL, SCHED },
	{ LM_L SC "dynamic-scheduled-thread.init-delay", J_MS, 1000, 100, 60000, 0, NULL,
	  SCHED },
	{ LM_L SC "dynamic-scheduled-thread.run-interval", J_MS, 1000, 100, 60000, 0,
	  NULL, SCHED },

	/* ---- registry data / publishing ---- */
	{ "artemis.service.registry.data.init-capacity", J_INT, 10000, 1000, 100000, 0,
	  NULL, HINT },
	{ "artemis.service.registry.data.instance-change.max-buffer-size", J_INT, 10000,
	  1000, 1000000, 0, NULL, "changes flow through the table's journal ring" },
	{ "artemis.service.registry.data.instance-change.poll-wait", J_MS, 20, 1, 30000,
	  0, NULL, "changes flow through the table's journal ring" },
	{ "artemis.service.registry.change-publisher.thread-count", J_INT, 20, 1, 50, 0,
	  NULL, THREADS },

	/* ---- rate limiters (enabled=false writes 0: limiter off) ---- */
	{ RL("registry") "enabled", J_BOOL, 1, 0, 0, F_AUX, NULL, NULL },
	{ RL("registry") "default-rate-limit", J_INT, 100000, 1000, 1000000, F_RATE,
	  "ratelimit.registry", NULL },
	{ RL("registry") "rate-limit-map", J_MAP, 0, 0, 0, 0, "ratelimit.registry-map",
	  NULL },
	{ RL("registry.replication") "enabled", J_BOOL, 1, 0, 0, F_AUX, NULL, NULL },
	{ RL("registry.replication") "default-rate-limit", J_INT, 1000000, 1000,
	  10000000, F_RATE, "ratelimit.replication", NULL },
	{ RL("registry.replication") "rate-limit-map", J_MAP, 0, 0, 0, 0,
	  "ratelimit.replication-map", NULL },
	{ RL("cluster") "enabled", J_BOOL, 1, 0, 0, F_AUX, NULL, NULL },
	{ RL("cluster") "default-rate-limit", J_INT, 10000, 100, 100000, F_RATE,
	  "ratelimit.cluster", NULL },
	{ RL("cluster") "rate-limit-map", J_MAP, 0, 0, 0, 0, "ratelimit.cluster-map",
	  NULL },
	{ RL("status") "enabled", J_BOOL, 1, 0, 0, F_AUX, NULL, NULL },
	{ RL("status") "default-rate-limit", J_INT, 30, 1, 10000, F_RATE,
	  "ratelimit.status", NULL },
	{ RL("status") "rate-limit-map", J_MAP, 0, 0, 0, 0, "ratelimit.status-map",
	  NULL },
	{ RL("management.group") "enabled", J_BOOL, 1, 0, 0, F_AUX, NULL, NULL },
	{ RL("management.group") "default-rate-limit", J_INT, 30, 1, 1000, F_RATE,
	  "ratelimit.management-group", NULL },
	{ RL("management.group") "rate-limit-map", J_MAP, 0, 0, 0, 0, NULL,
	  "C has one limit for all management group operations" },

	/* ---- discovery versioned cache ---- */
	{ "artemis.service.discovery.versioned-cache.cache-count", J_INT, 3, 0, 10, 0,
	  "discoveryd.cache-count", NULL },
	{ "artemis.service.discovery.versioned-cache.cache-refresh.init-delay", J_MS,
	  60000, 0, 300000, 0, "discoveryd.cache-init-delay", NULL },
	{ "artemis.service.discovery.versioned-cache.cache-refresh.interval", J_MS,
	  30000, 1000, 300000, 0, "discoveryd.cache-refresh-interval", NULL },

	/* ---- replication ---- */
	{ "artemis.service.registry.register.replication.batching-enabled", J_BOOL, 0,
	  0, 0, 0, NULL, REPL },
	{ "artemis.service.registry.unregister.replication.batching-enabled", J_BOOL, 0,
	  0, 0, 0, NULL, REPL },
	{ "artemis.service.registry.heartbeat.replication.batching-enabled", J_BOOL, 1,
	  0, 0, 0, NULL, REPL },
	{ "artemis.service.registry.register.replication.task-ttl", J_MS, 5000, 2000,
	  30000, 0, NULL, REPL },
	{ "artemis.service.registry.unregister.replication.task-ttl", J_MS, 5000, 2000,
	  30000, 0, NULL, REPL },
	{ "artemis.service.registry.heartbeat.replication.task-ttl", J_MS, 5000, 2000,
	  10000, 0, NULL, REPL },
	{ RB "task-executor.thread-count", J_INT, 20, 1, 100, 0, NULL, THREADS },
	{ RB "task-acceptor.max-buffer-size", J_INT, 10000, 100, 100000, 0, NULL, REPL },
	{ RB "task-acceptor.write-complete-wait", J_MS, 5, 0, 200, 0, NULL, REPL },
	{ RB "task-acceptor.accept-list.init-capacity", J_INT, 10000, 0, 100000, 0,
	  NULL, HINT },
	{ RB "task-acceptor.reaccept-list.init-capacity", J_INT, 1000, 0, 100000, 0,
	  NULL, HINT },
	{ RB "traffic-shaper.fail-delay", J_STR, 0, 0, 0, 0, NULL, REPL },
	{ RB "task-acceptor.max-batching-size", J_INT, 250, 10, 10000, 0, NULL, REPL },
	{ RB "task-acceptor.max-batching-delay", J_MS, 2000, 1000, 10000, 0, NULL, REPL },
	{ RN "task-executor.thread-count", J_INT, 20, 1, 100, 0, NULL, THREADS },
	{ RN "task-acceptor.max-buffer-size", J_INT, 10000, 100, 100000, 0, NULL, REPL },
	{ RN "task-acceptor.write-complete-wait", J_MS, 5, 0, 200, 0, NULL, REPL },
	{ RN "task-acceptor.accept-list.init-capacity", J_INT, 10000, 0, 100000, 0,
	  NULL, HINT },
	{ RN "task-acceptor.reaccept-list.init-capacity", J_INT, 1000, 0, 100000, 0,
	  NULL, HINT },
	{ RN "traffic-shaper.fail-delay", J_STR, 0, 0, 0, 0, NULL, REPL },
	{ "artemis.service.registry.replicaton.batching.task-executor.thread-count",
	  J_INT, 0, 0, 0, F_DEAD | F_TYPO, NULL, NULL },
	{ "artemis.service.registry.replicaton.non-batching.task-executor.thread-count",
	  J_INT, 0, 0, 0, F_DEAD | F_TYPO, NULL, NULL },
	{ "artemis.service.registry.replicaton.batching.task-acceptor.max-batching-delay",
	  J_INT, 0, 0, 0, F_DEAD | F_TYPO, NULL, NULL },
	{ "artemis.service.registry.replication.heartbeat.client.socket-timeout", J_MS,
	  200, 50, 5000, 0, NULL, POOL },
	{ "artemis.service.registry.replication.get-applications.client.socket-timeout",
	  J_MS, 2000, 100, 60000, 0, NULL, POOL },
	{ RC "connect-timeout", J_MS, 50, 20, 1000, 0, NULL, POOL },
	{ RC "connection-request-timeout", J_MS, 20, 10, 100, 0, NULL, POOL },
	{ RC "socket-timeout", J_MS, 200, 50, 5000, 0, NULL, POOL },
	{ RC "max-connections-per-route", J_INT, 200, 10, 1000, 0, NULL, POOL },
	{ RC "max-total-connections", J_INT, 1000, 100, 5000, 0, NULL, POOL },
	{ RC "connection-ttl", J_MS, 300000, 30000, 3600000, 0, NULL, POOL },
	{ RC "inactivity-time-before-validate", J_MS, 10000, 1000, 600000, 0, NULL, POOL },
	{ RC "connection-idle-time", J_MS, 30000, 1000, 600000, 0, NULL, POOL },
	{ RC "clean-check-interval", J_MS, 5000, 1000, 3600000, 0, NULL, POOL },
	{ RC "destroy-delay", J_MS, 60000, 0, 600000, 0, NULL, POOL },

	/* ---- peer status client ---- */
	{ ST "client.connect-timeout", J_MS, 100, 20, 5000, 0, NULL, POOL },
	{ ST "client.connection-request-timeout", J_MS, 20, 10, 100, 0, NULL, POOL },
	{ ST "client.socket-timeout", J_MS, 100, 20, 5000, 0, NULL, POOL },
	{ ST "client.max-connections-per-route", J_INT, 5, 1, 10, 0, NULL, POOL },
	{ ST "client.max-total-connections", J_INT, 200, 20, 500, 0, NULL, POOL },
	{ ST "client.connection-ttl", J_MS, 300000, 30000, 3600000, 0, NULL, POOL },
	{ ST "client.inactivity-time-before-validate", J_MS, 10000, 1000, 600000, 0,
	  NULL, POOL },
	{ ST "client.connection-idle-time", J_MS, 30000, 1000, 600000, 0, NULL, POOL },
	{ ST "client.clean-check-interval", J_MS, 5000, 1000, 3600000, 0, NULL, POOL },
	{ ST "client.destroy-delay", J_MS, 60000, 0, 600000, 0, NULL, POOL },
	{ ST "get-leases.client.socket-timeout", J_MS, 10000, 100, 300000, 0, NULL,
	  POOL },
	{ ST "get-cluster-node.client.socket-timeout", J_MS, 200, 100, 10000, 0, NULL,
	  POOL },

	/* ---- WebSocket ---- */
	{ "artemis.service.websocket.session.ttl", J_MS, 360000, 300000, 18000000, 0,
	  "registryd.ws-session-ttl", NULL },
	{ "artemis.service.websocket.session.health-checker.dynamic-scheduled-thread."
	  "run-interval", J_MS, 60000, 10000, 3600000, 0, "registryd.ws-check-interval",
	  NULL },
	{ "artemis.service.websocket.session.health-checker.dynamic-scheduled-thread."
	  "init-delay", J_MS, 20, 0, 200, 0, NULL, SCHED },
	{ "artemis.service.inet-socket-address.get-host.enabled", J_BOOL, 1, 0, 0, 0,
	  NULL, "C always checks the peer's IP address against the blacklists" },
	{ "artemis.service.service-heartbeat.ws-ip.black-list.enabled", J_BOOL, 1, 0, 0,
	  F_AUX, NULL, NULL },
	{ "artemis.service.service-heartbeat.ws-ip.black-list", J_LIST, 0, 0, 0, 0,
	  "registryd.ws-blacklist", NULL },
	{ "artemis.service.service-discovery.ws-ip.black-list.enabled", J_BOOL, 1, 0, 0,
	  F_AUX, NULL, NULL },
	{ "artemis.service.service-discovery.ws-ip.black-list", J_LIST, 0, 0, 0, 0,
	  "discoveryd.ws-blacklist", NULL },
	{ "artemis.service.service-discoveries.ws-ip.black-list.enabled", J_BOOL, 1, 0,
	  0, F_AUX, NULL, NULL },
	{ "artemis.service.service-discoveries.ws-ip.black-list", J_LIST, 0, 0, 0, 0,
	  "discoveryd.all-ws-blacklist", NULL },

	/* ---- trace / metrics ---- */
	{ "artemis.trace.enabled", J_BOOL, 0, 0, 0, 0, NULL, PLUGIN },
	{ "artemis.trace.factory-class", J_STR, 0, 0, 0, 0, NULL, PLUGIN },
	{ "artemis.metric.default.managers-provider", J_STR, 0, 0, 0, 0, NULL,
	  PLUGIN "; see GET /metrics" },

	/* ---- management (§11.3) ---- */
	{ "artemis.management.db-sync.wait-time", J_MS, 2000, 0, 60000, 0,
	  "mgmtd.db-sync-wait", NULL },
	{ "artemis.management.data.cache-refresher.dynamic-scheduled-thread.run-interval",
	  J_MS, 1000, 200, 60000, 0, "discoveryd.mgmt-reconcile-interval", NULL },
	{ "artemis.management.data.cache-refresher.dynamic-scheduled-thread.init-delay",
	  J_MS, 0, 0, 10000, 0, NULL, SCHED },
	{ "artemis.management.group.data.cache-refresher.dynamic-scheduled-thread."
	  "init-delay", J_MS, 0, 0, 10000, 0, NULL, SCHED },
	{ "artemis.management.group.data.cache-refresher.dynamic-scheduled-thread."
	  "run-interval", J_MS, 5000, 10, 60000, 0, NULL,
	  "discoveryd reloads all management data at [discoveryd] "
	  "mgmt-reconcile-interval" },
	{ "artemis.management.zone.data.cache-refresher.dynamic-scheduled-thread."
	  "init-delay", J_MS, 0, 0, 10000, 0, NULL, SCHED },
	{ "artemis.management.zone.data.cache-refresher.dynamic-scheduled-thread."
	  "run-interval", J_MS, 5000, 10, 60000, 0, NULL,
	  "discoveryd reloads all management data at [discoveryd] "
	  "mgmt-reconcile-interval" },
};
const size_t njkeys = sizeof(jkeys) / sizeof(jkeys[0]);
