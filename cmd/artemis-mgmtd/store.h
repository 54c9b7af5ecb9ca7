/*
 * store.h — every statement artemis-mgmtd runs against its database lives behind
 * this interface (store.c is the SQLite backend), so handlers never see SQL and a
 * second backend could be added without touching them.
 *
 * Concurrency: one connection, one mutex. A write is
 *
 *	if (store_begin(s) == -1) ...         lock + BEGIN IMMEDIATE
 *	store_xxx(s, ...) ...                  any number of calls
 *	store_commit(s, &version)  or  store_rollback(s)
 *
 * so every endpoint is one transaction and a failure leaves nothing behind. Reads
 * use store_read_begin()/store_read_end() (lock + a deferred read transaction).
 * Functions return 0 on success and -1 on a database error (store_error() has the
 * text until the lock is released) unless stated otherwise. Strings handed to
 * callbacks are valid only during the call. A NULL string argument is stored as ''.
 * Key columns are case-insensitive (COLLATE NOCASE), as under MySQL.
 */
#ifndef ARTEMIS_MGMTD_STORE_H
#define ARTEMIS_MGMTD_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

struct store	*store_open(const char *path, char *err, size_t errlen);
void		 store_close(struct store *);
const char	*store_schema_sql(void);	/* migration 1 = share/management.sql */
int		 store_schema_version(struct store *);

int		 store_begin(struct store *);
int		 store_commit(struct store *, uint64_t *version);
void		 store_rollback(struct store *);
int		 store_read_begin(struct store *);
void		 store_read_end(struct store *);
const char	*store_error(struct store *);

/* ---- instance, server and zone operations: opaque labels on a key ---- */

enum op_kind { OPK_INSTANCE, OPK_SERVER, OPK_ZONE };
#define OP_KEY_MAX	3
/* key[]: INSTANCE region, service, instance; SERVER region, server; ZONE region,
 * service, zone. */
struct op_row {
	const char	*key[OP_KEY_MAX];
	const char	*operation;
};
typedef int (*op_cb)(const struct op_row *, void *arg);	/* non-zero stops */

size_t	store_op_nkey(enum op_kind);
/* Start: instance/server upsert (a repeat refreshes operator and token); zone is
 * INSERT OR IGNORE. End: delete the row with that label. */
int	store_op_start(struct store *, enum op_kind, const char *const *key,
	    const char *operation, const char *operator_id, const char *token);
int	store_op_end(struct store *, enum op_kind, const char *const *key,
	    const char *operation);
/* Rows ordered by key (case-insensitively), then id. key[i] NULL or blank = any;
 * exact_region compares key[0] case-sensitively (all-*-operations.json). */
int	store_op_list(struct store *, enum op_kind, const char *const *key,
	    int exact_region, op_cb, void *arg);

/* ---- the nine log tables ---- */

enum log_kind {
	LOG_INSTANCE, LOG_SERVER, LOG_ZONE, LOG_GROUP_OP, LOG_GROUP, LOG_ROUTE_RULE,
	LOG_ROUTE_RULE_GROUP, LOG_GROUP_INSTANCE, LOG_SERVICE_INSTANCE, LOG_NKINDS
};
enum log_str {
	LS_REGION, LS_SERVICE, LS_INSTANCE, LS_SERVER, LS_ZONE, LS_NAME, LS_APP,
	LS_STATUS, LS_OPERATION, LS_OPERATOR, LS_TOKEN, LS_EXTENSIONS, LS_REASON,
	LS_IP, LS_MACHINE, LS_METADATA, LS_PROTOCOL, LS_HCURL, LS_URL, LS_GROUP_LABEL,
	LS_N
};
enum log_num { LN_GROUP_ID, LN_ROUTE_RULE_ID, LN_WEIGHT, LN_COMPLETE, LN_PORT, LN_N };

/* A log row, or a filter (NULL/blank string or has_n bit clear = no constraint). */
struct log_row {
	int64_t		 id;
	int64_t		 create_time;
	int64_t		 update_time;
	const char	*s[LS_N];
	int64_t		 n[LN_N];
	unsigned	 has_n;		/* bit (1 << LN_x): n[LN_x] is set / not NULL */
};
typedef int (*log_cb)(const struct log_row *, void *arg);

/* 1 if the kind's table has that column. */
int	store_log_has_str(enum log_kind, enum log_str);
int	store_log_has_num(enum log_kind, enum log_num);
int	store_log_insert(struct store *, enum log_kind, const struct log_row *);
/* Ordered by id ascending. */
int	store_log_query(struct store *, enum log_kind, const struct log_row *filter,
	    log_cb, void *arg);

/* ---- groups ---- */

struct group_row {
	int64_t		 id;
	const char	*service_id;
	const char	*region_id;
	const char	*zone_id;
	const char	*name;
	const char	*app_id;
	const char	*description;	/* NULL = SQL NULL */
	const char	*status;
	int		 deleted;
};
typedef int (*group_cb)(const struct group_row *, void *arg);

/* Upsert on (service, region, zone, name): update app, description, status and
 * revive; revive_only = 1 only revives an existing row. *id = its id. */
int	store_group_put(struct store *, const struct group_row *, int revive_only,
	    int64_t *id);
/* A group that is not soft-deleted, by the non-blank fields among service,
 * region, zone and name. 1 found (*id set), 0 not found, -1 error. */
int	store_group_find(struct store *, const struct group_row *, int64_t *id);
/* Soft delete; fn sees the row as it was. 1 deleted, 0 missing or already deleted. */
int	store_group_delete(struct store *, int64_t id, group_cb, void *arg);
/* 1 if a row with that id exists (deleted or not), 0 if not, -1 error. */
int	store_group_exists(struct store *, int64_t id);
/* Non-deleted groups matching the non-blank filter fields (id if has_id), by id. */
int	store_group_list(struct store *, const struct group_row *filter, int has_id,
	    group_cb, void *arg);

/* ---- route rules ---- */

struct rule_row {
	int64_t		 id;
	const char	*service_id;
	const char	*name;
	const char	*description;
	const char	*status;
	const char	*strategy;
	int		 deleted;
};
typedef int (*rule_cb)(const struct rule_row *, void *arg);

int	store_rule_put(struct store *, const struct rule_row *, int revive_only,
	    int64_t *id);
int	store_rule_delete(struct store *, int64_t id, rule_cb, void *arg);
int	store_rule_exists(struct store *, int64_t id);
int	store_rule_list(struct store *, const struct rule_row *filter, int has_id,
	    rule_cb, void *arg);

/* ---- route-rule groups (links with released and draft weights) ---- */

struct rrg_row {
	int64_t		 id;
	int64_t		 route_rule_id;
	int64_t		 group_id;
	int		 has_weight;
	int		 weight;
	int		 has_unreleased;
	int		 unreleased;
};
typedef int (*rrg_cb)(const struct rrg_row *, void *arg);

/* Upsert on (rule, group) setting unreleased_weight (NULL if !has_unreleased). */
int	store_rrg_put(struct store *, int64_t rule, int64_t group, int has_unreleased,
	    int unreleased);
/* INSERT OR IGNORE with that unreleased weight (canary). */
int	store_rrg_insert_ignore(struct store *, int64_t rule, int64_t group,
	    int unreleased);
/* weight = unreleased_weight for the pair (no row: nothing happens). */
int	store_rrg_release(struct store *, int64_t rule, int64_t group);
/* Hard delete; 1 deleted (fn saw the row), 0 missing. */
int	store_rrg_delete(struct store *, int64_t id, rrg_cb, void *arg);
/* filter->id / route_rule_id / group_id used when their has_* flag is set. */
int	store_rrg_list(struct store *, int has_id, int64_t id, int has_rule,
	    int64_t rule, int has_group, int64_t group, rrg_cb, void *arg);

/* ---- group tags ---- */

typedef int (*tag_cb)(int64_t group_id, const char *tag, const char *value,
    void *arg);
int	store_tag_put(struct store *, int64_t group_id, const char *tag,
	    const char *value);
/* Delete rows matching the given fields (has_group / non-NULL tag, value);
 * *n = rows deleted. */
int	store_tag_delete(struct store *, int has_group, int64_t group_id,
	    const char *tag, const char *value, int *n);
/* Ordered by group id, then id. */
int	store_tag_list(struct store *, int has_group, int64_t group_id, tag_cb,
	    void *arg);

/* ---- group operations ---- */

typedef int (*group_op_cb)(int64_t group_id, const char *operation, void *arg);
int	store_group_op_add(struct store *, int64_t group_id, const char *operation);
int	store_group_op_del(struct store *, int64_t group_id, const char *operation);
int	store_group_op_list(struct store *, int has_group, int64_t group_id,
	    group_op_cb, void *arg);

/* ---- group instances (explicit members) ---- */

typedef int (*gi_cb)(int64_t id, int64_t group_id, const char *instance_id,
    void *arg);
int	store_gi_insert(struct store *, int64_t group_id, const char *instance_id);
int	store_gi_delete(struct store *, int64_t id, gi_cb, void *arg);
/* Delete by (group, instance); 1 deleted, 0 missing. */
int	store_gi_delete_pair(struct store *, int64_t group_id, const char *instance_id);
int	store_gi_list(struct store *, int has_group, int64_t group_id,
	    const char *instance_id, gi_cb, void *arg);

/* ---- service ("logic") instances ---- */

struct si_row {
	int64_t		 id;
	const char	*service_id;
	const char	*instance_id;
	const char	*ip;
	const char	*machine_name;
	const char	*metadata;	/* JSON text */
	int64_t		 port;
	const char	*protocol;
	const char	*region_id;
	const char	*zone_id;
	const char	*group_id;
	const char	*health_check_url;
	const char	*url;
	const char	*description;	/* NULL = SQL NULL */
};
typedef int (*si_cb)(const struct si_row *, void *arg);

int	store_si_put(struct store *, const struct si_row *);
int	store_si_delete(struct store *, int64_t id, si_cb, void *arg);
int	store_si_list(struct store *, const char *service_id, const char *instance_id,
	    si_cb, void *arg);

#endif
