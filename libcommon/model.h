/*
 * model.h — the wire model of spec/core-contract.md §2–§4 and its JSON codec.
 *
 * Decoding uses json-c (json_tokener) and follows Jackson's rules: property names
 * matched case-insensitively, unknown properties ignored, last duplicate wins,
 * scalar coercions (numbers/booleans accepted for string fields, numeric strings
 * for int fields, null for a primitive = 0); an object or array where a scalar is
 * expected is a decode error (HTTP 400).
 *
 * Encoding writes compact JSON straight into an sbuf with keys in Java
 * String.compareTo order, nulls emitted, Jackson's string escaping (short forms for
 * \b \t \n \f \r, \u00XX for other controls, '/' and non-ASCII raw). json-c has no
 * streaming writer and building json_object trees per instance is several times
 * slower, so the encoder is a small writer of its own (model_json_string()).
 */
#ifndef ARTEMIS_MODEL_H
#define ARTEMIS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

struct json_object;

/* Limits applied when decoding (bad input is refused, never truncated). */
#define MODEL_MAX_STRING	4096	/* any string field, bytes */
#define MODEL_MAX_METADATA	256	/* metadata entries per instance */
#define MODEL_MAX_DEPTH		32	/* JSON nesting depth of a request */

struct kv {
	char	*key;
	char	*value;		/* NULL = JSON null */
};

struct instance {
	char		*group_id;
	char		*health_check_url;
	char		*instance_id;
	char		*ip;
	char		*machine_name;
	struct kv	*metadata;	/* in input order (Java: HashMap order) */
	size_t		 nmetadata;
	int		 has_metadata;	/* 0: "metadata":null */
	int		 port;
	char		*protocol;
	char		*region_id;
	char		*service_id;
	char		*status;
	char		*url;
	char		*zone_id;
	char		*block;		/* instance_from_json(): all its strings */
	size_t		 block_len;
};

/*
 * Frees members, not the struct. Strings may be set by hand (malloc'd, freed
 * here); those instance_from_json() decoded live in one block, so never free()
 * a decoded field yourself: replace it with instance_set_string().
 */
void	instance_free(struct instance *);

/* *field (a string member of in, or of in->metadata[i]) := copy of value. */
void	instance_set_string(struct instance *in, char **field, const char *value);

/*
 * Decode one Instance from a json-c value. A JSON null yields *is_null = 1 and
 * returns 0 (callers skip null elements). Returns -1 with a reason in err for
 * values Jackson would refuse (object/array for a scalar, non-numeric port, ...).
 */
int	instance_from_json(struct json_object *o, struct instance *out, int *is_null,
	    char *err, size_t errlen);

/* Canonical wire form of an Instance (compact, sorted keys, nulls). */
void	instance_to_json(const struct instance *, struct sbuf *out);

/* Lower-cased identity key "region\x1fservice\x1finstance" (§3.1). */
void	instance_key(const struct instance *, struct sbuf *out);

/* Display string (§3.1): lower-case region/zone/service[/group]/instance. */
void	instance_display(const struct instance *, struct sbuf *out);

/* Append Java's s.toLowerCase(): ASCII fast, other letters by Unicode's simple
 * case mapping (identity keys, display strings, management keys). */
void	model_add_lower(struct sbuf *out, const char *s);
void	model_add_lowern(struct sbuf *out, const char *s, size_t n);

/* 1 if s is NULL, empty or only whitespace (Java StringUtils.isBlank). */
int	str_blank(const char *s);

/* Append s as a JSON string literal ("..." with Jackson escaping) or null. */
void	model_json_string(struct sbuf *out, const char *s);
void	model_json_stringn(struct sbuf *out, const char *s, size_t n);

/* Case-insensitive property lookup in a json-c object (Jackson
 * ACCEPT_CASE_INSENSITIVE_PROPERTIES); the last matching key wins. NULL if absent. */
struct json_object *model_get(struct json_object *obj, const char *name, int *present);

/* Coercions: string fields accept strings, numbers, booleans; int fields accept
 * numbers and numeric strings; null -> NULL / 0. Return -1 on refusal. */
int	model_get_string(struct json_object *obj, const char *name, char **out,
	    char *err, size_t errlen);
int	model_get_int64(struct json_object *obj, const char *name, int64_t *out,
	    char *err, size_t errlen);
/* A boolean field as Jackson 2.9 binds it: true/false, integers (0 is false),
 * the strings "true", "True", "false", "False" (trimmed). *present is 0 when the
 * field is absent, null, "" or "null" (a Boolean stays null, a boolean false). */
int	model_get_bool(struct json_object *obj, const char *name, int *out,
	    int *present, char *err, size_t errlen);

/* Parse a request body with json-c, bounded depth (MODEL_MAX_DEPTH), strict JSON
 * (no single quotes, NaN, trailing data, raw control characters in strings).
 * NULL + err on malformed JSON; the literal null is refused too (Spring: 400).
 * A leading UTF-8 byte order mark is skipped (Jackson does in byte input). */
struct json_object *model_parse(const char *body, size_t len, char *err, size_t errlen);

/* The same with relaxations: MODEL_PARSE_ALLOW_CONTROL tolerates raw control
 * characters in strings (the caravan mapper on WebSocket does); MODEL_PARSE_ALLOW_NULL
 * returns NULL with err set to "" for the literal null (WebSocket "request is null"). */
#define MODEL_PARSE_ALLOW_CONTROL	0x01
#define MODEL_PARSE_ALLOW_NULL		0x02
struct json_object *model_parse_flags(const char *body, size_t len, int flags,
	    char *err, size_t errlen);

/* ---- ResponseStatus (§3.7, §4) ---- */

#define ST_SUCCESS		"success"
#define ST_FAIL			"fail"
#define ST_PARTIAL_FAIL		"partial_fail"

#define EC_SUCCESS		"success"
#define EC_PARTIAL_FAIL		"partial_fail"
#define EC_BAD_REQUEST		"bad-request"
#define EC_RATE_LIMITED		"rate-limited"
#define EC_NO_PERMISSION	"no-permission"
#define EC_DATA_NOT_FOUND	"data-not-found"
#define EC_INTERNAL		"internal-service-error"
#define EC_UNAVAILABLE		"service-unavailable"
#define EC_UNKNOWN		"unknown"

/* Message catalogue (§4.3), exact texts including the original typos. */
#define MSG_RATE_LIMITED	"Request is rate limited."
#define MSG_NO_INSTANCES	"request.instances is null or empty."
#define MSG_REQUEST_NULL	"request is null"
#define MSG_NOT_EXISTING	"Instance is not exising! Need re-register."
#define MSG_NO_DISCOVERY_CONFIG	"Request is null or request.discoveryConfig is null."
#define MSG_NO_DELTA		"Delta is not found."
#define MSG_NO_NODES		"No available service nodes."

struct response_status {
	const char	*error_code;
	const char	*message;	/* NULL = JSON null */
	const char	*status;
};

extern const struct response_status RS_SUCCESS;

/* {"errorCode":..,"message":..,"status":..} */
void	response_status_to_json(const struct response_status *, struct sbuf *out);

/* A ResponseStatus with a failure status and code, message copied into the sbuf. */
void	response_status_fail(struct sbuf *out, const char *error_code, const char *message);

/* ---- InstanceChange (§3.5) ---- */

#define CHANGE_NEW	"new"
#define CHANGE_DELETE	"delete"
#define CHANGE_CHANGE	"change"
#define CHANGE_RELOAD	"reload"

/* {"changeTime":t,"changeType":type,"instance":<instance_json verbatim>} */
void	change_to_json(struct sbuf *out, int64_t change_time, const char *type,
	    const char *instance_json, size_t instance_len);

/* The fake instance of a management "reload" change for serviceId. */
void	reload_instance_json(struct sbuf *out, const char *service_id);

/* ---- DiscoveryConfig (§3.6) ---- */

struct discovery_config {
	char	*service_id;
	char	*region_id;
	char	*zone_id;
	struct kv *discovery_data;
	size_t	 ndiscovery_data;
	int	 has_discovery_data;
};

/* An object, or a string (Jackson's DiscoveryConfig(String serviceId) creator);
 * NULL or JSON null sets *is_null. -1 with err for anything else. */
int	discovery_config_from_json(struct json_object *o, struct discovery_config *out,
	    int *is_null, char *err, size_t errlen);
void	discovery_config_free(struct discovery_config *);

/* ---- Service (§3.3) ----
 * Services are assembled from already-encoded instance JSON, so discovery never
 * re-encodes an instance. Each list is either NULL-able ("null") or a JSON array
 * body of comma-joined elements.
 */
struct service_json {
	const char	*service_id;
	const char	*instances;	/* "[...]" or NULL for null */
	const char	*logic_instances;
	const char	*route_rules;
	const char	*metadata;	/* always NULL in core */
};

void	service_to_json(const struct service_json *, struct sbuf *out);

#endif
