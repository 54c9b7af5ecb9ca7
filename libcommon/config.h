/*
 * config.h — the INI file of spec/config.md (fixed key names), parsed with inih.
 *
 * Every program calls config_load(); `-n` is config_load() + "configuration OK".
 * Errors are "FILE:LINE: what is wrong" (unknown section/key, bad value, missing
 * required key). Durations accept ms/s/m/h (a bare number is milliseconds); sizes
 * accept k/m/g (a bare number is bytes).
 */
#ifndef ARTEMIS_CONFIG_H
#define ARTEMIS_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PATH	"/etc/artemis/artemis.conf"
#define CONFIG_STR		256
#define CONFIG_LIST		1024

struct listen_addr {
	char	host[64];
	int	port;
	int	set;		/* the section had a listen key */
};

struct config {
	char	file[PATH_MAX];

	/* [node] */
	char	region[CONFIG_STR];
	char	zone[CONFIG_STR];
	char	state_dir[PATH_MAX];
	char	registry_url[CONFIG_STR];
	char	discovery_url[CONFIG_STR];
	char	management_url[CONFIG_STR];
	char	base_path[CONFIG_STR];	/* context path ("/artemis-service") or "" */
	size_t	max_body;		/* request body, bytes, as sent (413 above) */
	size_t	max_decoded_body;	/* after gzip/deflate */
	int	http_threads;		/* libmicrohttpd thread pool per daemon */

	/* [registryd] */
	struct listen_addr registryd_listen;
	int	registry_allow_other_zone;
	int	max_instances_per_request;
	size_t	heartbeat_cache;	/* bytes of heartbeat plans; 0 = off */
	int64_t	ws_session_ttl_ms;	/* all WebSocket endpoints */
	int64_t	ws_check_interval_ms;
	char	heartbeat_ws_blacklist[CONFIG_LIST];	/* comma list of IPs */
	int	ws_max_connections;	/* per daemon */
	size_t	ws_max_message;		/* inbound text message, bytes */

	/* [discoveryd] */
	struct listen_addr discoveryd_listen;
	int	discovery_allow_other_zone;
	int64_t	cache_init_delay_ms;
	int64_t	cache_refresh_interval_ms;
	int	cache_count;
	char	discovery_ws_blacklist[CONFIG_LIST];
	char	discoveries_ws_blacklist[CONFIG_LIST];
	int	max_lookup_configs;
	int64_t	mgmt_reconcile_interval_ms;

	/* [mgmtd] */
	struct listen_addr mgmtd_listen;
	char	database[PATH_MAX];	/* resolved: relative paths are inside state_dir */
	int64_t	db_sync_wait_ms;

	/* [replicator] */
	struct listen_addr replicator_listen;

	/* [table] */
	uint32_t capacity;

	/* [lease] */
	int64_t	ttl_ms;
	int64_t	legacy_ttl_ms;
	int64_t	clean_interval_ms;
	int	safe_check_enabled;
	int64_t	safe_time_window_ms;
	int	safe_percentage;
	int	safe_max_count_threshold;
	int64_t	safe_max_count_reset_ms;
	int64_t	safe_max_hold_ms;	/* leave protection after this long (C only) */

	/* [ratelimit] limits per 10 s; 0 disables that limiter */
	int64_t	rl_registry;
	char	rl_registry_map[CONFIG_LIST];
	int64_t	rl_replication;
	char	rl_replication_map[CONFIG_LIST];
	int64_t	rl_cluster;
	char	rl_cluster_map[CONFIG_LIST];
	int64_t	rl_status;
	char	rl_status_map[CONFIG_LIST];
	int64_t	rl_management_group;

	/* [cluster] */
	int	force_up;
	char	peers[CONFIG_LIST];	/* zone:url[,url...][;zone:url...] */
	int64_t	status_update_interval_ms;
};

/* Fill *c with defaults, then read FILE. On error returns -1 and writes
 * "FILE:LINE: message" into err. */
int	config_load(struct config *c, const char *file, char *err, size_t errlen);
void	config_defaults(struct config *c);

/* Value parsers, exported for tests and the CLI. 0 on success, -1 on error. */
int	config_parse_duration(const char *s, int64_t *ms);
int	config_parse_size(const char *s, size_t *bytes);
int	config_parse_bool(const char *s, int *b);
int	config_parse_listen(const char *s, struct listen_addr *l);

/* True if ip is in the comma-separated list (case-insensitive, spaces ignored). */
int	config_list_contains(const char *list, const char *ip);

/* Path of a file inside the state dir, e.g. config_state_path(c, "instances.table"). */
int	config_state_path(const struct config *c, const char *name, char *out, size_t len);

/* Common daemon command line: -f FILE, -n, -v, -h. Loads the config; handles -n and
 * -h itself (exits). Initialises logging. Returns only when the daemon should run. */
void	config_daemon_main(int argc, char **argv, const char *progname,
	    struct config *c);

#endif
