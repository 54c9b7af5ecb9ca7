/*
 * mgmt_view.h — the read side of the management DB (spec/management-contract.md
 * §2.3, §3.4, §3.6, §4, §6.2, §7.2; core-contract §7.5), shared by artemis-mgmtd
 * (its management views) and artemis-discoveryd (its filters).
 *
 * A reader holds one read-only SQLite connection to the DB that artemis-mgmtd
 * writes. mgmt_reader_changed() is the cheap "did anything commit since my last
 * snapshot" test (PRAGMA data_version, plus the mgmt_version row every mgmtd write
 * transaction bumps); mgmt_reader_snapshot() reads every management table inside
 * one read transaction and builds a struct mgmt_view.
 *
 * A view is IMMUTABLE once built: plain C arrays and pre-rendered JSON strings, no
 * json-c objects, so any number of threads may query it at once. It is reference
 * counted; swap a new one in under your own lock and unref the old one.
 *
 * Typical discoveryd use:
 *
 *	r = mgmt_reader_open(cfg.database, err, sizeof(err));   (retry while NULL)
 *	on a BUS_MGMT hint or every mgmt-reconcile-interval:
 *		if (mgmt_reader_changed(r)) {
 *			v = mgmt_reader_snapshot(r, err, sizeof(err));
 *			mgmt_view_diff(old, v, on_reload, arg);       RELOAD pushes
 *			for each registered instance: is_down(old) != is_down(v)
 *				-> push DELETE (went down) or NEW (came back)
 *			swap v in, mgmt_view_unref(old)
 *		}
 *	per service response:
 *		instances      = registered instances with !mgmt_view_is_down()
 *		logicInstances = mgmt_view_logic_json(v, svc, 1, out)
 *		routeRules     = mgmt_view_route_rules(v, svc, unfiltered, n, out)
 *
 * Keys: instance/server/zone/group operations match case-insensitively (ASCII
 * lower-casing); route rules and logic instances are looked up by the exact-case
 * serviceId, as in Java.
 */
#ifndef ARTEMIS_MGMT_VIEW_H
#define ARTEMIS_MGMT_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

struct mgmt_reader;
struct mgmt_view;

/* One instance as the view needs to see it. json (canonical wire form) is only read
 * by mgmt_view_route_rules() for canary groups; it may be NULL elsewhere. */
struct mgmt_inst {
	const char	*region_id;
	const char	*zone_id;
	const char	*service_id;
	const char	*group_id;
	const char	*instance_id;
	const char	*ip;
	const char	*json;
	size_t		 json_len;
};

/* Open DB read-only (WAL). NULL + err if it does not exist yet: retry later. */
struct mgmt_reader	*mgmt_reader_open(const char *db_path, char *err, size_t errlen);
void			 mgmt_reader_close(struct mgmt_reader *);
/* 1 if a write may have committed since the last snapshot (or none was taken). */
int			 mgmt_reader_changed(struct mgmt_reader *);
/* A new view (refs = 1), or NULL + err (keep using the previous one). */
struct mgmt_view	*mgmt_reader_snapshot(struct mgmt_reader *, char *err, size_t errlen);

/* The view of an empty DB (refs = 1), for before the DB exists. */
struct mgmt_view	*mgmt_view_empty(void);
struct mgmt_view	*mgmt_view_ref(struct mgmt_view *);
void			 mgmt_view_unref(struct mgmt_view *);	/* NULL-safe */
/* mgmt_version of the snapshot (0 for the empty view). */
uint64_t		 mgmt_view_version(const struct mgmt_view *);

/* §7.2: down by an instance, server, zone or group operation. */
int	mgmt_view_is_down(const struct mgmt_view *, const struct mgmt_inst *);
/* §2.3 isServerDown and is-zone-down.json. */
int	mgmt_view_server_down(const struct mgmt_view *, const char *region_id,
	    const char *server_id);
int	mgmt_view_zone_down(const struct mgmt_view *, const char *region_id,
	    const char *service_id, const char *zone_id);

/* §3.4: the JSON array of routeRules of service_id ("[]" when none). When the
 * service has a canary-route-rule its groups' "instances" are computed from phys
 * (the UNFILTERED registered instances) and the logic instances; phys may be NULL
 * when nphys is 0. Appends to out. */
void	mgmt_view_route_rules(const struct mgmt_view *, const char *service_id,
	    const struct mgmt_inst *phys, size_t nphys, struct sbuf *out);
/* 1 if the routeRules of service_id depend on the registered instances (canary);
 * otherwise mgmt_view_route_rules() ignores phys and may be cached per view. */
int	mgmt_view_has_canary(const struct mgmt_view *, const char *service_id);

/* §3.6: the logic instances of service_id (status "up", metadata parsed) as a JSON
 * array; drop_down = 1 removes those that are down (ManagementDiscoveryFilter).
 * Appends "[]" when none. */
void	mgmt_view_logic_json(const struct mgmt_view *, const char *service_id,
	    int drop_down, struct sbuf *out);
/* The logic instances themselves (json set); returns the count. */
size_t	mgmt_view_logic(const struct mgmt_view *, const char *service_id,
	    const struct mgmt_inst **out);

/*
 * Cheap tests, so that a filter extracts instance fields only where something can
 * be down: operations that take instances down are indexed per service (instance
 * and zone operations by the lower-cased serviceId, group operations by the first
 * segment of their group path), servers by IP.
 */
#define MGMT_OPS_INSTANCE	0x1	/* instance operations in the service */
#define MGMT_OPS_ZONE		0x2	/* zone operations in the service */
#define MGMT_OPS_GROUP		0x4	/* group operations that may cover it */
#define MGMT_OPS_ALL		0x7

/* 1 if any instance, server, zone or group operation holds something down. */
int	mgmt_view_has_down_ops(const struct mgmt_view *);
/* The MGMT_OPS_* bits that may apply to instances of service_id (case-
 * insensitive; MGMT_OPS_ALL for a blank or NULL id when any operation exists). */
int	mgmt_view_service_ops(const struct mgmt_view *, const char *service_id);
/* Number of servers with operations; 1 if ip (any region, any case) is one. */
size_t	mgmt_view_down_servers(const struct mgmt_view *);
int	mgmt_view_ip_down(const struct mgmt_view *, const char *ip);
/* 1 if the instance, zone or group operations that may apply to service_id
 * differ between old and new (either may be NULL = empty). */
int	mgmt_view_ops_changed(const struct mgmt_view *old,
	    const struct mgmt_view *new_, const char *service_id);
/* 1 if any instance, zone or group operation differs (0: no service's
 * mgmt_view_ops_changed() can be 1). */
int	mgmt_view_any_ops_changed(const struct mgmt_view *old,
	    const struct mgmt_view *new_);
/* Calls fn(ip) (lower-cased) once for every server key (region, ip) whose
 * operations differ between old and new; returns the number of calls. */
size_t	mgmt_view_servers_diff(const struct mgmt_view *old,
	    const struct mgmt_view *new_, void (*fn)(const char *ip, void *arg),
	    void *arg);

/* §6.2: calls fn(serviceId) once for every service whose route rules, logic
 * instances, group operations or zone operations differ between old and new
 * (either may be NULL = empty). Instance and server operations are not reported:
 * compare mgmt_view_is_down() per registered instance for DELETE/NEW (only in the
 * services mgmt_view_ops_changed() and mgmt_view_servers_diff() point at). */
void	mgmt_view_diff(const struct mgmt_view *old, const struct mgmt_view *new_,
	    void (*fn)(const char *service_id, void *arg), void *arg);

/* §6.2: calls fn(serviceId) for every service whose logic instances are the same
 * in old and new_ but not all down or up alike in both: an instance or server
 * operation reached one of them, which Java answers with one RELOAD of the
 * service (never per-instance changes). mgmt_view_diff() reports the services
 * whose logic instances themselves changed. */
void	mgmt_view_logic_down_diff(const struct mgmt_view *old,
	    const struct mgmt_view *new_,
	    void (*fn)(const char *service_id, void *arg), void *arg);

/* StringValues.concatPathParts + lower-case (§0.4): trimmed non-blank parts joined
 * with '/', leading '/' of later parts stripped. Used for group keys. */
void	mgmt_path(struct sbuf *out, const char *const *parts, size_t nparts);

/* Stored metadata JSON text -> a JSON object of strings, "{}" if it is not one. */
void	mgmt_metadata_json(const char *text, struct sbuf *out);

#endif
