/*
 * mgmt.h — what the commands talking to artemis-mgmtd share (mgmt.c): their
 * options, the operation context every write carries, writes and reads of
 * /api/management/, and the existence checks that turn an unknown id into
 * EXIT_NOTFOUND (mgmtd itself never answers data-not-found).
 */
#ifndef ARTEMIS_MGMT_H
#define ARTEMIS_MGMT_H

#include <stdint.h>

#include "api.h"

#define MGMT_GROUP	"/api/management/group/"

struct mopts {
	const char	*service, *instance, *region, *zone, *ip, *operator;
	const char	*operation, *token, *reason, *app_id, *name, *strategy;
	const char	*group_id, *route_id, *complete, *status, *description;
	char		*groups[64];	/* route create: NAME:WEIGHT */
	size_t		 ngroups;
};

/* Parse every management option; optind is left at the first operand. */
void	mopts_parse(struct cli *, const struct command *, int, char **,
	    struct mopts *);
/* Usage error (exit 2) when v is missing or blank. */
void	mopts_need(struct cli *, const struct command *, const char *v,
	    const char *what);
/* A positive id; usage error otherwise. */
int64_t	mopts_id(struct cli *, const struct command *, const char *v,
	    const char *what);
/* The id given as option (opt, may be NULL) or else as the first operand,
 * which is then consumed. */
int64_t	mopts_id_arg(struct cli *, const struct command *, const char *opt,
	    int *argc, char ***argv, const char *what);
/* Ids given as option (opt, may be NULL) and operands, as a JSON array; at
 * least one. */
struct json_object *mopts_id_list(struct cli *, const struct command *,
	    const char *opt, int argc, char **argv, const char *what);
/* operatorId, token, operation, reason, extensions: the operation context. */
void	mopts_context(struct json_object *req, const struct mopts *,
	    const char *operation);
/* The application id a group needs (the server requires one and does not
 * interpret it): --app-id, else the service id. */
const char *mopts_app_id(const struct mopts *);

/* POST a write (req is consumed), quietly. */
int	mgmt_send(struct cli *, const char *path, struct json_object *req);
/* POST a write (req is consumed); prints "ok", or the status as JSON. */
int	mgmt_write(struct cli *, const char *path, struct json_object *req);
/* POST a read (req is consumed); *resp holds the answer, *val its member key
 * (NULL when the server sent null). */
int	mgmt_read(struct cli *, const char *path, struct json_object *req,
	    const char *key, struct json_object **resp, struct json_object **val);
/* The element of array arr whose integer member key is id, or NULL. */
struct json_object *mgmt_find_id(struct json_object *arr, const char *key,
	    int64_t id);
/* The group (route rule) of this id into *obj (owned by *resp), or
 * EXIT_NOTFOUND after saying so. */
int	mgmt_group(struct cli *, int64_t id, struct json_object **resp,
	    struct json_object **obj);
int	mgmt_rule(struct cli *, int64_t id, struct json_object **resp,
	    struct json_object **obj);
int	mgmt_group_exists(struct cli *, int64_t id);

/* show.c: output for people (JSON goes through api_print_json). */
struct column {
	const char	*title;
	const char	*key;	/* member of each row object */
};
/* An aligned table of the objects in arr, one column per member key. */
void	show_table(struct json_object *arr, const struct column *, size_t ncols);
/* "key  value" lines for every member of an object. */
void	show_fields(struct json_object *obj);
/* A value as text: strings as they are, null as "-", objects as k=v,k=v,
 * arrays comma-joined. */
const char *show_value(struct json_object *, char *buf, size_t len);

#endif
