/*
 * httpc.h — HTTP client (libcurl) for the CLI and the replicator: JSON POST with a
 * gzip-compressed body (what Java peers send), GET, bounded timeouts.
 */
#ifndef ARTEMIS_HTTPC_H
#define ARTEMIS_HTTPC_H

#include <stddef.h>

#include "sbuf.h"

struct httpc_result {
	long		status;		/* HTTP status, 0 if no response */
	struct sbuf	body;		/* decoded response body */
	char		error[256];	/* transport error text when status == 0 */
	struct sbuf	headers;	/* final response's headers: name NUL value NUL
					 * ..., bounded (httpc_header) */
};

/* base + path joined with exactly one '/'. json may be NULL for GET.
 * Returns 0 when a response arrived (any status), -1 on transport error. */
int	httpc_post_json(const char *base, const char *path, const char *json, size_t len,
	    int gzip, long timeout_ms, struct httpc_result *res);
int	httpc_get(const char *base, const char *path, long timeout_ms,
	    struct httpc_result *res);
void	httpc_result_free(struct httpc_result *);
/* Value of a response header (name case-insensitive, first occurrence) or NULL. */
const char *httpc_header(const struct httpc_result *, const char *name);

#endif
