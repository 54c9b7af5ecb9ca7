/*
 * mgmtd.h — artemis-mgmtd: the management API (everything under /api/management/) on SQLite.
 * Shared state of the daemon and the helpers every handler file uses.
 */
#ifndef ARTEMIS_MGMTD_H
#define ARTEMIS_MGMTD_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "http.h"
#include "sbuf.h"
#include "store.h"

struct json_object;
struct store;
struct node_ctx;
struct bus_pub;
struct ratelimit;
struct mgmt_view;
struct table;

struct mgmtd {
	const struct config	*cfg;
	struct store		*store;
	struct node_ctx		*node;
	struct bus_pub		*bus;		/* NULL if the bus could not be opened */
	struct ratelimit	*rl_group;	/* get-groups, get-route-rules, ... */
};

extern struct mgmtd *mgmtd;

/* ---- request helpers (request.c) ---- */

/* Parse the body; NULL after answering 400 (empty, malformed, literal null). */
struct json_object *req_json(struct http_request *, struct http_response *);
/* A string field, trimmed when trim is set; *out NULL when absent or null.
 * -1 after answering 400 (object or array where a string was expected). */
int	req_str(struct json_object *, const char *name, int trim, char **out,
	    struct http_response *);
/* An integer field in [min, max]; *present 0 when absent or null. -1 after 400. */
int	req_int(struct json_object *, const char *name, int64_t min, int64_t max,
	    int64_t *out, int *present, struct http_response *);
/* A boolean as Jackson 2.9 binds it (model_get_bool); req_opt_bool's *present
 * is 0 when absent, null, "" or "null" (a Boolean left null). -1 after 400. */
int	req_opt_bool(struct json_object *, const char *name, int *out,
	    int *present, struct http_response *);
int	req_bool(struct json_object *, const char *name, int *out,
	    struct http_response *);
/* An array field: NULL if absent or null; -1 after 400 if not an array. */
int	req_array(struct json_object *, const char *name, struct json_object **out,
	    struct http_response *);
/* An object field: NULL if absent or null; -1 after 400 if not an object. */
int	req_object(struct json_object *, const char *name, struct json_object **out,
	    struct http_response *);

/* The operation context of §0.6. */
struct op_ctx {
	char	*operator_id;
	char	*token;
	char	*operation;
	char	*reason;
	char	*extensions;	/* "{}" when absent */
	int	 extensions_null;	/* explicit null */
};
int	ctx_decode(struct json_object *, struct op_ctx *, struct http_response *);
/* BusinessDao.checkOperationContextArgument: operator, token, operation and
 * extensions non-blank. 1 valid, 0 not. */
int	ctx_valid(const struct op_ctx *);
void	ctx_free(struct op_ctx *);

/* ---- responses ---- */

/* {"responseStatus":{...}} */
void	reply_status(struct http_response *, const char *code, const char *msg);
void	reply_ok(struct http_response *);
/* Append "responseStatus":{...} (no braces around) for composite answers. */
void	add_status(struct sbuf *, const char *code, const char *msg);
void	add_ok(struct sbuf *);
/* Node-up check of write endpoints: 1 up; 0 after answering service-unavailable
 * (with the extra members of the response, e.g. "groups":null, in pre/post). */
int	node_up(struct http_response *);
/* After a committed write: publish the hint; wait db-sync-wait if wait is set. */
void	write_done(uint64_t version, int wait);
/* A failed read: {"field":null,"responseStatus":..} with the member placed in
 * alphabetical order ("down" is a primitive: false). */
void	reply_fail_field(struct http_response *, const char *field, const char *code,
	    const char *msg);
/* Internal error: the endpoint's fixed message (rolled back already). */
void	reply_ise(struct http_response *, const char *msg);
/* Success with one member besides responseStatus, the two in alphabetical
 * order as Jackson writes them; json is raw JSON, NULL for null. */
void	reply_member(struct http_response *, const char *field, const char *json,
	    size_t len);
/* The same with a JSON array of the rendered items. */
void	reply_array(struct http_response *, const char *field,
	    const struct sbuf *items);

/* Rendering a JSON array row by row: rows_next() before each row adds the comma. */
struct rows {
	struct sbuf	 out;
	int		 n;
};
void	rows_next(struct rows *);
/* The answer of a list read: the rows, or msg when it failed (rc -1). */
void	reply_rows(struct http_response *, int rc, const char *field,
	    const char *msg, const struct rows *);

/* ---- writes (write.c): gate, decode, validate, one transaction, answer ---- */

int	json_is_object(struct json_object *);
/* Node up, body parsed, operation context decoded; -1 after answering. */
int	write_open(struct http_request *, struct http_response *,
	    struct json_object **, struct op_ctx *);
void	write_close(struct json_object *, struct op_ctx *);
/* Begin the transaction if the request is valid; -1 after answering msg. */
int	write_begin(struct http_response *, int valid, const char *msg);
/* Commit (or roll back when !ok) and answer success or msg; publish the hint
 * and wait db-sync-wait if wait is set. */
void	write_finish(struct http_response *, int ok, const char *msg, int wait);
/* Fill the operation context's columns of a log row / and insert it. */
void	log_ctx(struct log_row *, const struct op_ctx *);
int	log_with_ctx(enum log_kind, struct log_row *, const struct op_ctx *);

/* A write of a list of entities: each element of the request's array decoded
 * into size bytes (-1 answered 400, 0 incomplete, 1 complete), then apply()
 * stores and logs it (0 ok, -1 failed), all in one transaction. */
struct list_write {
	const char	*field;
	size_t		 size;
	int		(*decode)(struct json_object *, void *elem,
			    struct http_response *);
	int		(*apply)(const void *elem, const struct op_ctx *);
	void		(*free)(void *elem);		/* NULL: owns nothing */
};
void	list_write(const struct list_write *, const char *msg,
	    struct http_request *, struct http_response *);

/* An array of integer ids: -1 answered 400; *out (malloc) with *n entries,
 * *has_null set for null elements. */
int	id_list(struct json_object *, const char *name, int64_t **out, size_t *n,
	    int *has_null, struct http_response *);
/* Delete the ids of the request's array field; del returns 0 or -1. */
void	delete_ids(const char *field, int (*del)(int64_t, const struct op_ctx *),
	    const char *msg, struct http_request *, struct http_response *);
/* For del: the store's callback sees each deleted row, logs it with
 * deleted_log(); deleted_result() folds the store's answer and the logging. */
struct deleted {
	const struct op_ctx	*c;
	enum log_kind		 kind;
	int			 failed;
};
int	deleted_log(struct deleted *, struct log_row *);
int	deleted_result(const struct deleted *, int rc);

/* {"down":true|false,"responseStatus":success} */
void	reply_down(struct http_response *, int down);

/* ---- operation keys (op_keys.c): instance, server and zone operations ---- */

struct op_keydesc {
	enum op_kind	 kind;
	const char	*field;			/* "instanceKey" */
	const char	*names[OP_KEY_MAX];	/* JSON names of the store's key[] */
	int		 order[OP_KEY_MAX];	/* key[] indexes, alphabetical */
	int		 key_last;		/* key member after "operations" */
};
extern const struct op_keydesc instance_keys, server_keys, zone_keys;

struct op_key {
	char	*v[OP_KEY_MAX];		/* store key order */
	size_t	 n;
};
/* Decode the key object d->field of o: 0 ok, 1 absent, -1 answered 400. */
int	op_key_decode(const struct op_keydesc *, struct json_object *, int trim,
	    struct op_key *, struct http_response *);
void	op_key_free(struct op_key *);

/* Operation rows (an op_cb) grouped by key, case-insensitively, into
 * {"<key field>":{..},"operations":[..]} objects (key_last: the other way
 * round), key members alphabetical. Zero
 * it, set d, and op_groups_close() after the last row. */
struct op_groups {
	const struct op_keydesc	*d;
	struct sbuf		 out;
	char			*cur[OP_KEY_MAX];	/* key of the open group */
	int			 open;
	int			 n;
};
int	op_groups_row(const struct op_row *, void *);
void	op_groups_close(struct op_groups *);

/* ---- handlers ---- */

/* instance_ops.c */
void	h_operate_instance(struct http_request *, struct http_response *);
void	h_operate_server(struct http_request *, struct http_response *);
void	h_instance_operations(struct http_request *, struct http_response *);
void	h_server_operations(struct http_request *, struct http_response *);
void	h_all_instance_operations(struct http_request *, struct http_response *);
void	h_all_server_operations(struct http_request *, struct http_response *);
void	h_instance_down(struct http_request *, struct http_response *);
void	h_server_down(struct http_request *, struct http_response *);
/* views.c */
void	h_services(struct http_request *, struct http_response *);
void	h_service(struct http_request *, struct http_response *);
/* The current snapshot of the DB (refs + 1; mgmt_view_unref when done). */
struct mgmt_view *views_current(void);
void	views_init(const struct config *);
void	views_fini(void);
/* logs.c */
void	h_log(struct http_request *, struct http_response *);	/* arg: kind */
extern const int log_kind_arg[];
/* route_rules.c */
void	h_insert_route_rules(struct http_request *, struct http_response *);
void	h_update_route_rules(struct http_request *, struct http_response *);
void	h_delete_route_rules(struct http_request *, struct http_response *);
void	h_get_route_rules(struct http_request *, struct http_response *);
void	h_get_all_route_rules(struct http_request *, struct http_response *);
void	h_create_route_rule(struct http_request *, struct http_response *);
void	h_insert_rrgs(struct http_request *, struct http_response *);
void	h_update_rrgs(struct http_request *, struct http_response *);
void	h_release_rrgs(struct http_request *, struct http_response *);
void	h_delete_rrgs(struct http_request *, struct http_response *);
void	h_get_rrgs(struct http_request *, struct http_response *);
void	h_get_all_rrgs(struct http_request *, struct http_response *);
/* groups.c */
void	h_insert_groups(struct http_request *, struct http_response *);
void	h_update_groups(struct http_request *, struct http_response *);
void	h_delete_groups(struct http_request *, struct http_response *);
void	h_get_groups(struct http_request *, struct http_response *);
void	h_get_all_groups(struct http_request *, struct http_response *);
void	h_insert_group_tags(struct http_request *, struct http_response *);
void	h_update_group_tags(struct http_request *, struct http_response *);
void	h_delete_group_tags(struct http_request *, struct http_response *);
void	h_get_group_tags(struct http_request *, struct http_response *);
void	h_get_all_group_tags(struct http_request *, struct http_response *);
void	h_operate_group_operations(struct http_request *, struct http_response *);
void	h_operate_group_operation(struct http_request *, struct http_response *);
void	h_get_group_operations(struct http_request *, struct http_response *);
void	h_get_all_group_operations(struct http_request *, struct http_response *);
/* Rate limit shared by get-groups, get-route-rules and get-route-rule-groups:
 * 1 allowed; 0 after answering rate-limited with field null. */
int	group_rate_ok(struct http_response *, const char *identity, const char *field);
/* A decoded Group (groups.c; create-route-rule too): strings owned. */
struct ogroup {
	char	*service_id, *region_id, *zone_id, *name, *app_id, *description,
		*status;
	int64_t	 weight;
	int	 has_weight;
};
/* -1 answered 400 (nothing left to free). */
int	ogroup_decode(struct json_object *, struct ogroup *, struct http_response *);
void	ogroup_free(struct ogroup *);
/* Every field but description non-blank. */
int	ogroup_complete(const struct ogroup *);
/* The row to store (strings borrowed). */
void	ogroup_row(const struct ogroup *, struct group_row *);
/* Group JSON (§1.3.1) shared by groups.c and route_rules.c. */
void	group_to_json(const struct group_row *, struct sbuf *);
/* Upsert a group (store_group_put) and log it; 0 or -1. */
int	group_put_logged(const struct group_row *, int revive_only,
	    const struct op_ctx *, int64_t *id);
/* members.c */
void	h_insert_group_instances(struct http_request *, struct http_response *);
void	h_delete_group_instances(struct http_request *, struct http_response *);
void	h_get_group_instances(struct http_request *, struct http_response *);
void	h_insert_service_instances(struct http_request *, struct http_response *);
void	h_delete_service_instances(struct http_request *, struct http_response *);
void	h_get_service_instances(struct http_request *, struct http_response *);
/* Log a group-instance change (members.c; canary.c too). */
int	group_instance_log(int64_t group_id, const char *instance_id,
	    const struct op_ctx *);
/* zone_ops.c */
void	h_operate_zone_operations(struct http_request *, struct http_response *);
void	h_get_zone_operations(struct http_request *, struct http_response *);
void	h_get_all_zone_operations(struct http_request *, struct http_response *);
void	h_get_zone_operations_list(struct http_request *, struct http_response *);
void	h_is_zone_down(struct http_request *, struct http_response *);
/* canary.c */
void	h_update_canary_ips(struct http_request *, struct http_response *);

#endif
