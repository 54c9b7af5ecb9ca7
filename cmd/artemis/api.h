/*
 * api.h — requests to the daemons (libcommon/httpc.h) and their JSON (json-c).
 */
#ifndef ARTEMIS_API_H
#define ARTEMIS_API_H

#include "artemis.h"
#include "sbuf.h"

struct json_object;

/* POST req (or GET when req is NULL) to the daemon `which` ("registry",
 * "discovery", "management"). Returns 0 with *resp parsed, or an exit code after
 * printing why. api_call also requires responseStatus success. */
int	api_request(struct cli *, const char *which, const char *path,
	    struct json_object *req, struct json_object **resp);
int	api_call(struct cli *, const char *which, const char *path,
	    struct json_object *req, struct json_object **resp);
/* Exit code for a responseStatus (prints the server's message on failure). */
int	api_status_code(struct cli *, struct json_object *resp);

const char *api_str(struct json_object *, const char *key);
struct json_object *api_get(struct json_object *, const char *key);
void	api_add_str(struct json_object *, const char *key, const char *v);
void	api_print_json(struct cli *, struct json_object *);
void	api_urlencode(struct sbuf *, const char *);
/* --region / --zone, else [node] region / zone of the configuration. */
const char *api_region(struct cli *, const char *given);
const char *api_zone(struct cli *, const char *given);

#endif
